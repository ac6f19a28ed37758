import type { Kysely, SelectQueryBuilder } from 'kysely'
import type { Change, PullResponse, RecordKind } from '../../src/sync/schema'
import type { PublicUser } from '../auth/accounts'
import type { Database } from '../db/database'

/** Who reads what: an inspector their own records, a supervisor their department's, an admin all. */
export function visibleTo<O>(q: SelectQueryBuilder<Database, 'records', O>, user: PublicUser): SelectQueryBuilder<Database, 'records', O> {
  if (user.role === 'admin') return q
  if (user.role === 'supervisor') return q.where('records.department', '=', user.department)
  return q.where('records.author_id', '=', user.id)
}

/** Changes after a version cursor that `user` may read, in version order, `limit` at a time. Never by timestamp. */
export async function pull(db: Kysely<Database>, user: PublicUser, cursor: number, limit: number): Promise<PullResponse> {
  const rows = await visibleTo(db.selectFrom('records').select(['id', 'kind', 'version', 'data', 'hash', 'deleted']), user)
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
  return { changes, cursor: page.at(-1)?.version ?? cursor, more: rows.length > limit }
}
