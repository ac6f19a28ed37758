import type { Kysely, Transaction } from 'kysely'
import { canonicalJson, sha256Hex } from '../../src/kernel/canonical'
import {
  isMutationName,
  parseArgs,
  type CheckIn,
  type FieldNote,
  type MutationResult,
  type PushMutation,
  type PushRequest,
  type PushResponse,
  type ReasonCode,
} from '../../src/kernel/sync-schema'
import { uuidv7 } from '../../src/kernel/uuid'
import type { SessionUser } from '../../src/kernel/users'
import type { Database, RecordsTable } from '../db/database'
import { ApiRefusal } from '../http/errors'

export interface PushContext {
  db: Kysely<Database>
  /** The signed-in user pushing; every record must name them as its author. */
  user: SessionUser
  taskNumbers: ReadonlySet<number>
  /** Runs just before commit; tests use it to make the server fail at the worst moment. */
  beforeCommit?: () => void | Promise<void>
}

type Tx = Transaction<Database>
type RecordRow = RecordsTable

const nowIso = () => new Date().toISOString()

/** What one push writes, gathered first and written together, so a large batch costs few statements. */
class PushWork {
  private version: number
  readonly records = new Map<string, RecordRow>()
  readonly mutations: Database['mutations'][] = []

  constructor(
    private readonly tx: Tx,
    readonly clientId: string,
    readonly user: SessionUser,
    startVersion: number,
  ) {
    this.version = startVersion
  }

  nextVersion(): number {
    return ++this.version
  }

  get lastVersion(): number {
    return this.version
  }

  private readonly stored = new Map<string, RecordRow | undefined>()

  /** Reads, in one query, the stored rows of every record a push names, so applying it needs no more. */
  async prefetch(ids: string[]): Promise<void> {
    const wanted = [...new Set(ids)].filter((id) => !this.stored.has(id))
    for (let i = 0; i < wanted.length; i += 500) {
      const slice = wanted.slice(i, i + 500)
      const rows = await this.tx.selectFrom('records').selectAll().where('id', 'in', slice).execute()
      for (const id of slice) this.stored.set(id, undefined)
      for (const row of rows) this.stored.set(row.id, row)
    }
  }

  /** The record as this push has left it so far, or as stored. */
  async record(id: string): Promise<RecordRow | undefined> {
    const mine = this.records.get(id)
    if (mine) return mine
    if (!this.stored.has(id)) await this.prefetch([id])
    return this.stored.get(id)
  }

  put(row: RecordRow): void {
    this.records.set(row.id, row)
  }
}

async function applyCheckIn(
  work: PushWork,
  ctx: PushContext,
  tx: Tx,
  checkIn: CheckIn,
): Promise<Omit<MutationResult, 'seq'>> {
  const unknown = checkIn.taskNumbers.find((n) => !ctx.taskNumbers.has(n))
  if (unknown !== undefined)
    return { status: 'rejected', code: 'unknown_task', detail: String(unknown), reason: `unknown task ${unknown}` }
  const data = canonicalJson(checkIn)
  const hash = await sha256Hex(data)
  const existing = await work.record(checkIn.id)
  if (existing) {
    return existing.hash === hash && existing.kind === 'checkin' && existing.author_id === work.user.id
      ? { status: 'applied' }
      : { status: 'rejected', code: 'id_taken', reason: 'this record id is already used by another record' }
  }
  if (checkIn.photos.length > 0) {
    const wanted = [...new Set(checkIn.photos.map((p) => p.sha256))]
    const stored = await tx.selectFrom('photos').select('sha256').where('sha256', 'in', wanted).execute()
    const missing = wanted.filter((sha) => !stored.some((s) => s.sha256 === sha))
    if (missing.length > 0) {
      throw new ApiRefusal(409, 'photo_missing', 'Upload the photos before the record that refers to them', { missing })
    }
  }
  const at = nowIso()
  work.put({
    id: checkIn.id,
    kind: 'checkin',
    version: work.nextVersion(),
    client_id: work.clientId,
    task_number: checkIn.taskNumbers[0] ?? null,
    data,
    hash,
    deleted: 0,
    conflict_of: null,
    author_id: work.user.id,
    department: work.user.department,
    campaign_id: checkIn.campaignId,
    created_at: at,
    updated_at: at,
  })
  return { status: 'applied' }
}

