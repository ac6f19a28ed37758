import type { Expression, ExpressionBuilder, Kysely, SelectQueryBuilder, SqlBool } from 'kysely'
import type { Change, PullResponse, RecordKind } from '../../src/kernel/sync-schema'
import type { SessionUser } from '../../src/kernel/users'
import type { Database } from '../db/database'
import { pullHorizon } from './horizon'

/** The records that are a user's own work to sync: an inspector's own, a supervisor's department's. (Admins: all.) */
export function ownScope(eb: ExpressionBuilder<Database, 'records'>, user: SessionUser): Expression<SqlBool> {
  return user.role === 'supervisor'
    ? eb('records.department', '=', user.department)
    : eb('records.author_id', '=', user.id)
}

/**
 * Who pulls what: an inspector and a supervisor their own records (with the reviews and inspection records of
 * their check-ins, which carry the check-in's author), an admin all. A supervisor reads the department's records
 * from the server's reports and GET /api/checkins/:id, not from a phone filled with them.
 */
export function visibleTo<O>(
  q: SelectQueryBuilder<Database, 'records', O>,
  user: SessionUser,
): SelectQueryBuilder<Database, 'records', O> {
  return user.role === 'admin' ? q : q.where('records.author_id', '=', user.id)
}

/** Changes after a version cursor that `user` may read, in version order, `limit` at a time. Never by timestamp. */
export async function pull(
  db: Kysely<Database>,
  user: SessionUser,
  cursor: number,
  limit: number,
): Promise<PullResponse> {
  // Read first: every version up to the horizon has committed or never will be written (server/sync/horizon.ts),
  // and nothing above it is read, so a version a push commits later is never behind a cursor this answers. Once
  // this page holds every row after the cursor, the cursor may move up to the horizon past others' records: a
  // phone then knows when the versions its next push commits follow straight on, and need not pull them back.
  const horizon = await pullHorizon(db)
  const rows = await visibleTo(
    db.selectFrom('records').select(['id', 'kind', 'version', 'data', 'hash', 'deleted']),
    user,
  )
    .where('version', '>', cursor)
    .where('version', '<=', horizon)
    .orderBy('version')
    .limit(limit + 1)
    .execute()
  const page = rows.slice(0, limit)
  const changes: Change[] = page.map((r) => ({
    version: r.version,
    kind: r.kind as RecordKind,
    id: r.id,
    deleted: r.deleted === 1,
    hash: r.hash,
    data: r.data === null ? null : (JSON.parse(r.data) as Change['data']),
  }))
  const more = rows.length > limit
  const last = page.at(-1)?.version ?? cursor
  return { changes, cursor: more ? last : Math.max(last, horizon), more }
}
