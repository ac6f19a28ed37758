import type { Kysely } from 'kysely'
import type { Database } from '../../server/db/database'
import { changeOf, PULLED } from '../../server/sync/pull'
import type { Change } from '../../src/kernel/sync-schema'

/**
 * Every record the server holds, whoever wrote it, in version order and shaped as a pull carries it: what a test
 * compares the phone's records with. (A pull carries its user's own records only, whatever their role.)
 */
export async function storedChanges(db: Kysely<Database>): Promise<Change[]> {
  const rows = await db.selectFrom('records').select(PULLED).orderBy('version').execute()
  return rows.map(changeOf)
}
