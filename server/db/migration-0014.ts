import type { Kysely, Migration } from 'kysely'

/**
 * Where each stored photo's bytes are (server/photos/storage.ts): 'database' (in the row's `bytes`, as every
 * photo stored before this was) or 'folder' (a file named by its SHA-256; the row's `bytes` is then empty).
 * Adding a column with a constant default rewrites no row on either database, however many photos there are.
 */
export const migration0014 = (): Migration => ({
  async up(db: Kysely<unknown>) {
    await db.schema
      .alterTable('photos')
      .addColumn('storage', 'varchar(16)', (c) => c.notNull().defaultTo('database'))
      .execute()
  },
})
