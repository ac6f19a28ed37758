import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import SQLite from 'better-sqlite3'
import { Kysely, Migrator, SqliteDialect } from 'kysely'
import { OwnSchemaPostgresDialect } from '../../server/db/postgres-dialect'
import pg from 'pg'
import { openStore, type Store } from '../../server/db/database'
import { migrations } from '../../server/db/migrations'
import { PG_URL, type StoreKind } from './server'

/**
 * A database of a test's own (an SQLite file in a folder of its own, or a PostgreSQL schema), for what a migration
 * does to data stored before it: `migratedTo(name)` opens it raw, migrated up to `name` and no further, for the
 * test to store rows as they were then; `open()` then opens it as the server does, running every migration after;
 * `drop()` removes it.
 */
export function databaseBefore(kind: StoreKind, label: string) {
  const dir = mkdtempSync(join(tmpdir(), `zhixun-${label}-`))
  const file = join(dir, 'z.sqlite')
  const schema = `t_${label}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`
  return {
    async migratedTo<DB>(name: string): Promise<Kysely<DB>> {
      let raw: Kysely<DB>
      if (kind === 'sqlite') {
        raw = new Kysely({ dialect: new SqliteDialect({ database: new SQLite(file) }) })
      } else {
        const pool = new pg.Pool({ connectionString: PG_URL, max: 2, options: `-c search_path=${schema}` })
        await pool.query(`CREATE SCHEMA "${schema}"`)
        raw = new Kysely({ dialect: new OwnSchemaPostgresDialect({ pool }, schema) })
      }
      const migrator = new Migrator({
        db: raw,
        provider: { getMigrations: async () => migrations(kind) },
        ...(kind === 'postgres' ? { migrationTableSchema: schema } : {}),
      })
      const { error } = await migrator.migrateTo(name)
      if (error) {
        await raw.destroy()
        throw error
      }
      return raw
    },
    open: (): Promise<Store> => (kind === 'sqlite' ? openStore(file) : openStore(PG_URL, { schema })),
    async drop(): Promise<void> {
      rmSync(dir, { recursive: true, force: true })
      if (kind === 'postgres') {
        const client = new pg.Client({ connectionString: PG_URL })
        await client.connect()
        await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
        await client.end()
      }
    },
  }
}
