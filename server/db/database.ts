import { mkdirSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import SQLite from 'better-sqlite3'
import { Kysely, PostgresDialect, SqliteDialect, type Generated } from 'kysely'
import pg from 'pg'
import { migrate } from './migrations'
import { ZhixunError } from '../../src/kernel/errors'
import type { UserRole } from '../../src/kernel/users'

/** Ids are varchar(64) in every table: an id any longer names nothing stored. */
export const ID_MAX = 64

/** Timestamps are stored as ISO 8601 UTC text, which sorts in time order on both databases. */
export const nowIso = (): string => new Date().toISOString()

export interface ClientsTable {
  client_id: string
  /** The user this phone's sequence belongs to: one client id never speaks for two people. */
  user_id: string | null
  last_seq: number
  created_at: string
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
  created_at: string
  updated_at: string
}

export interface CountersTable {
  name: string
  value: number
}

export interface PhotosTable {
  sha256: string
  size: number
  type: string
  bytes: Buffer
  created_at: string
}

export interface PhotoUploadsTable {
  sha256: string
  size: number
  type: string
  received: number
  created_at: string
}

export interface PhotoChunksTable {
  id: Generated<number>
  sha256: string
  offset: number
  bytes: Buffer
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
}

/** Only a hash of each session token is stored: a copy of the database signs nobody in. */
export interface SessionsTable {
  token_hash: string
  user_id: string
  created_at: string
  expires_at: string
}

export interface LoginFailuresTable {
  username: string
  failures: number
  locked_until: string | null
  last_failure_at: string
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

export interface Database {
  campaigns: CampaignsTable
  campaign_access: CampaignAccessTable
  users: UsersTable
  sessions: SessionsTable
  login_failures: LoginFailuresTable
  clients: ClientsTable
  mutations: MutationsTable
  records: RecordsTable
  counters: CountersTable
  photos: PhotosTable
  photo_uploads: PhotoUploadsTable
  photo_chunks: PhotoChunksTable
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
  if (options.schema !== undefined && !/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(options.schema)) {
    throw new ZhixunError('invalid_schema', `schema name must be letters, digits and underscores: ${options.schema}`)
  }
  if (/^postgres(ql)?:\/\//.test(url)) {
    const pool = new pg.Pool({
      connectionString: url,
      max: 10,
      ...(options.schema ? { options: `-c search_path=${options.schema}` } : {}),
    })
    if (options.schema) {
      const client = await pool.connect()
      try {
        await client.query(`CREATE SCHEMA IF NOT EXISTS "${options.schema}"`)
      } finally {
        client.release()
      }
    }
    db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) })
    dialect = 'postgres'
  } else {
    if (url !== ':memory:') mkdirSync(dirname(url), { recursive: true })
    const sqlite = new SQLite(url)
    sqlite.pragma('journal_mode = WAL')
    sqlite.pragma('synchronous = NORMAL')
    sqlite.pragma('foreign_keys = ON')
    sqlite.pragma('busy_timeout = 5000')
    db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) })
    dialect = 'sqlite'
  }
  try {
    await migrate(db as Kysely<unknown>, dialect, dialect === 'postgres' ? options.schema : undefined)
  } catch (err) {
    // Otherwise the pool's connections outlive the failed start and keep the process from exiting.
    await db.destroy()
    throw err
  }
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
