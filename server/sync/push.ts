import type { Kysely, Transaction } from 'kysely'
import type { MutationResult, PushRequest, PushResponse } from '../../src/kernel/sync-schema'
import type { SessionUser } from '../../src/kernel/users'
import { appendAudit, pushAuditEntries } from '../audit/log'
import { nowIso, type Database, type MutationsTable } from '../db/database'
import { ApiRefusal } from '../http/errors'
import { applyInOrder, PushWork } from './apply'
import { clockSkewOf } from './chain'
import { checkSignatures } from './signatures'
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

/**
 * Applies a push exactly once: mutations at or below the client's last sequence number are answered from
 * the record of what happened to them; the next ones are applied in order. All of it commits, or none.
 */
export async function push(ctx: PushContext, req: PushRequest): Promise<PushResponse> {
  // The phone's clock against the server's as the push arrived, before it waits for anything.
  const clockSkewMs = clockSkewOf(req.clientTime)
  const batch = await inSequence(req.mutations)
  await authorize(ctx.db, ctx.user, batch)
  // Checked before the transaction: verifying is work for the processor, not while holding the version lock.
  const signings = await checkSignatures(ctx.db, ctx.user, batch)
  return ctx.db.transaction().execute(async (tx) => {
    const version = await lockVersion(tx)
    const lastSeq = await claimClient(tx, req.clientId, ctx.user)
    const { replayed, fresh } = classify(batch, lastSeq, await keptMutations(tx, req.clientId, batch, lastSeq))
    const work = new PushWork(tx, req.clientId, ctx.user, { version, lastSeq }, clockSkewMs)
    work.signings = signings
    await work.prefetch(
      fresh.flatMap((m) => [m.claims.recordId ?? [], m.claims.correctionOf ?? [], m.claims.checkInId ?? []].flat()),
    )
    await work.prefetchPhotos(fresh.flatMap((m) => m.claims.photos ?? []))
    await work.certificates.prefetchPeople([ctx.user.id, ...fresh.flatMap((m) => m.claims.people ?? [])])
    await work.certificates.prefetchCampaigns(fresh.flatMap((m) => m.claims.campaign ?? []))
    await work.prepareChains(fresh)
    const applied = await applyInOrder(work, ctx.taskNumbers, fresh)
    await writeWork(tx, work)
    await ctx.beforeCommit?.(tx)
    return {
      lastProcessedSeq: work.lastSeq,
      results: [...(await replayedSignatures(tx, batch, replayed)), ...(await committed(tx, work, fresh, applied))],
      ...(work.lastVersion > version ? { versions: { from: version + 1, to: work.lastVersion } } : {}),
    }
  })
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
 * Takes the version counter's row and answers its value. Taking it first serializes pushes, so versions
 * commit in the order they are handed out and a pull never skips a version that commits later.
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

/** Writes the work in batches (100 rows; photo links 500), moves the client's sequence and the version counter on. */
export async function writeWork(tx: Tx, work: PushWork): Promise<void> {
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
  if (work.lastVersion !== work.start.version)
    await tx.updateTable('counters').set({ value: work.lastVersion }).where('name', '=', 'version').execute()
}
