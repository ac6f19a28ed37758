import { mkdirSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import SQLite from 'better-sqlite3'
import { Kysely, type Generated } from 'kysely'
import pg from 'pg'
import { migrate } from './migrations'
import { TurnTakingSqliteDialect } from './sqlite-driver'
import { OwnSchemaPostgresDialect } from './postgres-dialect'
import { ZhixunError } from '../../src/kernel/errors'
import type { UserRole } from '../../src/kernel/users'

/** Ids are varchar(64) in every table: an id any longer names nothing stored. */
export const ID_MAX = 64

/** PostgreSQL's text cannot hold a NUL character: a string with one can be neither stored nor looked up. */
export const storable = (s: string): boolean => !s.includes('\u0000')

/** Whether `id` could name a stored row: short enough for an id column, and text PostgreSQL takes. */
export const isStorableId = (id: string): boolean => id.length <= ID_MAX && storable(id)

/**
 * Text the server writes itself from what a client sent (a rejection's detail or reason naming a field or a
 * value): control characters shown as U+FFFD, at most `max` characters (a `varchar(max)` holds it).
 */
export function storableText(s: string, max: number): string {
  // eslint-disable-next-line no-control-regex
  const clean = s.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '\ufffd')
  const chars = Array.from(clean)
  return chars.length <= max ? clean : `${chars.slice(0, max - 1).join('')}…`
}

/**
 * How long a statement waits for another process's lock on the SQLite file. better-sqlite3 waits
 * synchronously, holding up every other request, so the wait is short: a lock held longer is
 * SQLITE_BUSY, which the client gets as a 503 with Retry-After. Migrations at start-up wait longer.
 */
export const SQLITE_BUSY_TIMEOUT_MS = 20
const SQLITE_MIGRATION_BUSY_TIMEOUT_MS = 5000

/** How long a request waits for a PostgreSQL connection before it is told the database is unavailable. */
export const PG_CONNECT_TIMEOUT_MS = 5000

/**
 * How often PostgreSQL checks that the server behind one of its sessions is still there while a statement runs
 * (`client_connection_check_interval`, PostgreSQL 14 and later). A session waiting on a lock otherwise notices
 * its server gone only once the lock is let go: meanwhile it keeps the session locks of the push it ran, the
 * push's version block looks alive, and every pull on every other server stops below it (server/sync/horizon.ts).
 */
export const PG_DEAD_CLIENT_CHECK_MS = 2000

/** Timestamps are stored as ISO 8601 UTC text, which sorts in time order on both databases. */
export const nowIso = (): string => new Date().toISOString()

export interface ClientsTable {
  client_id: string
  /** The user this phone's sequence belongs to: one client id never speaks for two people. */
  user_id: string | null
  last_seq: number
  created_at: string
  /** The phone's clock minus the server's at its last push that said (ms), and when that was; null before. */
  clock_skew_ms?: number | null
  clock_checked_at?: string | null
}

export interface MutationsTable {
  client_id: string
  seq: number
  hash: string
  status: string
  code: string | null
  detail: string | null
  reason: string | null
  kept_as: string | null
  created_at: string
}

/** Check-ins and field notes, one row each at its latest version; deletes stay as tombstones. */
export interface RecordsTable {
  id: string
  kind: string
  version: number
  client_id: string
  task_number: number | null
  data: string | null
  hash: string | null
  deleted: number
  conflict_of: string | null
  /** Who wrote the record, and their department then: what decides who may read it. */
  author_id: string | null
  department: string | null
  /** The campaign a check-in was made under. */
  campaign_id: string | null
  /** What the push found of the phone's signature (SignatureStatus), and the signature itself as JSON. */
  signature_status: string | null
  signature: string | null
  created_at: string
  updated_at: string
  /** The inspected party a check-in names (its register id). */
  party_id: string | null
  /** The record's place in its creating client's hash chain, and what was found of it (ChainStatus). */
  chain_client: string | null
  chain_seq: number | null
  chain_status: string | null
  /** The phone's clock minus the server's when the push that wrote it arrived (ms); null when it said no time. */
  clock_skew_ms: number | null
  /** Check-ins and inspections: how many of their inspectors held a valid certificate, and the campaign's rule. */
  certified_count: number | null
  two_certified: string | null
  /** An inspection record's check-in (its `checkInId`). */
  check_in_id: string | null
  /**
   * What reports filter and group by, from `data` (server/db/migration-0013.ts): the database's triggers write
   * them with the record, except the check-in's day in Guangdong's time, which the push writes.
   */
  occurred_at?: string | null
  occurred_day?: string | null
  venue_type?: string | null
  outcome?: string | null
  correction_of?: string | null
  plan_id?: string | null
  written_by?: string | null
  /** The author's region (src/kernel/regions.ts) when pushed; 'province' for records from before (migration 0016). */
  region?: string
  /** 1 when a check-in is corrected by a stored check-in of its author (migration 0017), kept by the database. */
  superseded?: number
}

