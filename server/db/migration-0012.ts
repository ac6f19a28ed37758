import type { Kysely, Migration } from 'kysely'
import { pinyinInitials } from '../parties/initials'

/**
 * Each party's pinyin initials kept beside its name (its name never changes), so a search by initials and the
 * register a phone syncs read a column instead of running the pinyin library over every party the user may
 * read, at every search and every sync. Parties already stored get theirs now.
 */
export const migration0012 = (): Migration => ({
  async up(db: Kysely<unknown>) {
    await db.schema
      .alterTable('parties')
      .addColumn('initials', 'varchar(400)', (c) => c.notNull().defaultTo(''))
      .execute()
    const parties = db as unknown as Kysely<{ parties: { id: string; name: string; initials: string } }>
    const rows = await parties.selectFrom('parties').select(['id', 'name']).execute()
    for (const r of rows)
      await parties
        .updateTable('parties')
        .set({ initials: pinyinInitials(r.name) })
        .where('id', '=', r.id)
        .execute()
  },
})