async function noteRow(
  work: PushWork,
  note: FieldNote,
  conflictOf: string | null,
  createdAt: string,
): Promise<RecordRow> {
  // Only the author writes a note, so the writer is the author.
  const payload = conflictOf ? { ...note, conflictOf } : note
  const data = canonicalJson(payload)
  return {
    id: note.id,
    kind: 'note',
    version: work.nextVersion(),
    client_id: work.clientId,
    task_number: note.taskNumber,
    data,
    hash: await sha256Hex(data),
    deleted: 0,
    conflict_of: conflictOf,
    author_id: work.user.id,
    department: work.user.department,
    campaign_id: null,
    created_at: createdAt,
    updated_at: nowIso(),
  }
}

async function applyNotePut(
  work: PushWork,
  ctx: PushContext,
  args: { note: FieldNote; baseVersion: number | null },
): Promise<Omit<MutationResult, 'seq'>> {
  const { note, baseVersion } = args
  if (!ctx.taskNumbers.has(note.taskNumber)) {
    return {
      status: 'rejected',
      code: 'unknown_task',
      detail: String(note.taskNumber),
      reason: `unknown task ${note.taskNumber}`,
    }
  }
  const current = await work.record(note.id)
  if (current && current.kind !== 'note')
    return { status: 'rejected', code: 'id_taken', reason: 'this record id is already used by another record' }
  if (current && current.author_id !== work.user.id)
    return { status: 'rejected', code: 'not_yours', reason: 'only its author may change a note' }
  if (!current) {
    work.put(await noteRow(work, note, null, nowIso()))
    return { status: 'applied' }
  }
  // The same note, word for word, sent again (from an imported export, say): nothing to change, no conflict.
  if (current.deleted === 0 && current.conflict_of === null && current.hash === (await sha256Hex(canonicalJson(note))))
    return { status: 'applied' }
  if (current.deleted === 0 && (current.version === baseVersion || current.client_id === work.clientId)) {
    work.put(await noteRow(work, note, current.conflict_of, current.created_at))
    return { status: 'applied' }
  }
  // Changed or deleted on the server since this edit's base: keep the edit beside it, overwrite nothing.
  const keptAs = uuidv7()
  work.put(await noteRow(work, { ...note, id: keptAs }, note.id, nowIso()))
  return current.deleted
    ? { status: 'conflict', code: 'deleted', reason: 'deleted on the server', keptAs }
    : { status: 'conflict', code: 'changed', reason: 'changed on the server', keptAs }
}

async function applyNoteDelete(
  work: PushWork,
  args: { id: string; baseVersion: number | null },
): Promise<Omit<MutationResult, 'seq'>> {
  const current = await work.record(args.id)
  if (!current || current.deleted) return { status: 'applied' }
  if (current.kind !== 'note')
    return { status: 'rejected', code: 'not_a_note', reason: 'only field notes can be deleted' }
  if (current.author_id !== work.user.id)
    return { status: 'rejected', code: 'not_yours', reason: 'only its author may delete a note' }
  if (current.version !== args.baseVersion && current.client_id !== work.clientId) {
    return { status: 'conflict', code: 'changed_not_deleted', reason: 'changed on the server; not deleted' }
  }
  work.put({
    ...current,
    client_id: work.clientId,
    version: work.nextVersion(),
    data: null,
    hash: null,
    deleted: 1,
    updated_at: nowIso(),
  })
  return { status: 'applied' }
}

const invalid = (p: { reason: string; field: string }): Omit<MutationResult, 'seq'> => ({
  status: 'rejected',
  code: 'invalid',
  detail: p.field,
  reason: p.reason,
})