/**
 * What reports count, per campaign and per task, by author and phone (migration 0017), kept by the database's
 * triggers; '' stands for none (no author, department or campaign).
 */
export interface CampaignAuthorsTable {
  campaign_id: string
  written_by: string
  client_id: string
  check_ins: number
  last_at: string | null
}
export interface TaskAuthorsTable {
  task_number: number
  written_by: string
  department: string
  region: string
  campaign_id: string
  client_id: string
  check_ins: number
  notes: number
  last_at: string | null
}

/** Each task number a check-in or note names, once (migration 0013), kept by the database's triggers. */
export interface RecordTasksTable {
  record_id: string
  plan_id: string
  task_number: number
}

/**
 * Every link of a client's hash chain the server has seen, rejected records' too: which record claimed
 * (client, seq), its hash, the previous hash it names, and what was found (ChainStatus). Rows are only added,
 * and their status moves from 'gap' once the missing link arrives.
 */
export interface ChainLinksTable {
  client_id: string
  seq: number
  record_id: string
  hash: string
  prev: string | null
  status: string
  /** The client id of the push that delivered it (another phone, for an imported export). */
  delivered_by: string
  created_at: string
}

/** The public keys phone clients sign records with: each belongs to one user, registered from one client id. */
export interface ClientKeysTable {
  user_id: string
  /** SHA-256 (hex) of the canonical public JWK (src/kernel/signature.ts). */
  key_id: string
  client_id: string
  /** The public JWK, canonical JSON. */
  public_key: string
  created_at: string
}

export interface CountersTable {
  name: string
  value: number
}

export interface PhotosTable {
  sha256: string
  size: number
  type: string
  /** The photo, when `storage` is 'database'; empty when it is kept elsewhere (server/photos/storage.ts). */
  bytes: Buffer
  created_at: string
  /** Where the bytes are: 'database' (this row) or 'folder'. */
  storage: Generated<'database' | 'folder'>
}

/** An unfinished upload: one uploader's, of the photo they announced; it expires a day after it started. */
export interface PhotoUploadsTable {
  id: string
  uploader_id: string
  sha256: string
  size: number
  type: string
  received: number
  created_at: string
}

export interface PhotoChunksTable {
  upload_id: string
  offset: number
  bytes: Buffer
}

/** Who may refer to a stored photo: whoever uploaded every byte of it (the bytes themselves are stored once). */
export interface PhotoOwnersTable {
  user_id: string
  sha256: string
  created_at: string
}

/** Which check-ins refer to which photos: what decides who may read a photo. */
export interface RecordPhotosTable {
  sha256: string
  record_id: string
}

export interface UsersTable {
  id: string
  username: string
  display_name: string
  /** One of the dataset's departments. */
  department: string
  role: UserRole
  /** scrypt$N$r$p$salt$key, base64url parts. */
  password_hash: string
  disabled: number
  created_at: string
  /** The enforcement certificate (执法证) number and its last valid day, YYYY-MM-DD; null when none is recorded. */
  certificate_number: string | null
  certificate_expiry: string | null
  /** The province or a city (src/kernel/regions.ts); the database's default, 'province', when not given. */
  region?: string
}

