import type { Kysely, Migration } from 'kysely'

/**
 * The blocks of versions pushes have reserved and not yet committed or given up (server/sync/push.ts): a pull
 * reads only below the oldest of them, so a push need not hold the version counter while it applies. Blocks
 * never overlap, so a block is known by its first version. Only PostgreSQL fills it; SQLite has one writer.
 */
export const migration0015 = (): Migration => ({
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('inflight_versions')
      .addColumn('from_version', 'integer', (c) => c.primaryKey())
      .addColumn('to_version', 'integer', (c) => c.notNull())
      .addColumn('started_at', 'varchar(32)', (c) => c.notNull())
      .execute()
  },
})
