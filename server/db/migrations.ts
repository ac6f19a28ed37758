import { Kysely, Migrator, sql, type Migration, type MigrationProvider, type NotNull } from 'kysely'
import { ZhixunError } from '../../src/kernel/errors'
import type { Dialect } from './database'
import { migration0010 } from './migration-0010'
import { migration0011 } from './migration-0011'
import { migration0012 } from './migration-0012'
import { migration0013 } from './migration-0013'
import { migration0014 } from './migration-0014'
import { migration0015 } from './migration-0015'
import { migration0016 } from './migration-0016'
import { migration0017 } from './migration-0017'
import { migration0018 } from './migration-0018'

/** Migrations live in code so the server needs no files beside it; each is applied once, in order. */
export const migrations = (dialect: Dialect): Record<string, Migration> => ({
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
  // Photos belong to whoever uploaded every byte of them, and are read through the check-ins that refer to
  // them (record_photos), never by searching records' JSON for a hash.
  '0005_photo_ownership': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('record_photos')
        .addColumn('sha256', 'varchar(64)', (c) => c.notNull())
        .addColumn('record_id', 'varchar(64)', (c) => c.notNull())
        .addPrimaryKeyConstraint('record_photos_pk', ['sha256', 'record_id'])
        .execute()
      await db.schema
        .createTable('photo_owners')
        .addColumn('user_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('sha256', 'varchar(64)', (c) => c.notNull())
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .addPrimaryKeyConstraint('photo_owners_pk', ['user_id', 'sha256'])
        .execute()
      // Unfinished uploads now belong to their uploader. Those begun before had none to give them: they are
      // dropped, and the phone, which asks where to resume before every upload, starts again at byte 0.
      await db.schema.dropTable('photo_chunks').execute()
      await db.schema.dropTable('photo_uploads').execute()
      await db.schema
        .createTable('photo_uploads')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('uploader_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('sha256', 'varchar(64)', (c) => c.notNull())
        .addColumn('size', 'integer', (c) => c.notNull())
        .addColumn('type', 'varchar(32)', (c) => c.notNull())
        .addColumn('received', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .execute()
      await db.schema
        .createIndex('photo_uploads_uploader')
        .on('photo_uploads')
        .columns(['uploader_id', 'sha256'])
        .unique()
        .execute()
      await db.schema.createIndex('photo_uploads_created').on('photo_uploads').column('created_at').execute()
      await db.schema
        .createTable('photo_chunks')
        .addColumn('upload_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('offset', 'integer', (c) => c.notNull())
        .addColumn('bytes', dialect === 'postgres' ? 'bytea' : 'blob', (c) => c.notNull())
        .addPrimaryKeyConstraint('photo_chunks_pk', ['upload_id', 'offset'])
        .execute()
      await backfillPhotoOwnership(db as Kysely<PhotoOwnershipTables>)
    },
  },
  // Sign-in attempts are counted before the password is hashed, per address, username and both together
  // (server/auth/login-limits.ts). The old per-username failure counts are dropped: at worst one lockout ends early.
  '0006_login_limits': {
    async up(db: Kysely<unknown>) {
      await db.schema.dropTable('login_failures').ifExists().execute()
      await db.schema
        .createTable('login_limits')
        .addColumn('scope', 'varchar(8)', (c) => c.notNull())
        .addColumn('key', 'varchar(128)', (c) => c.notNull())
        .addColumn('failures', 'integer', (c) => c.notNull())
        .addColumn('first_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('last_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('blocked_until', 'varchar(32)')
        .addPrimaryKeyConstraint('login_limits_pk', ['scope', 'key'])
        .execute()
    },
  },
  // Phones sign their records (src/kernel/signature.ts): each client's public key, and on every record what
  // the push found of its signature. Records from before are 'unsigned', as they were.
  '0007_client_keys': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('client_keys')
        .addColumn('user_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('key_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('client_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('public_key', 'text', (c) => c.notNull())
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .addPrimaryKeyConstraint('client_keys_pk', ['user_id', 'key_id'])
        .execute()
      await db.schema.createIndex('client_keys_client').on('client_keys').column('client_id').execute()
      await db.schema.alterTable('records').addColumn('signature_status', 'varchar(16)').execute()
      await db.schema.alterTable('records').addColumn('signature', 'text').execute()
      await sql`update records set signature_status = 'unsigned' where data is not null`.execute(db)
    },
  },
  // Inspectors' enforcement certificates (执法证) on their accounts (existing accounts have none until an admin
  // sets one), and the register of inspected parties: each party once, known by its credit code when it has
  // one, filed under the departments and campaigns whose inspectors recorded it (party_scopes).
  '0008_credentials_parties': {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('users').addColumn('certificate_number', 'varchar(40)').execute()
      await db.schema.alterTable('users').addColumn('certificate_expiry', 'varchar(10)').execute()
      // One number, one account (many have none): the API checks first, this settles two admins at once.
      await db.schema
        .createIndex('users_certificate_number')
        .on('users')
        .column('certificate_number')
        .unique()
        .execute()
      await db.schema
        .createTable('parties')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('name', 'varchar(200)', (c) => c.notNull())
        .addColumn('credit_code', 'varchar(18)')
        .addColumn('address', 'varchar(300)', (c) => c.notNull())
        .addColumn('person_present', 'varchar(100)', (c) => c.notNull())
        .addColumn('person_role', 'varchar(50)', (c) => c.notNull())
        .addColumn('phone', 'varchar(40)', (c) => c.notNull())
        .addColumn('department', 'varchar(100)', (c) => c.notNull())
        .addColumn('created_by', 'varchar(64)', (c) => c.notNull())
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
        .execute()
      // Both databases let many rows hold no code (NULLs are distinct); one code is one party.
      await db.schema.createIndex('parties_credit_code').on('parties').column('credit_code').unique().execute()
      await db.schema
        .createTable('party_scopes')
        .addColumn('party_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('scope', 'varchar(16)', (c) => c.notNull())
        .addColumn('scope_id', 'varchar(100)', (c) => c.notNull())
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .addPrimaryKeyConstraint('party_scopes_pk', ['party_id', 'scope', 'scope_id'])
        .execute()
      await db.schema.createIndex('party_scopes_scope').on('party_scopes').columns(['scope', 'scope_id']).execute()
    },
  },
  // Tamper evidence and the inspection's flags (server/sync/chain.ts): each record's place in its creating
  // client's hash chain and what was found of it, the phone's clock difference, the certified inspectors
  // counted, and the party inspected. chain_links keeps every link a client's records claimed, rejected
  // records too. Records from before are 'unchained', as they were made.
  '0009_chain_inspections': {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('records').addColumn('party_id', 'varchar(64)').execute()
      await db.schema.alterTable('records').addColumn('chain_client', 'varchar(64)').execute()
      await db.schema.alterTable('records').addColumn('chain_seq', 'integer').execute()
      await db.schema.alterTable('records').addColumn('chain_status', 'varchar(16)').execute()
      await db.schema.alterTable('records').addColumn('clock_skew_ms', 'bigint').execute()
      await db.schema.alterTable('records').addColumn('certified_count', 'integer').execute()
      await db.schema.alterTable('records').addColumn('two_certified', 'varchar(16)').execute()
      // An inspection record's check-in, so a check-in's inspection records are found without reading JSON.
      await db.schema.alterTable('records').addColumn('check_in_id', 'varchar(64)').execute()
      await db.schema.createIndex('records_party').on('records').column('party_id').execute()
      await db.schema.createIndex('records_check_in').on('records').column('check_in_id').execute()
      await db.schema.createIndex('records_chain').on('records').columns(['chain_client', 'chain_seq']).execute()
      await sql`update records set chain_status = 'unchained'`.execute(db)
      await db.schema.alterTable('clients').addColumn('clock_skew_ms', 'bigint').execute()
      await db.schema.alterTable('clients').addColumn('clock_checked_at', 'varchar(32)').execute()
      await db.schema
        .createTable('chain_links')
        .addColumn('client_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('record_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('hash', 'varchar(64)', (c) => c.notNull())
        .addColumn('prev', 'varchar(64)')
        .addColumn('status', 'varchar(16)', (c) => c.notNull())
        .addColumn('delivered_by', 'varchar(64)', (c) => c.notNull())
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .addPrimaryKeyConstraint('chain_links_pk', ['client_id', 'seq'])
        .execute()
      await db.schema.createIndex('chain_links_record').on('chain_links').column('record_id').execute()
    },
  },
  // The append-only audit log and the server's Ed25519 key (server/db/migration-0010.ts).
  '0010_audit_review_keys': migration0010(dialect),
  // A supervisor's merge of two register entries of one party (server/db/migration-0011.ts).
  '0011_party_merge': migration0011(),
  // Parties' pinyin initials as a column (server/db/migration-0012.ts).
  '0012_party_initials': migration0012(),
  // Records' typed, indexed columns and task numbers for SQL reports (server/db/migration-0013.ts).
  '0013_record_columns': migration0013(dialect),
  // Where each photo's bytes are: the database or a folder (server/db/migration-0014.ts).
  '0014_photo_storage': migration0014(),
  // Blocks of versions reserved by pushes still applying: the pull horizon (server/db/migration-0015.ts).
  '0015_push_horizon': migration0015(),
  // Accounts' and records' region, the province or a city (server/db/migration-0016.ts).
  '0016_regions': migration0016(),
  // Superseded check-ins flagged, and report counts kept per author and phone (server/db/migration-0017.ts).
  '0017_report_summaries': migration0017(dialect),
  // Task coverage's latest time right when one statement saves several records again (server/db/migration-0018.ts).
  '0018_task_latest': migration0018(dialect),
})

/** The tables migration 0005 reads and fills, as they stand then (later migrations may change them). */
interface PhotoOwnershipTables {
  records: { id: string; kind: string; data: string | null; author_id: string | null }
  photos: { sha256: string }
  record_photos: { sha256: string; record_id: string }
  photo_owners: { user_id: string; sha256: string; created_at: string }
}

/** The photo hashes a stored check-in's JSON lists. */
function photoHashesOf(data: string | null): string[] {
  try {
    const photos = (JSON.parse(data ?? 'null') as { photos?: unknown } | null)?.photos
    if (!Array.isArray(photos)) return []
    const hashes = photos.map((p) => (p as { sha256?: unknown } | null)?.sha256)
    return [...new Set(hashes.filter((h): h is string => typeof h === 'string' && /^[0-9a-f]{64}$/.test(h)))]
  } catch {
    return []
  }
}

/**
 * Fills record_photos from every stored check-in, a page at a time, and makes the author of each check-in
 * that refers to a stored photo an owner of it: they may keep referring to it, as they did.
 */
async function backfillPhotoOwnership(db: Kysely<PhotoOwnershipTables>): Promise<void> {
  let after = ''
  for (;;) {
    const page = await db
      .selectFrom('records')
      .select(['id', 'data'])
      .where('kind', '=', 'checkin')
      .where('id', '>', after)
      .orderBy('id')
      .limit(500)
      .execute()
    if (page.length === 0) break
    const links = page.flatMap((r) => photoHashesOf(r.data).map((sha256) => ({ sha256, record_id: r.id })))
    for (let i = 0; i < links.length; i += 500) {
      await db
        .insertInto('record_photos')
        .values(links.slice(i, i + 500))
        .onConflict((oc) => oc.doNothing())
        .execute()
    }
    after = page.at(-1)!.id
  }
  await db
    .insertInto('photo_owners')
    .columns(['user_id', 'sha256', 'created_at'])
    .expression(
      db
        .selectFrom('record_photos')
        .innerJoin('records', 'records.id', 'record_photos.record_id')
        .innerJoin('photos', 'photos.sha256', 'record_photos.sha256')
        .where('records.author_id', 'is not', null)
        .select([
          'records.author_id as user_id',
          'record_photos.sha256',
          sql.lit(new Date().toISOString()).as('created_at'),
        ])
        .$narrowType<{ user_id: NotNull }>()
        .distinct(),
    )
    .onConflict((oc) => oc.doNothing())
    .execute()
}

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
