/**
 * The steps of a push that need no database: putting a batch in order, reading what its mutations claim
 * before they are validated, and telling mutations already processed from new ones.
 */
import * as v from 'valibot'
import { canonicalJson } from '../../src/kernel/canonical'
import { sha256Hex } from './hash'
import {
  LIMITS,
  type MutationResult,
  type MutationStatus,
  type PushMutation,
  type ReasonCode,
} from '../../src/kernel/sync-schema'
import type { SessionUser } from '../../src/kernel/users'
import { ID_MAX, isStorableId, storableText, type MutationsTable } from '../db/database'
import { ApiRefusal } from '../http/errors'

/** Who and what a mutation's args name, read before they are validated. */
export interface Claims {
  /** The author a check-in, a note or an inspection record names, whatever its type. */
  author?: unknown
  /** The campaign a check-in or an inspection record names, cut to the length an id can have. */
  campaign?: string
  /** The record the mutation is about, when its id could be stored (and so looked up). */
  recordId?: string
  /** The record a check-in or an inspection record corrects, when its id could be stored. */
  correctionOf?: string
  /** The check-in an inspection record is made from, when its id could be stored. */
  checkInId?: string
  /**
   * The photo hashes a check-in names (as many as a check-in may have), and an inspection record's photos and
   * drawn signatures, so a push reads their owners at once.
   */
  photos?: string[]
  /** The accounts a check-in's co-inspectors or an inspection's inspectors name, so their certificates are read at once. */
  people?: string[]
  /**
   * The client whose chain the record claims a place in (server/sync/chain.ts), whatever else is wrong with it:
   * pushes delivering links of one chain take turns (server/sync/horizon.ts lockScopes).
   */
  chainClient?: string
}

/** A mutation as a push handles it: with the hash of its name and args, and what they claim. */
export interface HashedMutation extends PushMutation {
  hash: string
  claims: Claims
}

/** What became of a mutation, without its sequence number. */
export type MutationOutcome = Omit<MutationResult, 'seq'>

/** What a mutation sent again is recognized by. */
export const payloadHash = (m: PushMutation): Promise<string> =>
  sha256Hex(canonicalJson({ name: m.name, args: m.args }))

const SHA256_RE = /^[0-9a-f]{64}$/

/** A claim is read whatever its type: an author id that is not even a string is still not this user's. */
const Anything = v.optional(v.unknown())
const orNothing = <S extends v.GenericSchema>(schema: S) => v.fallback(v.optional(schema), undefined)
const Chain = orNothing(v.object({ clientId: orNothing(v.string()) }))
const ClaimsSchema = v.fallback(
  v.object({
    id: orNothing(v.string()),
    authorId: Anything,
    campaignId: orNothing(v.string()),
    correctionOf: orNothing(v.string()),
    checkInId: orNothing(v.string()),
    photos: orNothing(v.array(v.fallback(v.object({ sha256: orNothing(v.string()) }), {}))),
    signatures: orNothing(v.array(v.fallback(v.object({ sha256: orNothing(v.string()) }), {}))),
    coInspectors: orNothing(v.array(v.fallback(v.object({ userId: orNothing(v.string()) }), {}))),
    inspectors: orNothing(v.array(v.fallback(v.object({ userId: orNothing(v.string()) }), {}))),
    note: orNothing(v.object({ id: orNothing(v.string()), authorId: Anything, chain: Chain })),
    chain: Chain,
  }),
  {},
)

/**
 * What a mutation claims, read before its args are validated: a record that names another author or someone
 * else's campaign is a forgery whatever else is wrong with it.
 */
export function claimsOf(m: PushMutation): Claims {
  const args = v.parse(ClaimsSchema, m.args)
  const recordId = args.id ?? args.note?.id
  const checkIn = m.name === 'checkin.create'
  const inspection = m.name === 'inspection.create'
  const hashes = (list: { sha256?: string }[] | undefined, max: number) =>
    (list ?? []).slice(0, max).flatMap((p) => (p.sha256 !== undefined && SHA256_RE.test(p.sha256) ? [p.sha256] : []))
  const people = (list: { userId?: string }[] | undefined) =>
    (list ?? [])
      .slice(0, LIMITS.coInspectors + 1)
      .flatMap((p) => (p.userId && isStorableId(p.userId) ? [p.userId] : []))
  return {
    author: args.authorId !== undefined ? args.authorId : args.note?.authorId,
    campaign: checkIn || inspection ? args.campaignId?.slice(0, ID_MAX) : undefined,
    recordId: recordId !== undefined && isStorableId(recordId) ? recordId : undefined,
    correctionOf:
      (checkIn || inspection) && args.correctionOf !== undefined && isStorableId(args.correctionOf)
        ? args.correctionOf
        : undefined,
    checkInId: inspection && args.checkInId !== undefined && isStorableId(args.checkInId) ? args.checkInId : undefined,
    photos: checkIn
      ? hashes(args.photos, LIMITS.photosPerCheckIn)
      : inspection
        ? [...hashes(args.photos, LIMITS.photosPerCheckIn), ...hashes(args.signatures, LIMITS.signatures)]
        : undefined,
    people: checkIn ? people(args.coInspectors) : inspection ? people(args.inspectors) : undefined,
    chainClient:
      m.name === 'note.put' ? args.note?.chain?.clientId : checkIn || inspection ? args.chain?.clientId : undefined,
  }
}

