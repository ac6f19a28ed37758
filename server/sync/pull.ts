import {
  sql,
  type Expression,
  type ExpressionBuilder,
  type Kysely,
  type SelectQueryBuilder,
  type SqlBool,
} from 'kysely'
import { retentionCutoff } from '../../src/kernel/retention'
import type { Change, PullResponse, RecordKind, Review } from '../../src/kernel/sync-schema'
import type { SessionUser } from '../../src/kernel/users'
import type { Database, RecordsTable } from '../db/database'
import { pullHorizon } from './horizon'

/** The records that are a user's own work to sync: an inspector's own, a supervisor's department's. (Admins: all.) */
export function ownScope(eb: ExpressionBuilder<Database, 'records'>, user: SessionUser): Expression<SqlBool> {
  return user.role === 'supervisor'
    ? eb('records.department', '=', user.department)
    : eb('records.author_id', '=', user.id)
}

/**
 * Who pulls what: everyone their own records (with the reviews and inspection records of their check-ins, which
 * carry the check-in's author), whatever their role. Supervisors and admins read others' records from the server's
 * reports, coverage and GET /api/checkins/:id, not from a phone filled with the department's or the province's.
 */
export function visibleTo<O>(
  q: SelectQueryBuilder<Database, 'records', O>,
  user: SessionUser,
): SelectQueryBuilder<Database, 'records', O> {
  return q.where('records.author_id', '=', user.id)
}

/** What a phone says of itself when it pulls: what it keeps (src/db/retention.ts), and which client it is. */
export interface PullOptions {
  /**
   * The phone lets go of its own synced check-ins that happened before this moment (ISO; its clock, its
   * RETENTION_DAYS): those are not sent, nor their inspection records and reviews. Older phones do not say it,
   * and are sent everything as before.
   */
  keepFrom?: string
  /** The phone's client id: what it pushed itself comes back to it whatever its age, as it always did. */
  clientId?: string
}

/** A canonical review's JSON holds this exactly when it returned the check-in (keys sorted, quotes never escaped). */
const RETURNED = '%"action":"returned"%'

/**
 * Whether the check-in `c` (a row of records under that alias) is one of `user`'s that their phone would let go
 * at once: it happened before `cutoff`, this phone did not push it, and it is not returned awaiting a correction
 * (a returned check-in stays on the phone until one of its corrections is there, src/db/retention.ts), nor the
 * correction of a returned one (which tells a phone holding that one that it is answered). Never null.
 */
function lettingGo(
  eb: ExpressionBuilder<Database, 'records'>,
  c: 'records' | 'c',
  user: SessionUser,
  cutoff: string,
  clientId: string | undefined,
): Expression<SqlBool> {
  // The same test of the row pulled and of an inspection record's or review's check-in (aliased `c`).
  const col = (name: keyof RecordsTable) => sql.ref<string | number | null>(`${c}.${name}`)
  const id = sql.ref<string>(`${c}.id`)
  // A review is filed under its check-in's author (server/review/store.ts): said here, PostgreSQL's plan reads the
  // user's reviews by records_author, not every review in the province with its JSON, for each page of a pull.
  const returned = (checkIn: Expression<string | null>) =>
    eb.exists(
      eb
        .selectFrom('records as rv')
        .select('rv.id')
        .where('rv.author_id', '=', user.id)
        .where('rv.kind', '=', 'review')
        .where('rv.check_in_id', '=', checkIn)
        .where('rv.data', 'like', RETURNED),
    )
  return eb.and([
    eb(col('kind'), '=', 'checkin'),
    eb(col('author_id'), '=', user.id),
    eb(col('deleted'), '=', 0),
    eb(col('occurred_at'), 'is not', null),
    eb(col('occurred_at'), '<', cutoff),
    ...(clientId === undefined ? [] : [eb(col('client_id'), '<>', clientId)]),
    eb.not(returned(sql.ref<string | null>(`${c}.correction_of`))),
    eb.or([
      eb.not(returned(id)),
      eb.exists(
        eb
          .selectFrom('records as k')
          .select('k.id')
          .where('k.kind', '=', 'checkin')
          .where('k.correction_of', '=', id)
          .where('k.author_id', '=', user.id),
      ),
    ]),
  ])
}

/**
 * The moment before which the pull leaves out the phone's own old records: the earlier of what the phone said
 * (its clock) and the server's own RETENTION_DAYS. Never later than the server's window, so nothing it counts as
 * recent is held back from a phone with its clock ahead; a phone with its clock behind is sent what it keeps.
 */
function pullCutoff(keepFrom: string | undefined, now: number): string | undefined {
  const asked = keepFrom === undefined ? NaN : Date.parse(keepFrom)
  if (!Number.isFinite(asked)) return undefined
  const server = retentionCutoff(now)
  return asked < Date.parse(server) ? new Date(asked).toISOString() : server
}

/** A records row as a pull carries it. */
type PulledRow = Pick<Database['records'], 'id' | 'kind' | 'version' | 'data' | 'hash' | 'deleted'>
export const PULLED = ['id', 'kind', 'version', 'data', 'hash', 'deleted'] as const

