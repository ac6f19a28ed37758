import { describe, expect, it } from 'vitest'
import {
  CREDIT_CODE_ALPHABET,
  CREDIT_CODE_WEIGHTS,
  creditCodeCheckChar,
  creditCodeProblem,
  isValidCreditCode,
  normalizeCreditCode,
} from '../../src/kernel/credit-code'

/** The published example of ../shared/docs/domain.md: a Shenzhen company (440300 is Shenzhen's division code). */
const SHENZHEN = '914403001922038216'
/** Valid by the algorithm, with letters in it and a letter as its check character. */
const WITH_LETTERS = '9144030071526726XG'

describe('the unified social credit code (GB 32100-2015)', () => {
  it('has the 31-character alphabet without I, O, Z, S, V and the weights 3^i mod 31', () => {
    expect(CREDIT_CODE_ALPHABET).toHaveLength(31)
    for (const letter of 'IOZSV') expect(CREDIT_CODE_ALPHABET).not.toContain(letter)
    expect(CREDIT_CODE_WEIGHTS).toEqual(Array.from({ length: 17 }, (_, i) => 3 ** i % 31))
  })

  it('accepts the published Shenzhen example, and computes its check character 6 by hand', () => {
    expect(creditCodeProblem(SHENZHEN)).toBeUndefined()
    expect(isValidCreditCode(SHENZHEN)).toBe(true)
    // 9·1 + 1·3 + 4·9 + 4·27 + 0·19 + 3·26 + 0·16 + 0·17 + 1·20 + 9·29 + 2·25 + 2·13 + 0·8 + 3·24 + 8·10 + 2·30 + 1·28
    const sum = 9 + 3 + 36 + 108 + 0 + 78 + 0 + 0 + 20 + 261 + 50 + 26 + 0 + 72 + 80 + 60 + 28
    expect(sum % 31).toBe(25)
    expect(31 - (sum % 31)).toBe(6)
    expect(creditCodeCheckChar(SHENZHEN.slice(0, 17))).toBe('6')
  })

  it('accepts a code whose check character is a letter', () => {
    expect(creditCodeCheckChar(WITH_LETTERS.slice(0, 17))).toBe('G')
    expect(creditCodeProblem(WITH_LETTERS)).toBeUndefined()
  })

  it('reads a check value of 31 as 0', () => {
    // Find the last character that makes the sum of the first 17 a multiple of 31: the check is then 0.
    const stem = SHENZHEN.slice(0, 16)
    const last = [...CREDIT_CODE_ALPHABET].find((c) => creditCodeCheckChar(stem + c) === '0')!
    expect(last).toBeDefined()
    expect(creditCodeProblem(`${stem}${last}0`)).toBeUndefined()
  })

  it('refuses every wrong check character of the example', () => {
    const wrong = [...CREDIT_CODE_ALPHABET].filter((c) => c !== '6')
    expect(wrong).toHaveLength(30)
    for (const c of wrong) expect(creditCodeProblem(SHENZHEN.slice(0, 17) + c), c).toBe('check')
  })

  it('refuses a single mistyped digit and two swapped neighbours', () => {
    expect(creditCodeProblem('914403001922038226')).toBe('check')
    expect(creditCodeProblem('914403001922083216')).toBe('check')
  })

  it('refuses wrong lengths', () => {
    expect(creditCodeProblem('')).toBe('length')
    expect(creditCodeProblem(SHENZHEN.slice(0, 17))).toBe('length')
    expect(creditCodeProblem(`${SHENZHEN}0`)).toBe('length')
    // The old 15-digit business registration number is not a credit code.
    expect(creditCodeProblem('440301103096733')).toBe('length')
  })

  it('refuses I, O, Z, S and V in either case, never reading them as 1, 0, 2, 5 or U', () => {
    for (const letter of ['I', 'O', 'Z', 'S', 'V', 'i', 'o', 'z', 's', 'v']) {
      const code = `91440300${letter}${SHENZHEN.slice(9)}`
      expect(creditCodeProblem(code), code).toBe('character')
    }
    expect(creditCodeProblem('91440300192203821-')).toBe('character')
    expect(creditCodeProblem('91440300192203821*')).toBe('character')
  })

  it('reads lower case, spaces and full-width characters as the code they stand for', () => {
    expect(normalizeCreditCode(' 9144030071526726xg ')).toBe(WITH_LETTERS)
    expect(creditCodeProblem('9144030071526726xg')).toBeUndefined()
    expect(creditCodeProblem('9144 0300 7152 6726 XG')).toBeUndefined()
    expect(normalizeCreditCode('９１４４０３００１９２２０３８２１６')).toBe(SHENZHEN)
    expect(creditCodeProblem('９１４４０３００７１５２６７２６ｘｇ')).toBeUndefined()
    // A wrong code stays wrong whatever its case.
    expect(creditCodeProblem('9144030071526726xh')).toBe('check')
  })
})