async function apply(work: PushWork, ctx: PushContext, tx: Tx, m: PushMutation): Promise<Omit<MutationResult, 'seq'>> {
  if (!isMutationName(m.name)) {
    return {
      status: 'rejected',
      code: 'unknown_mutation',
      detail: m.name.slice(0, 40),
      reason: `unknown mutation ${m.name.slice(0, 40)}`,
    }
  }
  switch (m.name) {
    case 'checkin.create': {
      const parsed = parseArgs('checkin.create', m.args)
      return parsed.ok ? applyCheckIn(work, ctx, tx, parsed.value) : invalid(parsed)
    }
    case 'note.put': {
      const parsed = parseArgs('note.put', m.args)
      return parsed.ok ? applyNotePut(work, ctx, parsed.value) : invalid(parsed)
    }
    case 'note.delete': {
      const parsed = parseArgs('note.delete', m.args)
      return parsed.ok ? applyNoteDelete(work, parsed.value) : invalid(parsed)
    }
  }
}

/** The author a mutation's args name, when they name one. */
function authorIdOf(args: unknown): unknown {
  if (typeof args !== 'object' || args === null) return undefined
  const a = args as { authorId?: unknown; note?: { authorId?: unknown } }
  return 'authorId' in a
    ? a.authorId
    : typeof a.note === 'object' && a.note !== null && 'authorId' in a.note
      ? a.note.authorId
      : undefined
}

/** The campaign a check-in names, when it names one. */
function campaignIdOf(m: PushMutation): string | undefined {
  if (m.name !== 'checkin.create' || typeof m.args !== 'object' || m.args === null) return undefined
  const id = (m.args as { campaignId?: unknown }).campaignId
  return typeof id === 'string' ? id.slice(0, 64) : undefined
}

/** The id of the record a mutation's args name, when they name one; validation comes later. */
function recordIdOf(args: unknown): string[] {
  if (typeof args !== 'object' || args === null) return []
  const a = args as { id?: unknown; note?: { id?: unknown } }
  const id = typeof a.id === 'string' ? a.id : typeof a.note?.id === 'string' ? a.note.id : undefined
  return id && id.length <= 64 ? [id] : []
}

/**
 * Applies a push exactly once: mutations at or below the client's last sequence number are answered from
 * the record of what happened to them; the next ones are applied in order. All of it commits, or none.
 */