/** An inspected party; see src/kernel/party.ts. `credit_code` is normalized and unique when present. */
export interface PartiesTable {
  id: string
  name: string
  credit_code: string | null
  address: string
  person_present: string
  person_role: string
  phone: string
  department: string
  created_by: string
  created_at: string
  updated_at: string
  /** Pinyin initials of the name, lower case (server/parties/initials.ts), kept so no search computes them. */
  initials: string
}

/** A party a supervisor merged into another (migration 0011): rows are only added. */
export interface PartyMergesTable {
  party_id: string
  into_id: string
  merged_by: string
  merged_at: string
}

/** Whom a party is filed for: a department (`scope_id` its name) or a campaign (its id). Rows are only added. */
export interface PartyScopesTable {
  party_id: string
  scope: 'department' | 'campaign'
  scope_id: string
  created_at: string
}

/** Only a hash of each session token is stored: a copy of the database signs nobody in. */
export interface SessionsTable {
  token_hash: string
  user_id: string
  created_at: string
  expires_at: string
}

/**
 * Sign-in attempts counted before each password is hashed (server/auth/login-limits.ts): per client address,
 * per username, and per username from one address. Rows expire; an unknown username's are bounded by its
 * address's limit.
 */
export interface LoginLimitsTable {
  scope: 'addr' | 'user' | 'pair'
  key: string
  failures: number
  /** When the current count began, when it last grew, and (per username and address) until when no attempt is taken. */
  first_at: string
  last_at: string
  blocked_until: string | null
}

/** A campaign; its lists and dates are JSON in `data` (see src/campaigns/schema.ts). */
export interface CampaignsTable {
  id: string
  name: string
  owner_department: string
  data: string
  version: number
  created_by: string
  created_at: string
  updated_at: string
}

export interface CampaignAccessTable {
  campaign_id: string
  user_id: string
}

/**
 * What the server did to records, parties and campaigns, and who made it do it (server/audit/log.ts). Rows are
 * only ever added: the database refuses any UPDATE or DELETE of them (migration 0010).
 */
export interface AuditLogTable {
  id: Generated<number>
  at: string
  /** The signed-in user who asked; the client id a push came from. */
  actor_id: string | null
  client_id: string | null
  /** AuditAction: checkin.create, inspection.sign, review.returned, evidence.export … */
  action: string
  target_kind: string
  target_id: string
  /** JSON: what the entry needs beyond its target (hashes, the comment of a review, a campaign's name). */
  detail: string
}

/** The server's Ed25519 key that signs evidence packages: one row, shared by every server on this database. */
export interface ServerKeysTable {
  id: string
  algorithm: string
  public_key_pem: string
  private_key_pem: string
  created_at: string
}

/** A block of versions a push has reserved and not yet committed or given up (server/sync/push.ts). */
export interface InflightVersionsTable {
  from_version: number
  to_version: number
  started_at: string
}

export interface Database {
  campaigns: CampaignsTable
  campaign_access: CampaignAccessTable
  users: UsersTable
  sessions: SessionsTable
  login_limits: LoginLimitsTable
  clients: ClientsTable
  mutations: MutationsTable
  records: RecordsTable
  record_tasks: RecordTasksTable
  campaign_authors: CampaignAuthorsTable
  task_authors: TaskAuthorsTable
  counters: CountersTable
  client_keys: ClientKeysTable
  photos: PhotosTable
  photo_uploads: PhotoUploadsTable
  photo_chunks: PhotoChunksTable
  photo_owners: PhotoOwnersTable
  record_photos: RecordPhotosTable
  parties: PartiesTable
  party_scopes: PartyScopesTable
  party_merges: PartyMergesTable
  chain_links: ChainLinksTable
  audit_log: AuditLogTable
  server_keys: ServerKeysTable
  inflight_versions: InflightVersionsTable
}

export type Dialect = 'sqlite' | 'postgres'
export interface Store {
  db: Kysely<Database>
  dialect: Dialect
  close(): Promise<void>
}

// COUNT(*) and SUM come back from PostgreSQL as strings (int8); integer columns are int4 and stay numbers.
pg.types.setTypeParser(20, (v) => Number(v))

/**
 * Opens the store: PostgreSQL when `url` is a postgres:// URL, otherwise SQLite at `url` (a file path,
 * created with its folder on first start, or ':memory:'). Migrations run before it is returned.
 */
