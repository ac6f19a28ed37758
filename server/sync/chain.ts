/**
 * Tamper evidence: each record carries its creating client's id, its sequence number there and the hash of
 * that client's previous record (src/kernel/sync-schema.ts ChainLinkSchema). The server checks every link per
 * creating client, whichever phone delivers the record (an imported export too), counts rejected records as
 * chain members, and keeps what it found on the record: never a reason to refuse one.
 */
import type { Kysely } from 'kysely'
import * as v from 'valibot'
import type { ChainStatus } from '../../src/kernel/campaign-schema'
import { recordHash } from './hash'
import { ChainLinkSchema, type ChainLink } from '../../src/kernel/sync-schema'
import type { SessionUser } from '../../src/kernel/users'
import { isStorableId, nowIso, type ChainLinksTable, type Database } from '../db/database'

export type { ChainStatus }

/** A phone clock further than this from the server's when it pushed is flagged on every record of the push. */
export const CLOCK_SKEW_LIMIT_MS = 5 * 60 * 1000

/** Whether a clock difference (the phone's time minus the server's, ms) is flagged. */
export const clockSkewFlagged = (skewMs: number | null): boolean =>
  skewMs !== null && Math.abs(skewMs) > CLOCK_SKEW_LIMIT_MS

/**
 * The phone's clock minus the server's, in ms, from a push's `clientTime`; null when the phone said none.
 * Measured when the push arrived, before it waits for anything.
 */
export function clockSkewOf(clientTime: string | undefined, serverNow: number = Date.now()): number | null {
  if (clientTime === undefined) return null
  const t = Date.parse(clientTime)
  return Number.isFinite(t) ? Math.round(t - serverNow) : null
}

/** The chain link a record claims: where it stands, and the hash of the record as sent. */
export interface LinkClaim extends ChainLink {
  recordId: string
  hash: string
}

/** The mutations whose records are chain members, and where their record sits in the args. */
const CHAINED = new Set(['checkin.create', 'note.put', 'inspection.create'])

const RecordWithChain = v.object({ id: v.string(), chain: ChainLinkSchema })

/**
 * The link a mutation's record claims, read from its args whether or not they are valid: a record the server
 * rejects (an unknown task, say) is still a member of its client's chain. Undefined when there is no readable
 * chain, or no id that could be stored.
 */
export async function chainClaimOf(m: { name: string; args: unknown }): Promise<LinkClaim | undefined> {
  if (!CHAINED.has(m.name)) return undefined
  const record =
    m.name === 'note.put'
      ? m.args !== null && typeof m.args === 'object'
        ? (m.args as { note?: unknown }).note
        : undefined
      : m.args
  const parsed = v.safeParse(RecordWithChain, record)
  if (!parsed.success || !isStorableId(parsed.output.id) || parsed.output.id.length === 0) return undefined
  try {
    const { clientId, seq, prev } = parsed.output.chain
    return { clientId, seq, prev, recordId: parsed.output.id, hash: await recordHash(record) }
  } catch {
    // Nested too deep to hash: not a record any phone made.
    return undefined
  }
}

const key = (clientId: string, seq: number) => `${clientId}\u0000${seq}`

/** A link whose status changed after it was stored: a gap filled. Its record row, if any, follows. */
export interface Reevaluated {
  recordId: string
  clientId: string
  seq: number
  status: ChainStatus
}

/**
 * The chains a push touches: the stored links around each claimed one, read once, the links this push adds,
 * and the waiting links it settles. Nothing here writes until `write`.
 */
export class ChainBook {
  private readonly links = new Map<string, ChainLinksTable>()
  private readonly added = new Set<string>()
  private readonly changed = new Set<string>()
  /** Chain clients known to belong to someone other than the pusher: their links are not this user's to add. */
  private readonly foreign = new Set<string>()
  readonly reevaluated: Reevaluated[] = []

  constructor(
    private readonly db: Kysely<Database>,
    private readonly user: SessionUser,
    /** The client id of the push delivering the records. */
    private readonly deliveredBy: string,
  ) {}

