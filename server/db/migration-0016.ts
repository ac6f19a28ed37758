import type { Kysely, Migration } from 'kysely'

/**
 * Regions (src/kernel/regions.ts): each account and each record has the province or one of its cities. Existing
 * accounts become provincial, and so do the records pushed before: a record carries its author's region at push
 * time (server/sync/apply.ts), as it carries their department. A column with a constant default rewrites no row
 * on either database, however many records there are. Campaigns keep theirs in their JSON `data`, absent on
 * those stored before (provincial), so no campaign changes here.
 */
export const migration0016 = (): Migration => ({
  async up(db: Kysely<unknown>) {
    await db.schema
      .alterTable('users')
      .addColumn('region', 'varchar(32)', (c) => c.notNull().defaultTo('province'))
      .execute()
    await db.schema
      .alterTable('records')
      .addColumn('region', 'varchar(32)', (c) => c.notNull().defaultTo('province'))
      .execute()
    // A city supervisor's reports and coverage: their department's records in their city.
    await db.schema
      .createIndex('records_department_region')
      .on('records')
      .columns(['department', 'region', 'kind', 'occurred_at'])
      .execute()
  },
})