export async function openStore(url: string, options: { schema?: string } = {}): Promise<Store> {
  let db: Kysely<Database>
  let dialect: Dialect
  let sqlite: SQLite.Database | undefined
  if (options.schema !== undefined && !/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(options.schema)) {
    throw new ZhixunError('invalid_schema', `schema name must be letters, digits and underscores: ${options.schema}`)
  }
  if (/^postgres(ql)?:\/\//.test(url)) {
    const pool = new pg.Pool({
      connectionString: url,
      max: 10,
      connectionTimeoutMillis: PG_CONNECT_TIMEOUT_MS,
      ...(options.schema ? { options: `-c search_path=${options.schema}` } : {}),
    })
    // A connection that dies (the database restarted, a network cut) must not end the process: while idle in
    // the pool it is dropped and replaced when next needed; while in use, the query on it fails (a 503, by
    // name) and the pool drops it on release. Without these listeners its 'error' event is uncaught.
    pool.on('error', () => undefined)
    pool.on('connect', (client) => {
      client.on('error', () => undefined)
      // Sent before anything else on the connection; an older PostgreSQL without the setting refuses it, harmlessly.
      client.query(`SET client_connection_check_interval = ${PG_DEAD_CLIENT_CHECK_MS}`).catch(() => undefined)
    })
    db = new Kysely<Database>({ dialect: new OwnSchemaPostgresDialect({ pool }, options.schema) })
    // Servers starting together on one database take turns: `CREATE SCHEMA IF NOT EXISTS` and the migrator's
    // own `CREATE TABLE IF NOT EXISTS` both fail, rather than wait, when another session creates the same
    // thing at the same moment. A session-level advisory lock per schema, held on a connection of its own
    // while the schema is made and migrated, makes the second server find everything done.
    const schema = options.schema
    const lock = await pool.connect().catch(async (err: unknown) => {
      await db.destroy()
      throw err
    })
    try {
      await lock.query('SELECT pg_advisory_lock(hashtext($1))', [`zhixun-migrate:${schema ?? ''}`])
      if (schema) await lock.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`)
      await migrate(db as Kysely<unknown>, 'postgres', schema)
    } catch (err) {
      // Otherwise the pool's connections outlive the failed start and keep the process from exiting.
      lock.release(true)
      await db.destroy()
      throw err
    }
    await lock.query('SELECT pg_advisory_unlock(hashtext($1))', [`zhixun-migrate:${schema ?? ''}`])
    lock.release()
    return { db, dialect: 'postgres', close: () => db.destroy() }
  } else {
    if (url !== ':memory:') mkdirSync(dirname(url), { recursive: true })
    sqlite = new SQLite(url)
    sqlite.pragma('journal_mode = WAL')
    sqlite.pragma('synchronous = NORMAL')
    sqlite.pragma('foreign_keys = ON')
    sqlite.pragma(`busy_timeout = ${SQLITE_MIGRATION_BUSY_TIMEOUT_MS}`)
    db = new Kysely<Database>({ dialect: new TurnTakingSqliteDialect(sqlite) })
    dialect = 'sqlite'
  }
  try {
    await migrate(db as Kysely<unknown>, dialect)
  } catch (err) {
    // Otherwise the pool's connections outlive the failed start and keep the process from exiting.
    await db.destroy()
    throw err
  }
  sqlite?.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`)
  return { db, dialect, close: () => db.destroy() }
}

/**
 * Where the server, `npm run user:add` and `npm run demo` keep their data: PostgreSQL when DATABASE_URL is
 * set (DATABASE_SCHEMA puts the tables in a schema of their own), otherwise the SQLite file under DATA_DIR.
 */
export function databaseFromEnv(env: NodeJS.ProcessEnv = process.env): { url: string; schema?: string } {
  return {
    url: env.DATABASE_URL || resolve(env.DATA_DIR ?? 'data', 'zhixun.sqlite'),
    schema: env.DATABASE_SCHEMA || undefined,
  }
}

export const openStoreFromEnv = (env: NodeJS.ProcessEnv = process.env): Promise<Store> => {
  const { url, schema } = databaseFromEnv(env)
  return openStore(url, { schema })
}
