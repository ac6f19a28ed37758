import { creditCodeProblem, normalizeCreditCode } from '@/kernel/credit-code'
import type { LocalParty, PartyVisit } from '@/db/db'
import type { NewParty } from '@/db/parties'

/**
 * What is wrong with a credit code as typed, for the form to say at once: nothing while it is empty (a stall
 * has none) or still being typed (shorter than 18, unless the field was left), else the problem.
 */
export function typedCodeProblem(
  typed: string,
  left: boolean,
): { problem: 'length' | 'character' | 'check'; n: number } | undefined {
  const code = normalizeCreditCode(typed)
  if (code === '') return undefined
  const problem = creditCodeProblem(code)
  if (!problem) return undefined
  // Still typing: a wrong character is said at once, a short code only once the field is left.
  if (problem === 'length' && code.length < 18 && !left) return undefined
  return { problem, n: code.length }
}

/** The locale key and values for why the server refused a party made here (`LocalParty.reason`). */
export function refusalMessage(reason: string | undefined): { key: string; values: Record<string, string> } {
  const [code = '', problem] = (reason ?? '').split(':')
  if (code === 'invalid_credit_code' && problem && ['check', 'length', 'character'].includes(problem))
    return { key: `parties.reason.${problem}`, values: {} }
  if (code === 'invalid' || code === 'id_taken') return { key: `parties.reason.${code}`, values: {} }
  if (code === 'forbidden' || code === 'not_found') return { key: 'parties.reason.campaign', values: {} }
  return { key: 'parties.reason.other', values: { code } }
}

/** How many earlier inspections, and how many of them found a suspected infringement (or more). */
export function visitCounts(visits: readonly PartyVisit[]): { n: number; s: number } {
  return { n: visits.length, s: visits.filter((v) => v.outcome !== 'no_problem').length }
}

/** The form's fields from a party (to correct one made here), or empty. */
export const partyFields = (p?: LocalParty): NewParty => ({
  name: p?.name ?? '',
  creditCode: p?.creditCode ?? '',
  address: p?.address ?? '',
  personPresent: p?.personPresent ?? '',
  personRole: p?.personRole ?? '',
  phone: p?.phone ?? '',
})
