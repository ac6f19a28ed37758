import type { Kysely, Migration } from 'kysely'

/**
 * A supervisor's merge of two register entries of the same party (a stall without a credit code recorded
 * twice): one row per merged party naming the party it went into. Nothing of either party is deleted or
 * rewritten; the merged one is left out of lists and read as the party it went into (server/parties/store.ts).
 */
export const migration0011 = (): Migration => ({
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('party_merges')
      .addColumn('party_id', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('into_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('merged_by', 'varchar(64)', (c) => c.notNull())
      .addColumn('merged_at', 'varchar(32)', (c) => c.notNull())
      .execute()
    await db.schema.createIndex('party_merges_into').on('party_merges').column('into_id').execute()
  },
})
