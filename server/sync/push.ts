import type { Kysely, Transaction } from 'kysely'
import type { MutationResult, PushRequest, PushResponse } from '../../src/kernel/sync-schema'
import type { SessionUser } from '../../src/kernel/users'
import { appendAudit, pushAuditEntries } from '../audit/log'
import { nowIso, type Database, type MutationsTable } from '../db/database'
import { ApiRefusal } from '../http/errors'
import { applyInOrder, PushWork } from './apply'
import { clockSkewOf } from './chain'
import {
  BlockLost,
  lockScopes,
  pushesRunConcurrently,
  releaseBlock,
  reserveVersions,
  takeBlock,
  unlockBlock,
  type VersionBlock,
} from './horizon'
import { checkSignatures, type RecordSigning } from './signatures'
import {
  campaignsNamed,
  classify,
  inSequence,
  processedSeqs,
  refuseForeignCampaigns,
  refuseForgedAuthors,
  type HashedMutation,
} from './push-batch'

export interface PushContext {
  db: Kysely<Database>
  /** The signed-in user pushing; every record must name them as its author. */
  user: SessionUser
  taskNumbers: ReadonlySet<number>
  /** Runs just before commit; tests use it to make the server fail at the worst moment. */
  beforeCommit?: (tx: Transaction<Database>) => void | Promise<void>
}

type Tx = Transaction<Database>

/** How often a push reserves versions again after losing its block (server/sync/horizon.ts BlockLost). */
const RESERVATIONS = 3

/**
 * Applies a push exactly once: mutations at or below the client's last sequence number are answered from
 * the record of what happened to them; the next ones are applied in order. All of it commits, or none.
 *
 * On PostgreSQL pushes run side by side: each reserves its versions first and applies them in a transaction
 * that holds no row every push needs (server/sync/horizon.ts); pushes of one client, or about one record,
 * take turns. On SQLite, which has one writer, a push holds the version counter for its whole transaction.
 */
export async function push(ctx: PushContext, req: PushRequest): Promise<PushResponse> {
  // The phone's clock against the server's as the push arrived, before it waits for anything.
  const clockSkewMs = clockSkewOf(req.clientTime)
  const batch = await inSequence(req.mutations)
  await authorize(ctx.db, ctx.user, batch)
  // Checked before the transaction: verifying is work for the processor, not while holding the version lock.
  const signings = await checkSignatures(ctx.db, ctx.user, batch)
  const input: PushInput = { ...ctx, clientId: req.clientId, batch, signings, clockSkewMs }
  if (!pushesRunConcurrently(ctx.db))
    return ctx.db.transaction().execute(async (tx) => apply(tx, input, { version: await lockVersion(tx) }))
  // One connection for the whole push: it holds the session lock that says its block is alive.
  return ctx.db.connection().execute(async (conn) => {
    for (let attempt = 1; ; attempt++) {
      const block = await reserveFor(conn, req.clientId, ctx.user, batch)
      try {
        return await conn.transaction().execute(async (tx) => {
          if (block) await takeBlock(tx, block)
          await lockScopes(tx, scopeKeys(req.clientId, batch))
          return apply(tx, input, { version: (block?.from ?? 1) - 1, block })
        })
      } catch (err) {
        // Rolled back: the block's row is back, and its versions stay unused.
        if (block) await releaseBlock(conn, block).catch(() => undefined)
        if (!(err instanceof BlockLost)) throw err
        if (attempt === RESERVATIONS)
          throw new ApiRefusal(503, 'unavailable', 'The server is too busy to save this now; nothing was saved', {
            retryAfter: 2,
          })
      } finally {
        // Its row is gone (committed, or deleted just now): the lock says nothing any more. A connection that
        // failed lost its session, and the lock with it.
        if (block) await unlockBlock(conn, block).catch(() => undefined)
      }
    }
  })
}

/** What a push applies, checked before its transaction. */
interface PushInput extends PushContext {
  clientId: string
  batch: readonly HashedMutation[]
  signings: ReadonlyMap<number, RecordSigning>
  clockSkewMs: number | null
}

/**
 * Applies the batch in the push's transaction, its versions following `start.version`. On PostgreSQL they are
 * its `block`'s (none when nothing could be new); on SQLite the counter, held, moves on with the writes.
 */
