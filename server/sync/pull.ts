import type { Kysely } from 'kysely'
import type { Change, PullResponse, RecordKind } from '../../src/sync/schema'
import type { Database } from '../db/database'

/** Changes after a version cursor, in version order, `limit` at a time. Never by timestamp. */
export async function pull(db: Kysely<Database>, cursor: number, limit: number): Promise<PullResponse> {
  const rows = await db
    .selectFrom('records')
    .select(['id', 'kind', 'version', 'data', 'hash', 'deleted'])
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
