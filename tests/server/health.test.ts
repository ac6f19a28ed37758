/**
 * /api/health reads and writes the database, and reports what failed instead of waiting on it; a SQLite file
 * another process holds a lock on turns pushes into quick 503s instead of freezing the server.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import SQLite from 'better-sqlite3'
import type { FastifyInstance } from 'fastify'
import { sql } from 'kysely'
import pg from 'pg'
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest'
import { buildServer } from '../../server/app'
import { openStore, SQLITE_BUSY_TIMEOUT_MS, type Store } from '../../server/db/database'
import type { PushResponse } from '../../src/kernel/sync-schema'
import { makeCheckIn } from '../helpers/records'
import { describeOn, describeStores, makeDist, makeServer, PG_URL, signedIn, type TestServer } from '../helpers/server'

type Who = { user: { id: string }; cookie: string }

const count = async (store: Store, table: 'records' | 'mutations') =>
  Number(
    (
      await store.db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  )

const pushOne = (app: FastifyInstance, who: Who, clientId: string, seq = 1) =>
  app.inject({
    method: 'POST',
    url: '/api/sync/push',
    headers: { cookie: who.cookie },
    payload: { clientId, mutations: [{ seq, name: 'checkin.create', args: makeCheckIn({ authorId: who.user.id }) }] },
  })

describeStores('health on %s', (kind) => {
  let s: TestServer
  beforeAll(async () => {
    s = await makeServer(kind)
  })
  afterAll(() => s.close())

  it('reads and writes the database, and says so', async () => {
    const res = await s.app.inject('/api/health')
    expect(res.statusCode).toBe(200)
    expect(res.headers['cache-control']).toBe('no-store')
    expect(res.json()).toMatchObject({
      ok: true,
      datasetVersion: expect.any(String),
      database: { ok: true, dialect: kind, read: { ok: true }, write: { ok: true } },
    })
  })
})

describeOn('sqlite', 'a SQLite file another process holds a lock on', () => {
  let dir: string
  let file: string
  let store: Store
  let app: FastifyInstance
  let me: Who
  const dist = makeDist()
  /** Another process's connection to the same file, as `sqlite3` or a backup tool would hold it. */
  let other: SQLite.Database | undefined
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'zhixun-lock-'))
    file = join(dir, 'zhixun.sqlite')
    store = await openStore(file)
    app = await buildServer({ distDir: dist.dir, store })
    me = await signedIn({ app, store })
  })
  afterEach(() => {
    other?.close()
    other = undefined
  })
  afterAll(async () => {
    await app.close()
    await store.close()
    dist.remove()
    rmSync(dir, { recursive: true, force: true })
  })

  it('waits for another connection’s lock only a few tens of milliseconds, not better-sqlite3’s 5 s', async () => {
    const { rows } = await sql<{ timeout: number }>`pragma busy_timeout`.execute(store.db)
    expect(rows[0]?.timeout).toBe(SQLITE_BUSY_TIMEOUT_MS)
    expect(SQLITE_BUSY_TIMEOUT_MS).toBeLessThanOrEqual(100)
  })

  it('while another connection holds the write lock: a push is a 503 with Retry-After that writes nothing, health answers naming the write; after release both succeed', async () => {
    const clientId = `locked-${Math.random().toString(36).slice(2, 10)}`
    const before = { records: await count(store, 'records'), mutations: await count(store, 'mutations') }
    other = new SQLite(file)
    other.exec('BEGIN IMMEDIATE')
    // Both at once: the server answers health while the push meets the lock.
    const [pushed, health] = await Promise.all([pushOne(app, me, clientId), app.inject('/api/health')])
    expect(pushed.statusCode).toBe(503)
    expect(pushed.headers['retry-after']).toBe('2')
    expect(pushed.json()).toMatchObject({ error: 'unavailable' })
    expect(health.statusCode).toBe(503)
    expect(health.headers['retry-after']).toBe('2')
    expect(health.json()).toMatchObject({
      ok: false,
      database: { read: { ok: true }, write: { ok: false, problem: 'locked' } },
    })
    // What failed, not the error's own words: those go to the log.
    expect(health.json().database.write).toEqual({ ok: false, problem: 'locked' })
    other.exec('ROLLBACK')
    expect({ records: await count(store, 'records'), mutations: await count(store, 'mutations') }).toEqual(before)
    expect((await app.inject('/api/health')).statusCode).toBe(200)
    const retry = await pushOne(app, me, clientId)
    expect(retry.statusCode).toBe(200)
    expect((retry.json() as PushResponse).results).toMatchObject([{ seq: 1, status: 'applied' }])
    expect(await count(store, 'records')).toBe(before.records + 1)
  })

  it('reports a database that takes no writes (read-only), while reads still work', async () => {
    await sql`pragma query_only = 1`.execute(store.db)
    try {
      const health = await app.inject('/api/health')
      expect(health.statusCode).toBe(503)
      expect(health.json()).toMatchObject({
        database: { read: { ok: true }, write: { ok: false, problem: 'read_only' } },
      })
    } finally {
      await sql`pragma query_only = 0`.execute(store.db)
    }
    expect((await app.inject('/api/health')).statusCode).toBe(200)
  })
})

describeOn('postgres', 'a PostgreSQL table another client has locked', () => {
  let s: TestServer
  let me: Who
  let schema: string
  let locker: pg.Client
  beforeAll(async () => {
    s = await makeServer('postgres')
    me = await signedIn(s)
    schema = (await sql<{ schema: string }>`select current_schema() as schema`.execute(s.store.db)).rows[0]!.schema
    locker = new pg.Client({ connectionString: PG_URL })
    await locker.connect()
  })
  afterAll(async () => {
    await locker.end()
    await s.close()
  })

  it('health reports the lock for read and write instead of waiting, while a push waits for it and then applies', async () => {
    const clientId = `pglock-${Math.random().toString(36).slice(2, 10)}`
    await locker.query('BEGIN')
    await locker.query(`LOCK TABLE "${schema}".counters IN ACCESS EXCLUSIVE MODE`)
    let released = false
    try {
      const pushing = pushOne(s.app, me, clientId).then((res) => ({ res, released }))
      const health = await s.app.inject('/api/health')
      expect(health.statusCode).toBe(503)
      expect(health.json()).toMatchObject({
        ok: false,
        database: { read: { ok: false, problem: 'locked' }, write: { ok: false, problem: 'locked' } },
      })
      released = true
      await locker.query('COMMIT')
      // The push waited (without holding up health) and went through once the lock was gone.
      const { res, released: afterRelease } = await pushing
      expect(afterRelease).toBe(true)
      expect(res.statusCode).toBe(200)
      expect((res.json() as PushResponse).results).toMatchObject([{ seq: 1, status: 'applied' }])
    } finally {
      if (!released) await locker.query('ROLLBACK')
    }
    expect((await s.app.inject('/api/health')).statusCode).toBe(200)
  })
})
