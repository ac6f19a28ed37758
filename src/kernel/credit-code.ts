/**
 * The unified social credit code (统一社会信用代码, GB 32100-2015): 18 characters from a 31-character alphabet
 * (the digits and the capital letters but I, O, Z, S and V), the last a check character over the first 17.
 * No validation library here: the phone's party search imports this.
 *
 * What is accepted as typed: spaces anywhere, full-width characters (ＡＢＣ１２３, as Chinese input methods
 * give them) and lower case are read as the code they stand for (`normalizeCreditCode`), so a code typed in
 * lower case on a phone is the same code as the one printed on the licence. The code is stored and compared
 * in that normal form only. I, O, Z, S and V are refused, in either case, never read as 1, 0, 2, 5 or U: a
 * code holding one was mistyped, and guessing which character was meant could turn it into another
 * business's valid code.
 */

export const CREDIT_CODE_ALPHABET = '0123456789ABCDEFGHJKLMNPQRTUWXY'
export const CREDIT_CODE_LENGTH = 18

/** The weight of each of the first 17 characters: 3^i mod 31. */
export const CREDIT_CODE_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28] as const

/** The code as it is stored and compared: full-width characters made ASCII, spaces removed, upper case. */
export function normalizeCreditCode(typed: string): string {
  return typed.normalize('NFKC').replace(/\s+/g, '').toUpperCase()
}

/** The check character of the first 17 characters of a code (already normalized); undefined if one is not in the alphabet. */
export function creditCodeCheckChar(first17: string): string | undefined {
  if (first17.length !== CREDIT_CODE_LENGTH - 1) return undefined
  let sum = 0
  for (let i = 0; i < first17.length; i++) {
    const value = CREDIT_CODE_ALPHABET.indexOf(first17[i]!)
    if (value < 0) return undefined
    sum += value * CREDIT_CODE_WEIGHTS[i]!
  }
  return CREDIT_CODE_ALPHABET[(31 - (sum % 31)) % 31]
}

export type CreditCodeProblem = 'length' | 'character' | 'check'

/**
 * What is wrong with a code (normalized first): not 18 characters, a character outside the alphabet (I, O,
 * Z, S, V, punctuation…), or a wrong check character; undefined when it is a valid code.
 */
export function creditCodeProblem(typed: string): CreditCodeProblem | undefined {
  const code = normalizeCreditCode(typed)
  if (code.length !== CREDIT_CODE_LENGTH) return 'length'
  if ([...code].some((c) => !CREDIT_CODE_ALPHABET.includes(c))) return 'character'
  return creditCodeCheckChar(code.slice(0, 17)) === code[17] ? undefined : 'check'
}

export const isValidCreditCode = (typed: string): boolean => creditCodeProblem(typed) === undefined