export async function push(ctx: PushContext, req: PushRequest): Promise<PushResponse> {
  const hashed = await Promise.all(
    req.mutations.map(async (m) => ({ m, hash: await sha256Hex(canonicalJson({ name: m.name, args: m.args })) })),
  )
  // A phone may send a batch out of order; the sequence numbers say the order.
  hashed.sort((a, b) => a.m.seq - b.m.seq)
  for (let i = 1; i < hashed.length; i++) {
    if (hashed[i]!.m.seq === hashed[i - 1]!.m.seq && hashed[i]!.hash !== hashed[i - 1]!.hash) {
      throw new ApiRefusal(
        409,
        'seq_conflict',
        `sequence number ${hashed[i]!.m.seq} sent twice with different contents`,
        { seq: hashed[i]!.m.seq },
      )
    }
  }

  // A record that names another author is a forgery, not a mistake: the whole push is refused.
  for (const { m } of hashed) {
    const author = authorIdOf(m.args)
    if (author !== undefined && author !== ctx.user.id) {
      throw new ApiRefusal(403, 'forged_author', `Sequence number ${m.seq} names another author`, { seq: m.seq })
    }
  }

  // So is a check-in under a campaign that does not exist or never named this user.
  const campaignIds = [
    ...new Set(hashed.map(({ m }) => campaignIdOf(m)).filter((id): id is string => id !== undefined)),
  ]
  if (campaignIds.length > 0) {
    const allowed = await ctx.db
      .selectFrom('campaign_access')
      .select('campaign_id')
      .where('user_id', '=', ctx.user.id)
      .where('campaign_id', 'in', campaignIds)
      .execute()
    const refused = campaignIds.find((id) => !allowed.some((a) => a.campaign_id === id))
    if (refused !== undefined) {
      const seq = hashed.find(({ m }) => campaignIdOf(m) === refused)!.m.seq
      throw new ApiRefusal(403, 'forged_campaign', `Sequence number ${seq} names a campaign you are not part of`, {
        seq,
      })
    }
  }

  return ctx.db.transaction().execute(async (tx) => {
    // Taking the counter row first serializes pushes, so versions commit in the order they are handed out
    // and a pull never skips a version that commits later.
    const counter = await tx
      .updateTable('counters')
      .set((eb) => ({ value: eb('value', '+', 0) }))
      .where('name', '=', 'version')
      .returning('value')
      .executeTakeFirstOrThrow()
    await tx
      .insertInto('clients')
      .values({ client_id: req.clientId, user_id: ctx.user.id, last_seq: 0, created_at: nowIso() })
      .onConflict((oc) => oc.column('client_id').doNothing())
      .execute()
    const client = await tx
      .selectFrom('clients')
      .select(['last_seq', 'user_id'])
      .where('client_id', '=', req.clientId)
      .executeTakeFirstOrThrow()
    if (client.user_id !== ctx.user.id)
      throw new ApiRefusal(403, 'forged_client', 'This client id belongs to another user')
    const work = new PushWork(tx, req.clientId, ctx.user, counter.value)
    const results: MutationResult[] = []
    let last = client.last_seq
    await work.prefetch(hashed.filter(({ m }) => m.seq > last).flatMap(({ m }) => recordIdOf(m.args)))

    const earlier = hashed.filter(({ m }) => m.seq <= last).map(({ m }) => m.seq)
    const seen = earlier.length
      ? await tx
          .selectFrom('mutations')
          .selectAll()
          .where('client_id', '=', req.clientId)
          .where('seq', 'in', earlier)
          .execute()
      : []
    for (const { m, hash } of hashed) {
      if (m.seq <= last) {
        const prior = seen.find((s) => s.seq === m.seq) ?? work.mutations.find((s) => s.seq === m.seq)
        if (prior && prior.hash !== hash) {
          throw new ApiRefusal(409, 'seq_conflict', `sequence number ${m.seq} was already used for other contents`, {
            seq: m.seq,
          })
        }
        if (prior && !results.some((r) => r.seq === m.seq)) {
          results.push({
            seq: m.seq,
            status: prior.status as MutationResult['status'],
            ...(prior.code ? { code: prior.code as ReasonCode } : {}),
            ...(prior.detail ? { detail: prior.detail } : {}),
            ...(prior.reason ? { reason: prior.reason } : {}),
            ...(prior.kept_as ? { keptAs: prior.kept_as } : {}),
          })
        }
        continue
      }
      if (m.seq !== last + 1) {
        throw new ApiRefusal(409, 'seq_gap', `expected sequence number ${last + 1}, got ${m.seq}`, {
          expected: last + 1,
          lastProcessedSeq: client.last_seq,
        })
      }
      const outcome = await apply(work, ctx, tx, m)
      results.push({ seq: m.seq, ...outcome })
      work.mutations.push({
        client_id: req.clientId,
        seq: m.seq,
        hash,
        status: outcome.status,
        code: outcome.code ?? null,
        detail: outcome.detail ?? null,
        reason: outcome.reason ?? null,
        kept_as: outcome.keptAs ?? null,
        created_at: nowIso(),
      })
      last = m.seq
    }

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
            updated_at: eb.ref('excluded.updated_at'),
          })),
        )
        .execute()
    }
    for (let i = 0; i < work.mutations.length; i += 100) {
      await tx
        .insertInto('mutations')
        .values(work.mutations.slice(i, i + 100))
        .execute()
    }
    if (last !== client.last_seq)
      await tx.updateTable('clients').set({ last_seq: last }).where('client_id', '=', req.clientId).execute()
    if (work.lastVersion !== counter.value)
      await tx.updateTable('counters').set({ value: work.lastVersion }).where('name', '=', 'version').execute()
    await ctx.beforeCommit?.()
    return { lastProcessedSeq: last, results }
  })
}
