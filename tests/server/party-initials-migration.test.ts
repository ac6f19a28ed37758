import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import SQLite from 'better-sqlite3'
import { Kysely, Migrator, PostgresDialect, SqliteDialect } from 'kysely'
import pg from 'pg'
import { afterAll, expect, it } from 'vitest'
import { openStore } from '../../server/db/database'
import { migrations } from '../../server/db/migrations'
import { describeStores, PG_URL, type StoreKind } from '../helpers/server'

/** The parties table as migration 0011 left it, before names' pinyin initials were kept. */
interface Before0012 {
  parties: {
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
  }
}

describeStores('migration 0012_party_initials, on %s', (kind: StoreKind) => {
  const dir = mkdtempSync(join(tmpdir(), 'zhixun-0012-'))
  const schema = `t_0012_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`

  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true })
    if (kind === 'postgres') {
      const client = new pg.Client({ connectionString: PG_URL })
      await client.connect()
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
      await client.end()
    }
  })

  it('gives the parties already stored their initials', async () => {
    let raw: Kysely<Before0012>
    if (kind === 'sqlite') {
      raw = new Kysely({ dialect: new SqliteDialect({ database: new SQLite(join(dir, 'z.sqlite')) }) })
    } else {
      const pool = new pg.Pool({ connectionString: PG_URL, max: 2, options: `-c search_path=${schema}` })
      await pool.query(`CREATE SCHEMA "${schema}"`)
      raw = new Kysely({ dialect: new PostgresDialect({ pool }) })
    }
    const at = '2026-11-20T00:00:00.000Z'
    const party = (id: string, name: string) => ({
      id,
      name,
      credit_code: null,
      address: '',
      person_present: '',
      person_role: '',
      phone: '',
      department: '省知识产权局',
      created_by: 'someone',
      created_at: at,
      updated_at: at,
    })
    try {
      const migrator = new Migrator({
        db: raw,
        provider: { getMigrations: async () => migrations(kind) },
        ...(kind === 'postgres' ? { migrationTableSchema: schema } : {}),
      })
      const { error } = await migrator.migrateTo('0011_party_merge')
      if (error) throw error
      await raw
        .insertInto('parties')
        .values([party('p-1', '广州市某某商行'), party('p-2', '<b>A1</b> 档口')])
        .execute()
    } finally {
      await raw.destroy()
    }
    const store = await openStore(kind === 'sqlite' ? join(dir, 'z.sqlite') : PG_URL, {
      ...(kind === 'postgres' ? { schema } : {}),
    })
    try {
      const rows = await store.db.selectFrom('parties').select(['id', 'initials']).orderBy('id').execute()
      expect(rows).toEqual([
        { id: 'p-1', initials: 'gzsmmsh' },
        { id: 'p-2', initials: 'ba1bdk' },
      ])
    } finally {
      await store.close()
    }
  })
})