async function apply(
  tx: Tx,
  input: PushInput,
  start: { version: number; block?: VersionBlock },
): Promise<PushResponse> {
  const { version, block } = start
  const concurrent = pushesRunConcurrently(input.db)
  const lastSeq = await claimClient(tx, input.clientId, input.user)
  const { batch } = input
  const { replayed, fresh } = classify(batch, lastSeq, await keptMutations(tx, input.clientId, batch, lastSeq))
  const room = block ? block.to - block.from + 1 : 0
  const work = new PushWork(tx, input.clientId, input.user, { version, lastSeq }, input.clockSkewMs)
  work.signings = input.signings
  await work.prefetch(
    fresh.flatMap((m) => [m.claims.recordId ?? [], m.claims.correctionOf ?? [], m.claims.checkInId ?? []].flat()),
  )
  await work.prefetchPhotos(fresh.flatMap((m) => m.claims.photos ?? []))
  await work.certificates.prefetchPeople([input.user.id, ...fresh.flatMap((m) => m.claims.people ?? [])])
  await work.certificates.prefetchCampaigns(fresh.flatMap((m) => m.claims.campaign ?? []))
  await work.prepareChains(fresh)
  const applied = await applyInOrder(work, input.taskNumbers, fresh)
  // Each fresh mutation writes at most one version, so the block holds them all, unless it was reserved for
  // fewer (the batch then looked refused): nothing is written yet, and the push reserves again.
  if (concurrent && work.lastVersion > version + room)
    throw new BlockLost(block, `${work.lastVersion - version} versions to write, room for ${room}`)
  await writeWork(tx, work, { moveCounter: !concurrent })
  await input.beforeCommit?.(tx)
  return {
    lastProcessedSeq: work.lastSeq,
    results: [...(await replayedSignatures(tx, batch, replayed)), ...(await committed(tx, work, fresh, applied))],
    // The versions this push wrote, from the first of its block on: the block's unused end is a gap no one
    // writes, left out so a phone whose every version here is a check-in it verified need not pull them back.
    ...(work.lastVersion > version ? { versions: { from: version + 1, to: work.lastVersion } } : {}),
  }
}

/**
 * Reserves as many versions as the batch has mutations after the client's last processed one, as last
 * committed: the push's transaction may find fewer (another push of the client's got there first), never
 * more. None when nothing is new (a replay is answered as before), nor for a push its transaction will refuse
 * as things stand (another user's client id, a gap in the sequence numbers): refused, it uses no versions;
 * not refused after all, it reserves again.
 */
async function reserveFor(
  conn: Kysely<Database>,
  clientId: string,
  user: SessionUser,
  batch: readonly HashedMutation[],
): Promise<VersionBlock | undefined> {
  const client = await conn
    .selectFrom('clients')
    .select(['last_seq', 'user_id'])
    .where('client_id', '=', clientId)
    .executeTakeFirst()
  const lastSeq = client?.last_seq ?? 0
  const fresh = batch.filter((m) => m.seq > lastSeq)
  if (fresh.length === 0 || fresh[0]!.seq !== lastSeq + 1 || (client && client.user_id !== user.id)) return undefined
  return reserveVersions(conn, fresh.length)
}

/**
 * What a push must not apply beside another that touches it too: its client (sequence numbers, clock), the
 * chains its records claim places in, and every record it names (written, corrected, or made from).
 */
export function scopeKeys(clientId: string, batch: readonly HashedMutation[]): string[] {
  const keys = [`client:${clientId}`]
  for (const { claims } of batch) {
    if (claims.chainClient !== undefined) keys.push(`client:${claims.chainClient}`)
    for (const id of [claims.recordId, claims.correctionOf, claims.checkInId])
      if (id !== undefined) keys.push(`record:${id}`)
  }
  return keys
}

/**
 * A check-in or inspection record sent again (its first answer lost: the page was left, the link dropped) is
 * answered with what the server found of its signature, as the first answer was: such a record never changes,
 * so its row still says. Without this the phone never learns that the server verified the signature.
 */