  /** Reads the stored links next to every claimed one, and who each claimed chain's client belongs to. */
  async prefetch(claims: readonly LinkClaim[]): Promise<void> {
    const byClient = new Map<string, Set<number>>()
    for (const c of claims) {
      const seqs = byClient.get(c.clientId) ?? new Set<number>()
      for (const s of [c.seq - 1, c.seq, c.seq + 1]) if (s >= 1) seqs.add(s)
      byClient.set(c.clientId, seqs)
    }
    const clients = [...byClient.keys()]
    if (clients.length === 0) return
    for (const [clientId, seqSet] of byClient) {
      const seqs = [...seqSet].filter((s) => !this.links.has(key(clientId, s)))
      for (let i = 0; i < seqs.length; i += 500) {
        const rows = await this.db
          .selectFrom('chain_links')
          .selectAll()
          .where('client_id', '=', clientId)
          .where('seq', 'in', seqs.slice(i, i + 500))
          .execute()
        for (const row of rows) this.links.set(key(row.client_id, row.seq), row)
      }
    }
    for (let i = 0; i < clients.length; i += 500) {
      const slice = clients.slice(i, i + 500)
      // A client id is one person's (server/sync/push.ts claimClient); a chain never seen as a client is the
      // person's whose phones delivered its links before.
      const owners = await this.db
        .selectFrom('clients')
        .select(['client_id', 'user_id'])
        .where('client_id', 'in', slice)
        .execute()
      const deliverers = await this.db
        .selectFrom('chain_links')
        .innerJoin('clients', 'clients.client_id', 'chain_links.delivered_by')
        .select(['chain_links.client_id', 'clients.user_id'])
        .where('chain_links.client_id', 'in', slice)
        .distinct()
        .execute()
      for (const o of [...owners, ...deliverers]) {
        if (o.user_id !== null && o.user_id !== this.user.id) this.foreign.add(o.client_id)
      }
    }
  }

  /**
   * Adds the link a record claims and answers what was found of it: `first` (sequence 1, no previous hash),
   * `linked` (the previous link is known and its hash is the one named), `gap` (the previous link has not
   * arrived yet), or `broken` (another hash named, another record in the same place, a previous hash on a
   * first record, or a chain of someone else's client). A link that fills a gap settles the one waiting after it.
   */
  add(claim: LinkClaim): ChainStatus {
    const { clientId, seq, prev } = claim
    if (this.foreign.has(clientId)) return 'broken'
    const existing = this.links.get(key(clientId, seq))
    if (existing) {
      // The same record delivered again (from an imported export, say) stands as it stood.
      return existing.record_id === claim.recordId && existing.hash === claim.hash
        ? (existing.status as ChainStatus)
        : 'broken'
    }
    let status: ChainStatus
    if (seq === 1) status = prev === null ? 'first' : 'broken'
    else {
      const before = this.links.get(key(clientId, seq - 1))
      status = !before ? 'gap' : before.hash === prev ? 'linked' : 'broken'
    }
    const row: ChainLinksTable = {
      client_id: clientId,
      seq,
      record_id: claim.recordId,
      hash: claim.hash,
      prev,
      status,
      delivered_by: this.deliveredBy,
      created_at: nowIso(),
    }
    this.links.set(key(clientId, seq), row)
    this.added.add(key(clientId, seq))
    const after = this.links.get(key(clientId, seq + 1))
    if (after?.status === 'gap') {
      after.status = after.prev === claim.hash ? 'linked' : 'broken'
      if (!this.added.has(key(clientId, seq + 1))) this.changed.add(key(clientId, seq + 1))
      this.reevaluated.push({ recordId: after.record_id, clientId, seq: seq + 1, status: after.status as ChainStatus })
    }
    return status
  }

  /** Writes the new links and the settled ones. */
  async write(db: Kysely<Database>): Promise<void> {
    const rows = [...this.added].map((k) => this.links.get(k)!)
    for (let i = 0; i < rows.length; i += 100) {
      await db
        .insertInto('chain_links')
        .values(rows.slice(i, i + 100))
        .execute()
    }
    for (const k of this.changed) {
      const link = this.links.get(k)!
      await db
        .updateTable('chain_links')
        .set({ status: link.status })
        .where('client_id', '=', link.client_id)
        .where('seq', '=', link.seq)
        .execute()
    }
  }
}