/**
 * The batch in sequence order (a phone may send it out of order), each sequence number once. A number sent
 * twice with the same contents is one mutation; with other contents, the whole push is refused.
 */
export async function inSequence(mutations: readonly PushMutation[]): Promise<HashedMutation[]> {
  const hashed = await Promise.all(
    mutations.map(async (m) => ({ ...m, hash: await payloadHash(m), claims: claimsOf(m) })),
  )
  hashed.sort((a, b) => a.seq - b.seq)
  const batch: HashedMutation[] = []
  for (const m of hashed) {
    const previous = batch.at(-1)
    if (previous?.seq !== m.seq) batch.push(m)
    else if (previous.hash !== m.hash) {
      throw new ApiRefusal(409, 'seq_conflict', `sequence number ${m.seq} sent twice with different contents`, {
        seq: m.seq,
      })
    }
  }
  return batch
}

/** A record that names another author is a forgery, not a mistake: the whole push is refused. */
export function refuseForgedAuthors(batch: readonly HashedMutation[], user: SessionUser): void {
  const forged = batch.find(({ claims }) => claims.author !== undefined && claims.author !== user.id)
  if (forged) {
    throw new ApiRefusal(403, 'forged_author', `Sequence number ${forged.seq} names another author`, {
      seq: forged.seq,
    })
  }
}

/**
 * Every campaign the batch's check-ins name that could exist, once each: what to look up. One that could not
 * be stored (a NUL in it) is in no one's access list, so `refuseForeignCampaigns` refuses it all the same.
 */
export const campaignsNamed = (batch: readonly HashedMutation[]): string[] => [
  ...new Set(
    batch.flatMap(({ claims }) =>
      claims.campaign !== undefined && isStorableId(claims.campaign) ? claims.campaign : [],
    ),
  ),
]

/** A check-in or inspection record under a campaign that does not exist, or never named this user, is a forgery too. */
export function refuseForeignCampaigns(batch: readonly HashedMutation[], allowed: ReadonlySet<string>): void {
  const forged = batch.find(({ claims }) => claims.campaign !== undefined && !allowed.has(claims.campaign))
  if (forged) {
    throw new ApiRefusal(403, 'forged_campaign', `Sequence number ${forged.seq} names a campaign you are not part of`, {
      seq: forged.seq,
    })
  }
}

/** The batch split at the client's last processed sequence number. */
export interface PushPlan {
  /** Answers for mutations processed before, as recorded then: a resent push has exactly one effect. */
  replayed: MutationResult[]
  /** Mutations after the last processed one, in order: to apply. */
  fresh: HashedMutation[]
}

/**
 * Tells mutations the server has processed (at or below `lastSeq`, answered from what was `kept` of them)
 * from new ones. A processed sequence number sent again with other contents refuses the push.
 */
export function classify(batch: readonly HashedMutation[], lastSeq: number, kept: readonly MutationsTable[]): PushPlan {
  const replayed: MutationResult[] = []
  for (const m of batch.filter((x) => x.seq <= lastSeq)) {
    const prior = kept.find((r) => r.seq === m.seq)
    if (!prior) continue
    if (prior.hash !== m.hash) {
      throw new ApiRefusal(409, 'seq_conflict', `sequence number ${m.seq} was already used for other contents`, {
        seq: m.seq,
      })
    }
    replayed.push(resultOf(prior))
  }
  return { replayed, fresh: batch.filter((m) => m.seq > lastSeq) }
}

/** The sequence numbers in a batch that the server has processed before: at or below the client's last one. */
export const processedSeqs = (batch: readonly PushMutation[], lastSeq: number): number[] =>
  batch.filter((m) => m.seq <= lastSeq).map((m) => m.seq)

/**
 * What of a rejection's detail and reason is kept (`detail` is a varchar(200)): they may quote what the phone
 * sent (a key, a value, a mutation name), which can be any length and hold characters PostgreSQL refuses.
 */
const DETAIL_MAX = 200
const REASON_MAX = 1000

/** A mutation's outcome as it is kept, so that a replay is answered the same. */
export const mutationRow = (
  clientId: string,
  m: HashedMutation,
  outcome: MutationOutcome,
  at: string,
): MutationsTable => ({
  client_id: clientId,
  seq: m.seq,
  hash: m.hash,
  status: outcome.status,
  code: outcome.code ?? null,
  detail: outcome.detail !== undefined ? storableText(outcome.detail, DETAIL_MAX) : null,
  reason: outcome.reason !== undefined ? storableText(outcome.reason, REASON_MAX) : null,
  kept_as: outcome.keptAs ?? null,
  created_at: at,
})

/** The answer a kept mutation gives again; the inverse of `mutationRow`. */
export const resultOf = (r: MutationsTable): MutationResult => ({
  seq: r.seq,
  status: r.status as MutationStatus,
  ...(r.code ? { code: r.code as ReasonCode } : {}),
  ...(r.detail ? { detail: r.detail } : {}),
  ...(r.reason ? { reason: r.reason } : {}),
  ...(r.kept_as ? { keptAs: r.kept_as } : {}),
})
