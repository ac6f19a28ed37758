import type { Expression, ExpressionBuilder, Kysely, SelectQueryBuilder, SqlBool } from 'kysely'
import type { Change, PullResponse, RecordKind } from '../../src/kernel/sync-schema'
import type { SessionUser } from '../../src/kernel/users'
import type { Database } from '../db/database'

/** The records that are a user's own work to sync: an inspector's own, a supervisor's department's. (Admins: all.) */
export function ownScope(eb: ExpressionBuilder<Database, 'records'>, user: SessionUser): Expression<SqlBool> {
  return user.role === 'supervisor'
    ? eb('records.department', '=', user.department)
    : eb('records.author_id', '=', user.id)
}

/** Who pulls what: an inspector their own records, a supervisor their department's, an admin all. */
export function visibleTo<O>(
  q: SelectQueryBuilder<Database, 'records', O>,
  user: SessionUser,
): SelectQueryBuilder<Database, 'records', O> {
  return user.role === 'admin' ? q : q.where((eb) => ownScope(eb, user))
}

/** Changes after a version cursor that `user` may read, in version order, `limit` at a time. Never by timestamp. */
export async function pull(
  db: Kysely<Database>,
  user: SessionUser,
  cursor: number,
  limit: number,
): Promise<PullResponse> {
  // Read first: every version up to it has committed (pushes commit their versions in order, server/sync/push.ts),
  // so once this page holds every row after the cursor, the cursor may move up to it past others' records: a
  // phone then knows that the versions its next push commits follow straight on, and need not pull them back.
  const latest = await db.selectFrom('counters').select('value').where('name', '=', 'version').executeTakeFirst()
  const rows = await visibleTo(
    db.selectFrom('records').select(['id', 'kind', 'version', 'data', 'hash', 'deleted']),
    user,
  )
    .where('version', '>', cursor)
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
  return { changes, cursor: more ? last : Math.max(last, latest?.value ?? 0), more }
}
