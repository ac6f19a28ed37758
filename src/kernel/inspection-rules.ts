/**
 * The rules a 现场检查笔录 must meet before the lead inspector's phone lets it be signed: the party named, the
 * times in order, every inspector's signature and the party's (or the refusal, its reason and a witness's
 * signature), and, where the campaign requires it, two inspectors holding valid certificates at the start.
 * Plain data in and out, so the page, the repository and the tests share one reading of them.
 */
import * as v from 'valibot'
import { certificateValidAt, type CertificateHolder } from './certificate'
import { creditCodeProblem, normalizeCreditCode, type CreditCodeProblem } from './credit-code'
import {
  InspectionSchema,
  validationReason,
  type Inspection,
  type InspectionSignature,
  type InspectorRef,
} from './sync-schema'

/** The form as typed: the record as it will be, before it is signed. */
export type InspectionDraft = Omit<Inspection, 'signedAt' | 'chain'>

/** How many different inspectors held a valid certificate at the inspection's start. */
export function certifiedCount(
  inspectors: readonly InspectorRef[],
  holders: ReadonlyMap<string, CertificateHolder>,
  at: string,
): number {
  const ids = new Set(inspectors.map((i) => i.userId))
  return [...ids].filter((id) => {
    const holder = holders.get(id)
    return holder !== undefined && certificateValidAt(holder, at)
  }).length
}

/** Why a draft cannot be signed yet, for the page to say; none when it can. */
export type SignBlocker =
  | { code: 'invalid'; detail: string }
  | { code: 'times' }
  | { code: 'place' }
  | { code: 'party_name' }
  | { code: 'credit_code'; problem: CreditCodeProblem }
  | { code: 'two_certified'; count: number }
  | { code: 'inspector_signature'; name: string }
  | { code: 'party_signature' }
  | { code: 'refusal_reason' }
  | { code: 'witness_name' }
  | { code: 'witness_signature' }

export interface SigningRules {
  /** The campaign of the check-in requires two inspectors with valid certificates. */
  requireTwoCertified: boolean
  holders: ReadonlyMap<string, CertificateHolder>
}

/** Everything that keeps this draft from being signed, in the order the form shows it. */
export function signBlockers(form: InspectionDraft, rules: SigningRules): SignBlocker[] {
  const out: SignBlocker[] = []
  if (!(Date.parse(form.endedAt) >= Date.parse(form.startedAt))) out.push({ code: 'times' })
  if (!form.place.trim()) out.push({ code: 'place' })
  if (!form.party.name.trim()) out.push({ code: 'party_name' })
  const creditCode = form.party.creditCode?.trim()
  const problem = creditCode ? creditCodeProblem(creditCode) : undefined
  if (problem) out.push({ code: 'credit_code', problem })
  if (rules.requireTwoCertified) {
    const count = certifiedCount(form.inspectors, rules.holders, form.startedAt)
    if (count < 2) out.push({ code: 'two_certified', count })
  }
  const signed = (role: InspectionSignature['role'], userId: string | null = null) =>
    form.signatures.some((s) => s.role === role && (userId === null || s.userId === userId))
  for (const i of form.inspectors)
    if (!signed('inspector', i.userId)) out.push({ code: 'inspector_signature', name: i.name })
  if (form.refusal) {
    if (!form.refusal.reason.trim()) out.push({ code: 'refusal_reason' })
    if (!form.refusal.witnessName.trim()) out.push({ code: 'witness_name' })
    if (!signed('witness')) out.push({ code: 'witness_signature' })
  } else if (!signed('party')) out.push({ code: 'party_signature' })
  if (out.length === 0) {
    const result = v.safeParse(InspectionSchema, { ...normalizedDraft(form), signedAt: new Date().toISOString() })
    if (!result.success) out.push({ code: 'invalid', detail: validationReason(result.issues) })
  }
  return out
}

/** The typed form as the record keeps it: a blank credit code is none, written in capitals. */
export function normalizedDraft(form: InspectionDraft): InspectionDraft {
  const code = normalizeCreditCode(form.party.creditCode ?? '')
  return {
    ...form,
    party: { ...form.party, creditCode: code === '' ? null : code },
    // A unit left empty is no unit: the item says its count alone, as records before units did.
    items: form.items.map(({ unit, ...item }) => (unit?.trim() ? { ...item, unit: unit.trim() } : item)),
    // The witness's signature carries the name written beside it.
    signatures: form.signatures.map((s) =>
      s.role === 'witness' && form.refusal ? { ...s, name: form.refusal.witnessName.trim() || s.name } : s,
    ),
  }
}

/** A drawn signature as the record names it, from what the pad gave. */
export function signatureOf(
  role: InspectionSignature['role'],
  name: string,
  userId: string | null,
  image: { sha256: string; size: number },
  at = new Date(),
): InspectionSignature {
  return { role, name, userId, sha256: image.sha256, size: image.size, type: 'image/png', signedAt: at.toISOString() }
}
