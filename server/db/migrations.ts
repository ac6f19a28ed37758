import { Kysely, Migrator, sql, type Migration, type MigrationProvider } from 'kysely'
import { ZhixunError } from '../../src/kernel/errors'
import type { Dialect } from './database'

/** Migrations live in code so the server needs no files beside it; each is applied once, in order. */
const migrations = (dialect: Dialect): Record<string, Migration> => ({
  '0001_sync': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('clients')
        .addColumn('client_id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('last_seq', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .execute()
      await db.schema
        .createTable('mutations')
        .addColumn('client_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('hash', 'varchar(64)', (c) => c.notNull())
        .addColumn('status', 'varchar(16)', (c) => c.notNull())
        .addColumn('code', 'varchar(32)')
        .addColumn('detail', 'varchar(200)')
        .addColumn('reason', 'text')
        .addColumn('kept_as', 'varchar(64)')
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .addPrimaryKeyConstraint('mutations_pk', ['client_id', 'seq'])
        .execute()
      await db.schema
        .createTable('records')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('kind', 'varchar(16)', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull().unique())
        .addColumn('client_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('task_number', 'integer')
        .addColumn('data', 'text')
        .addColumn('hash', 'varchar(64)')
        .addColumn('deleted', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('conflict_of', 'varchar(64)')
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
        .execute()
      await db.schema
        .createTable('counters')
        .addColumn('name', 'varchar(32)', (c) => c.primaryKey())
        .addColumn('value', 'integer', (c) => c.notNull())
        .execute()
      await sql`insert into counters (name, value) values ('version', 0)`.execute(db)
      await db.schema
        .createTable('photos')
        .addColumn('sha256', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('size', 'integer', (c) => c.notNull())
        .addColumn('type', 'varchar(32)', (c) => c.notNull())
        .addColumn('bytes', dialect === 'postgres' ? 'bytea' : 'blob', (c) => c.notNull())
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .execute()
      await db.schema
        .createTable('photo_uploads')
        .addColumn('sha256', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('size', 'integer', (c) => c.notNull())
        .addColumn('type', 'varchar(32)', (c) => c.notNull())
        .addColumn('received', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .execute()
      await db.schema
        .createTable('photo_chunks')
        .addColumn('id', 'integer', (c) =>
          dialect === 'postgres' ? c.primaryKey().generatedByDefaultAsIdentity() : c.primaryKey().autoIncrement(),
        )
        .addColumn('sha256', 'varchar(64)', (c) => c.notNull())
        .addColumn('offset', 'integer', (c) => c.notNull())
        .addColumn('bytes', dialect === 'postgres' ? 'bytea' : 'blob', (c) => c.notNull())
        .execute()
      await db.schema
        .createIndex('photo_chunks_sha')
        .on('photo_chunks')
        .columns(['sha256', 'offset'])
        .unique()
        .execute()
    },
  },
  '0002_accounts': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('users')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('username', 'varchar(64)', (c) => c.notNull().unique())
        .addColumn('display_name', 'varchar(100)', (c) => c.notNull())
        .addColumn('department', 'varchar(100)', (c) => c.notNull())
        .addColumn('role', 'varchar(16)', (c) => c.notNull())
        .addColumn('password_hash', 'varchar(255)', (c) => c.notNull())
        .addColumn('disabled', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .execute()
      await db.schema
        .createTable('sessions')
        .addColumn('token_hash', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('user_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('expires_at', 'varchar(32)', (c) => c.notNull())
        .execute()
      await db.schema.createIndex('sessions_user').on('sessions').column('user_id').execute()
      await db.schema
        .createTable('login_failures')
        .addColumn('username', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('failures', 'integer', (c) => c.notNull())
        .addColumn('locked_until', 'varchar(32)')
        .addColumn('last_failure_at', 'varchar(32)', (c) => c.notNull())
        .execute()
    },
  },
  '0003_authorship': {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('records').addColumn('author_id', 'varchar(64)').execute()
      await db.schema.alterTable('records').addColumn('department', 'varchar(100)').execute()
      await db.schema.alterTable('clients').addColumn('user_id', 'varchar(64)').execute()
      await db.schema.createIndex('records_author').on('records').columns(['author_id', 'version']).execute()
      await db.schema.createIndex('records_department').on('records').columns(['department', 'version']).execute()
    },
  },
  '0004_campaigns': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('campaigns')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('name', 'varchar(200)', (c) => c.notNull())
        .addColumn('owner_department', 'varchar(100)', (c) => c.notNull())
        .addColumn('data', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('created_by', 'varchar(64)', (c) => c.notNull())
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
        .execute()
      // Who was ever named in a campaign. Rows are only added: an inspector taken off a campaign while a
      // check-in under it waits on their phone can still send it.
      await db.schema
        .createTable('campaign_access')
        .addColumn('campaign_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('user_id', 'varchar(64)', (c) => c.notNull())
        .addPrimaryKeyConstraint('campaign_access_pk', ['campaign_id', 'user_id'])
        .execute()
      await db.schema.alterTable('records').addColumn('campaign_id', 'varchar(64)').execute()
      await db.schema.createIndex('records_campaign').on('records').columns(['campaign_id', 'version']).execute()
    },
  },
})

/**
 * Brings the database up to the latest migration. `schema` names the PostgreSQL schema the tables live in:
 * Kysely otherwise takes another schema's migration tables in the same database for this one's.
 */
export async function migrate(db: Kysely<unknown>, dialect: Dialect, schema?: string): Promise<void> {
  const provider: MigrationProvider = { getMigrations: async () => migrations(dialect) }
  const { error, results } = await new Migrator({ db, provider, migrationTableSchema: schema }).migrateToLatest()
  const failed = results?.find((r) => r.status === 'Error')
  if (error || failed) {
    const message = `database migration ${failed?.migrationName ?? ''} failed: ${String(error)}`
    throw new ZhixunError('migration_failed', message, { cause: error })
  }
}
