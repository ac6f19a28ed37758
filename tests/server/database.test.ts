import { PostgresIntrospector, sql } from 'kysely'
import pg from 'pg'
import { expect, it } from 'vitest'
import { createUser } from '../../server/auth/accounts'
import { openStore } from '../../server/db/database'
import { appendChunk, startUpload } from '../../server/sync/photos'
import { photoBytes, sha256 } from '../helpers/records'
import { realDataset } from '../helpers/seed'
import { describeOn, makeStore, PG_URL } from '../helpers/server'

describeOn('postgres', 'stores on PostgreSQL', () => {
  it('opens a store in a schema of its own while another schema of the same database is in use', async () => {
    const first = await makeStore('postgres')
    try {
      const second = await makeStore('postgres')
      try {
        const counter = await second.db.selectFrom('counters').select('value').executeTakeFirstOrThrow()
        expect(counter.value).toBe(0)
      } finally {
        await second.close()
      }
    } finally {
      await first.close()
    }
  })

  it('starts while another schema of the database is dropped: the migrator reads only its own schema', async () => {
    // The migrator asks whether its tables exist. Kysely's own introspector read every schema of the database and
    // failed with "schema … does not exist" when another test's schema was dropped while it read (seen in CI).
    // A repeatable-read transaction makes that moment certain: its snapshot still lists the schema dropped after.
    const store = await makeStore('postgres')
    const gone = `t_gone_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`
    const other = new pg.Client({ connectionString: PG_URL })
    await other.connect()
    const readWhileDropped = (read: (trx: typeof store.db) => Promise<{ name: string }[]>) =>
      store.db
        .transaction()
        .setIsolationLevel('repeatable read')
        .execute(async (trx) => {
          await other.query(`CREATE SCHEMA "${gone}"; CREATE TABLE "${gone}".t (a int)`)
          await sql`select 1`.execute(trx)
          await other.query(`DROP SCHEMA "${gone}" CASCADE`)
          return (await read(trx)).map((t) => t.name)
        })
    try {
      await expect(
        readWhileDropped((trx) => new PostgresIntrospector(trx).getTables({ withInternalKyselyTables: true })),
      ).rejects.toThrow(/schema "t_gone_\w+" does not exist/)
      const seen = await readWhileDropped((trx) => trx.introspection.getTables({ withInternalKyselyTables: true }))
      expect(seen).toContain('kysely_migration')
      expect(seen).toContain('records')
      expect(seen).not.toContain('t')
    } finally {
      await other.query(`DROP SCHEMA IF EXISTS "${gone}" CASCADE`)
      await other.end()
      await store.close()
    }
  })

  it('starts five servers at once on a new schema: each opens, the schema and each migration made once', async () => {
    const schema = `t_race_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`
    const client = new pg.Client({ connectionString: PG_URL })
    await client.connect()
    try {
      const opened = await Promise.allSettled(Array.from({ length: 5 }, () => openStore(PG_URL, { schema })))
      for (const o of opened) if (o.status === 'fulfilled') await o.value.close()
      expect(opened.map((o) => (o.status === 'rejected' ? String(o.reason) : 'opened'))).toEqual(
        Array(5).fill('opened'),
      )
      const { rows } = await client.query<{ name: string; n: string }>(
        `SELECT name, count(*) AS n FROM "${schema}".kysely_migration GROUP BY name HAVING count(*) > 1`,
      )
      expect(rows).toEqual([])
    } finally {
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
      await client.end()
    }
  })

  it('takes the same final photo chunk sent to two servers at once: both answer complete, the photo stored once', async () => {
    const first = await makeStore('postgres')
    const schema = (
      await first.db.selectNoFrom((eb) => eb.fn<string>('current_schema', []).as('s')).executeTakeFirstOrThrow()
    ).s
    const second = await openStore(PG_URL, { schema })
    try {
      const { id } = await createUser(first.db, new Set(realDataset.departments.map((d) => d.name)), {
        username: 'two.servers',
        displayName: '两台服务器',
        department: '省知识产权局',
        role: 'inspector',
        password: 'two-servers-password',
      })
      for (let round = 0; round < 8; round++) {
        const bytes = photoBytes(round, 30_000)
        const ref = { sha256: sha256(bytes), size: bytes.length, type: 'image/jpeg' as const }
        await startUpload(first.db, id, ref)
        await appendChunk(first.db, id, ref.sha256, 0, bytes.subarray(0, 20_000))
        const last = bytes.subarray(20_000)
        const answers = await Promise.allSettled([
          appendChunk(first.db, id, ref.sha256, 20_000, last),
          appendChunk(second.db, id, ref.sha256, 20_000, last),
        ])
        expect(answers.map((a) => (a.status === 'fulfilled' ? a.value : String(a.reason)))).toEqual([
          { offset: bytes.length, complete: true },
          { offset: bytes.length, complete: true },
        ])
        const stored = await second.db
          .selectFrom('photos')
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .where('sha256', '=', ref.sha256)
          .executeTakeFirstOrThrow()
        expect(Number(stored.n)).toBe(1)
      }
    } finally {
      await second.close()
      await first.close()
    }
  })
})
