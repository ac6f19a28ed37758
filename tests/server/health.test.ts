/**
 * /api/health reads and writes the database, and reports what failed instead of waiting on it; a SQLite file
 * another process holds a lock on turns pushes into quick 503s instead of freezing the server.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { connect, type AddressInfo, type Socket } from 'node:net'
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

  it('starts a health check that arrives with a burst of 100 pulls before their sign-in lookups', async () => {
    // Over real sockets, as a proxy and 100 phones would come: the client sends everything at once, so the server
    // reads all 101 requests in one poll of its event loop. The database's queries are seen in the order run.
    const seen: ('session' | 'health')[] = []
    const db = s.store.db.withPlugin({
      transformQuery: ({ node }) => {
        const text = JSON.stringify(node)
        if (text.includes('"sessions"')) seen.push('session')
        else if (text.includes('"health"')) seen.push('health')
        return node
      },
      transformResult: ({ result }) => Promise.resolve(result),
    })
    const dist = makeDist()
    const app = await buildServer({ distDir: dist.dir, store: { ...s.store, db } })
    try {
      const me = await signedIn({ app, store: s.store })
      await app.listen({ port: 0, host: '127.0.0.1' })
      const { port } = app.server.address() as AddressInfo
      // Every connection open and taken by the server first, then every request written at once: the server reads
      // them in one poll.
      let accepted = 0
      app.server.on('connection', () => accepted++)
      const sockets = await Promise.all(
        Array.from(
          { length: 101 },
          () =>
            new Promise<Socket>((resolve, reject) => {
              const socket = connect(port, '127.0.0.1', () => resolve(socket)).on('error', reject)
            }),
        ),
      )
      while (accepted < sockets.length) await new Promise((resolve) => setTimeout(resolve, 5))
      const statuses = sockets.map(
        (socket) =>
          new Promise<number>((resolve) => {
            let text = ''
            socket.on('data', (d: Buffer) => (text += d.toString('latin1')))
            socket.on('end', () => resolve(Number(/^HTTP\/1\.1 (\d+)/.exec(text)?.[1] ?? 0)))
          }),
      )
      seen.length = 0
      const request = (path: string, cookie?: string) =>
        `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n${cookie ? `Cookie: ${cookie}\r\n` : ''}\r\n`
      sockets.forEach((socket, i) =>
        socket.write(i < 100 ? request('/api/sync/pull?cursor=0&limit=500', me.cookie) : request('/api/health')),
      )
      expect(await Promise.all(statuses)).toEqual(Array(101).fill(200))
      const lookups = seen.filter((q) => q === 'session').length
      expect(lookups).toBeGreaterThanOrEqual(100)
      // On SQLite, taken in one go, all 100 pulls ran before the health check was even read (PostgreSQL's pool
      // already answers between them).
      expect(seen.indexOf('health')).toBeLessThan(50)
    } finally {
      await app.close()
      dist.remove()
    }
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