export const changeOf = (r: PulledRow): Change => ({
  version: r.version,
  kind: r.kind as RecordKind,
  id: r.id,
  deleted: r.deleted === 1,
  hash: r.hash,
  data: r.data === null ? null : (JSON.parse(r.data) as Change['data']),
})

/**
 * Changes after a version cursor that `user` may read, in version order, `limit` at a time. Never by timestamp.
 * With `options.keepFrom` (src/kernel/retention.ts), the user's own check-ins that the phone would let go at once
 * are left out with their inspection records and reviews (the cursor moves past them all the same): a new phone
 * does not download a year to throw it away. "My records" lists them from the server (GET /api/records/mine).
 */
export async function pull(
  db: Kysely<Database>,
  user: SessionUser,
  cursor: number,
  limit: number,
  options: PullOptions = {},
): Promise<PullResponse> {
  // Read first: every version up to the horizon has committed or never will be written (server/sync/horizon.ts),
  // and nothing above it is read, so a version a push commits later is never behind a cursor this answers. Once
  // this page holds every row after the cursor, the cursor may move up to the horizon past others' records: a
  // phone then knows when the versions its next push commits follow straight on, and need not pull them back.
  const horizon = await pullHorizon(db)
  const cutoff = pullCutoff(options.keepFrom, Date.now())
  const { clientId } = options
  let q = visibleTo(db.selectFrom('records').select(PULLED), user)
    .where('version', '>', cursor)
    .where('version', '<=', horizon)
  if (cutoff !== undefined)
    // Left out: such a check-in, and an inspection record or review of one (one this phone pushed excepted).
    q = q.where((eb) =>
      eb.not(
        eb.or([
          lettingGo(eb, 'records', user, cutoff, clientId),
          eb.and([
            eb('records.kind', 'in', ['inspection', 'review']),
            ...(clientId === undefined ? [] : [eb('records.client_id', '<>', clientId)]),
            eb.exists(
              eb
                .selectFrom('records as c')
                .select('c.id')
                .where('c.id', '=', eb.ref('records.check_in_id'))
                .where(() => lettingGo(eb, 'c', user, cutoff, clientId)),
            ),
          ]),
        ]),
      ),
    )
  const rows = await q
    .orderBy('version')
    .limit(limit + 1)
    .execute()
  const page = rows.slice(0, limit)
  const changes = cutoff === undefined ? page.map(changeOf) : await withReturned(db, user, cursor, page.map(changeOf))
  const more = rows.length > limit
  const last = page.at(-1)?.version ?? cursor
  return { changes, cursor: more ? last : Math.max(last, horizon), more }
}

/**
 * A review that returns an old check-in the phone passed earlier (left out of a pull, or let go since): the phone
 * keeps a returned check-in until it is corrected, so the check-in and its inspection records come again with the
 * review, just before it (their versions are below the cursor, the only changes of a page out of version order).
 * One already corrected stays away: the phone would let it go again. Whatever its age by the server's clock: a phone
 * whose clock runs ahead let go of it by its own (pullCutoff sent it all the same), and one that holds it still
 * takes it again as the copy it has.
 */
async function withReturned(
  db: Kysely<Database>,
  user: SessionUser,
  cursor: number,
  changes: Change[],
): Promise<Change[]> {
  const returned = new Set(
    changes.flatMap((c) =>
      c.kind === 'review' && !c.deleted && (c.data as Review | null)?.action === 'returned'
        ? [(c.data as Review).checkInId]
        : [],
    ),
  )
  if (returned.size === 0) return changes
  const ids = [...returned]
  const again = await db
    .selectFrom('records')
    .select(PULLED)
    .select('check_in_id')
    .where('author_id', '=', user.id)
    .where('version', '<=', cursor)
    .where('deleted', '=', 0)
    .where((eb) =>
      eb.or([
        eb.and([
          eb('kind', '=', 'checkin'),
          eb('id', 'in', ids),
          eb.not(
            eb.exists(
              eb
                .selectFrom('records as k')
                .select('k.id')
                .where('k.kind', '=', 'checkin')
                .where('k.correction_of', '=', eb.ref('records.id'))
                .where('k.author_id', '=', user.id),
            ),
          ),
        ]),
        eb.and([eb('kind', '=', 'inspection'), eb('check_in_id', 'in', ids)]),
      ]),
    )
    .orderBy('version')
    .execute()
  const checkIns = new Set(again.flatMap((r) => (r.kind === 'checkin' ? [r.id] : [])))
  const byCheckIn = new Map<string, Change[]>()
  for (const r of again) {
    const of = r.kind === 'checkin' ? r.id : r.check_in_id
    // An inspection record comes again only with its check-in.
    if (of === null || !checkIns.has(of)) continue
    byCheckIn.set(of, [...(byCheckIn.get(of) ?? []), changeOf(r)])
  }
  return changes.flatMap((c) => {
    if (c.kind !== 'review') return [c]
    const id = (c.data as Review | null)?.checkInId
    const before = id === undefined ? undefined : byCheckIn.get(id)
    if (id !== undefined) byCheckIn.delete(id) // once per page, before the first such review
    return before ? [...before, c] : [c]
  })
}
