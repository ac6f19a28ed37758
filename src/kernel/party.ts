/**
 * The inspected party register (被检查当事人): what the phone and the server agree a party is. A business is
 * known by its unified social credit code (src/kernel/credit-code.ts); a stall without one by its name,
 * address and phone. Ids are made on the phone (UUIDv7), so a party created offline keeps its id when synced.
 */
import * as v from 'valibot'
import { creditCodeProblem, normalizeCreditCode } from './credit-code'
import { IdSchema, type CheckIn, type Outcome } from './sync-schema'

export const PARTY_LIMITS = {
  name: 200,
  address: 300,
  personPresent: 100,
  personRole: 50,
  phone: 40,
  /** A search's words; longer ones name nothing. */
  query: 100,
} as const

/** A party as the register holds it. Text fields hold what was typed, markup and all: screens show it as text. */
export interface Party {
  id: string
  name: string
  /** Normalized (upper case, no spaces); null for a stall that has none. */
  creditCode: string | null
  address: string
  /** The person present (legal representative, manager, stall keeper…), their role, and a phone number. */
  personPresent: string
  personRole: string
  phone: string
  /** The department whose inspector first recorded the party, and who. */
  department: string
  createdBy: string
  createdAt: string
  updatedAt: string
}

// eslint-disable-next-line no-control-regex
const ONE_LINE = /^[^\u0000-\u001f\u007f]*$/
const Line = (max: number) =>
  v.pipe(v.string(), v.trim(), v.maxLength(max), v.regex(ONE_LINE, 'must not contain control characters'))

/**
 * A credit code as typed: empty means none; otherwise normalized, then refused with what is wrong (wrong
 * length, a character outside the alphabet, a wrong check character).
 */
const CreditCodeSchema = v.pipe(
  v.string(),
  v.maxLength(60),
  v.transform((typed) => normalizeCreditCode(typed)),
  v.check((code) => code === '' || creditCodeProblem(code) !== 'length', 'must be 18 characters'),
  v.check(
    (code) => code === '' || creditCodeProblem(code) !== 'character',
    'must use only digits and capital letters other than I, O, Z, S and V',
  ),
  v.check((code) => code === '' || creditCodeProblem(code) !== 'check', 'has a wrong check character'),
  v.transform((code) => (code === '' ? null : code)),
)

/** What a phone sends to create a party. `campaignId`, when given, files the party under that campaign too. */
export const PartyInputSchema = v.strictObject({
  id: IdSchema,
  name: v.pipe(Line(PARTY_LIMITS.name), v.minLength(1, 'name is required')),
  creditCode: v.optional(v.nullable(CreditCodeSchema), null),
  address: v.optional(Line(PARTY_LIMITS.address), ''),
  personPresent: v.optional(Line(PARTY_LIMITS.personPresent), ''),
  personRole: v.optional(Line(PARTY_LIMITS.personRole), ''),
  phone: v.optional(Line(PARTY_LIMITS.phone), ''),
  campaignId: v.optional(IdSchema),
})
export type PartyInput = v.InferInput<typeof PartyInputSchema>
export type ParsedPartyInput = v.InferOutput<typeof PartyInputSchema>

/** One earlier inspection of a party as every phone of its scope may know it: when, by whom (department), what came of it. */
export interface PartyVisitSummary {
  /** Guangdong's calendar day of the check-in, YYYY-MM-DD. */
  date: string
  department: string
  outcome: Outcome
}

/**
 * A party as a phone keeps it for offline look-up (`GET /api/parties/mine`): the register's party, the pinyin
 * initials of its name (the phone carries no pinyin dictionary), and its earlier inspections in short, newest first.
 */
export interface PartyForPhone extends Party {
  initials: string
  visits: PartyVisitSummary[]
}

/** An earlier inspection of a party in full, for those who may read it (`GET /api/parties/:id/inspections`). */
export interface PartyCheckIn extends CheckIn {
  authorName: string
  department: string
}
