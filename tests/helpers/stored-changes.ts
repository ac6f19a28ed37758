import type { Kysely } from 'kysely'
import type { Database } from '../../server/db/database'
import type { Change, RecordKind } from '../../src/kernel/sync-schema'

/**
 * Every record the server holds, whoever wrote it, in version order and shaped as a pull carries it: what a test
 * compares the phone's records with. (A pull carries its user's own records only, whatever their role.)
 */
export async function storedChanges(db: Kysely<Database>): Promise<Change[]> {
  const rows = await db
    .selectFrom('records')
    .select(['id', 'kind', 'version', 'data', 'hash', 'deleted'])
    .orderBy('version')
    .execute()
  return rows.map((r) => ({
    version: r.version,
    kind: r.kind as RecordKind,
    id: r.id,
    deleted: r.deleted === 1,
    hash: r.hash,
    data: r.data === null ? null : (JSON.parse(r.data) as Change['data']),
  }))
}