async function replayedSignatures(
  tx: Tx,
  batch: readonly HashedMutation[],
  replayed: readonly MutationResult[],
): Promise<MutationResult[]> {
  const bySeq = new Map(batch.map((m) => [m.seq, m]))
  const idOf = (r: MutationResult) => {
    const m = bySeq.get(r.seq)
    return r.status === 'applied' && m?.signature !== undefined && m.name in ANSWERED_KINDS
      ? m.claims.recordId
      : undefined
  }
  const ids = [...new Set(replayed.flatMap((r) => idOf(r) ?? []))]
  if (ids.length === 0) return [...replayed]
  const found = new Map<string, string | null>()
  for (let i = 0; i < ids.length; i += 500) {
    const rows = await tx
      .selectFrom('records')
      .select(['id', 'signature_status'])
      .where('id', 'in', ids.slice(i, i + 500))
      .execute()
    for (const row of rows) found.set(row.id, row.signature_status)
  }
  return replayed.map((r) => {
    const status = found.get(idOf(r) ?? '')
    return status ? { ...r, signature: status as MutationResult['signature'] } : r
  })
}

/** The mutations whose answers carry the hash and version of the record they stored, and that record's kind. */
const ANSWERED_KINDS: Readonly<Record<string, string>> = {
  'checkin.create': 'checkin',
  'inspection.create': 'inspection',
}

/**
 * Adds to each check-in and inspection record this push wrote the hash and version of its row as stored, read
 * back in the transaction, so the phone can verify what the server holds without pulling it back.
 */
async function committed(
  tx: Tx,
  work: PushWork,
  fresh: readonly HashedMutation[],
  results: readonly MutationResult[],
): Promise<MutationResult[]> {
  const bySeq = new Map(fresh.map((m) => [m.seq, m]))
  const idOf = (r: MutationResult) => {
    const m = bySeq.get(r.seq)
    const kind = m && ANSWERED_KINDS[m.name]
    const id = r.status === 'applied' && kind ? m.claims.recordId : undefined
    return id !== undefined && work.records.get(id)?.kind === kind ? id : undefined
  }
  const ids = [...new Set(results.flatMap((r) => idOf(r) ?? []))]
  const stored = new Map<string, { hash: string | null; version: number }>()
  for (let i = 0; i < ids.length; i += 500) {
    const rows = await tx
      .selectFrom('records')
      .select(['id', 'hash', 'version'])
      .where('id', 'in', ids.slice(i, i + 500))
      .execute()
    for (const row of rows) stored.set(row.id, row)
  }
  return results.map((r) => {
    const row = stored.get(idOf(r) ?? '')
    return row?.hash ? { ...r, hash: row.hash, version: row.version } : r
  })
}

/**
 * Refuses, before anything is read for writing, a push that speaks for someone else: a record naming another
 * author, or a check-in under a campaign that does not exist or never named this user.
 */
export async function authorize(
  db: Kysely<Database>,
  user: SessionUser,
  batch: readonly HashedMutation[],
): Promise<void> {
  refuseForgedAuthors(batch, user)
  const named = campaignsNamed(batch)
  // Even when none could be looked up: a campaign id that could not be stored (a NUL in it) is no one's.
  const allowed =
    named.length === 0
      ? []
      : await db
          .selectFrom('campaign_access')
          .select('campaign_id')
          .where('user_id', '=', user.id)
          .where('campaign_id', 'in', named)
          .execute()
  refuseForeignCampaigns(batch, new Set(allowed.map((a) => a.campaign_id)))
}

/**
 * Takes the version counter's row and answers its value, holding it until the transaction ends: versions
 * handed out this way commit in the order they are handed out. A push on SQLite and a review take versions so;
 * a push on PostgreSQL reserves them instead (server/sync/horizon.ts).
 */
export async function lockVersion(tx: Tx): Promise<number> {
  const counter = await tx
    .updateTable('counters')
    .set((eb) => ({ value: eb('value', '+', 0) }))
    .where('name', '=', 'version')
    .returning('value')
    .executeTakeFirstOrThrow()
  return counter.value
}

/** The client's last processed sequence number; a new client id becomes this user's, and only theirs. */
export async function claimClient(tx: Tx, clientId: string, user: SessionUser): Promise<number> {
  await tx
    .insertInto('clients')
    .values({ client_id: clientId, user_id: user.id, last_seq: 0, created_at: nowIso() })
    .onConflict((oc) => oc.column('client_id').doNothing())
    .execute()
  const client = await tx
    .selectFrom('clients')
    .select(['last_seq', 'user_id'])
    .where('client_id', '=', clientId)
    .executeTakeFirstOrThrow()
  if (client.user_id !== user.id) throw new ApiRefusal(403, 'forged_client', 'This client id belongs to another user')
  return client.last_seq
}

/** What was kept of the batch's mutations that the client has sent before. */
async function keptMutations(
  tx: Tx,
  clientId: string,
  batch: readonly HashedMutation[],
  lastSeq: number,
): Promise<MutationsTable[]> {
  const seqs = processedSeqs(batch, lastSeq)
  if (seqs.length === 0) return []
  return tx.selectFrom('mutations').selectAll().where('client_id', '=', clientId).where('seq', 'in', seqs).execute()
}

/**
 * Writes the work in batches (100 rows; photo links 500), moves the client's sequence on, and the version
 * counter with `moveCounter` (a push holding it; a push with a reserved block has moved it already).
 */
export async function writeWork(tx: Tx, work: PushWork, { moveCounter = true } = {}): Promise<void> {
  // Gaps this push filled settle the records waiting after them: its own rows now, stored ones below.
  const settledStored = work.takeStoredReevaluations()
  const rows = [...work.records.values()]
  for (let i = 0; i < rows.length; i += 100) {
    await tx
      .insertInto('records')
      .values(rows.slice(i, i + 100))
      .onConflict((oc) =>
        oc.column('id').doUpdateSet((eb) => ({
          version: eb.ref('excluded.version'),
          client_id: eb.ref('excluded.client_id'),
          data: eb.ref('excluded.data'),
          hash: eb.ref('excluded.hash'),
          deleted: eb.ref('excluded.deleted'),
          signature_status: eb.ref('excluded.signature_status'),
          signature: eb.ref('excluded.signature'),
          updated_at: eb.ref('excluded.updated_at'),
          // A note saved again is the next link of its phone's chain, sent at that push's clock.
          chain_client: eb.ref('excluded.chain_client'),
          chain_seq: eb.ref('excluded.chain_seq'),
          chain_status: eb.ref('excluded.chain_status'),
          clock_skew_ms: eb.ref('excluded.clock_skew_ms'),
        })),
      )
      .execute()
  }
  await work.chain.write(tx)
  // A gap this push filled settles the record waiting after it, stored by an earlier push (another phone's too).
  for (const r of settledStored) {
    await tx
      .updateTable('records')
      .set({ chain_status: r.status })
      .where('id', '=', r.recordId)
      .where('chain_client', '=', r.clientId)
      .where('chain_seq', '=', r.seq)
      .execute()
  }
  if (work.clockSkewMs !== null) {
    await tx
      .updateTable('clients')
      .set({ clock_skew_ms: work.clockSkewMs, clock_checked_at: nowIso() })
      .where('client_id', '=', work.clientId)
      .execute()
  }
  // Check-ins and inspection records are never rewritten: each one in the work is new, and goes in the audit log.
  await appendAudit(tx, pushAuditEntries(rows, work.user.id, work.clientId))
  for (let i = 0; i < work.recordPhotos.length; i += 500) {
    await tx
      .insertInto('record_photos')
      .values(work.recordPhotos.slice(i, i + 500))
      .onConflict((oc) => oc.columns(['sha256', 'record_id']).doNothing())
      .execute()
  }
  for (let i = 0; i < work.mutations.length; i += 100) {
    await tx
      .insertInto('mutations')
      .values(work.mutations.slice(i, i + 100))
      .execute()
  }
  if (work.lastSeq !== work.start.lastSeq)
    await tx.updateTable('clients').set({ last_seq: work.lastSeq }).where('client_id', '=', work.clientId).execute()
  if (moveCounter && work.lastVersion !== work.start.version)
    await tx.updateTable('counters').set({ value: work.lastVersion }).where('name', '=', 'version').execute()
}
