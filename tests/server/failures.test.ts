/**
 * What the server answers when something fails that was not refused on purpose: the database out of reach
 * or busy is a 503 with Retry-After and nothing done; anything else is a bug, a 500 logged with its stack.
 */
import SQLite from 'better-sqlite3'
import { sql } from 'kysely'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildServer } from '../../server/app'
import { openStore } from '../../server/db/database'
import { conflictingTransaction, databaseUnavailable } from '../../server/http/errors'
import type { PushResponse } from '../../src/kernel/sync-schema'
import { makeCheckIn } from '../helpers/records'
import { describeOn, describeStores, makeDist, makeServer, PG_URL, signedIn, type TestServer } from '../helpers/server'
import { tcpProxy, type TcpProxy } from '../helpers/tcp-proxy'

const pgError = (code: string, message = `simulated ${code}`) =>
  Object.assign(new pg.DatabaseError(message, 0, 'error'), { code })
const sqliteError = (code: string, message = `simulated ${code}`) => new SQLite.SqliteError(message, code)
/** What a push answered of each mutation, without what it found of signatures. */
const outcomes = (res: { json(): unknown }) =>
  (res.json() as PushResponse).results.map(({ seq, status }) => ({ seq, status }))
const nodeError = (code: string) => Object.assign(new Error(`connect ${code} 127.0.0.1:5432`), { code })

describe('which failures are the database being unavailable', () => {
  it('names SQLite busy and locked, connections refused or ended, and PostgreSQL classes 08 and 53, 57P01, 40001, 40P01', () => {
    const unavailable: unknown[] = [
      sqliteError('SQLITE_BUSY', 'database is locked'),
      sqliteError('SQLITE_BUSY_SNAPSHOT'),
      sqliteError('SQLITE_LOCKED'),
      sqliteError('SQLITE_LOCKED_SHAREDCACHE'),
      sqliteError('SQLITE_FULL', 'database or disk is full'),
      pgError('08006', 'connection failure'),
      pgError('08001'),
      pgError('53300', 'sorry, too many clients already'),
      pgError('53100', 'could not extend file: No space left on device'),
      pgError('57P01', 'terminating connection due to administrator command'),
      pgError('57P03', 'the database system is starting up'),
      pgError('40001', 'could not serialize access'),
      pgError('40P01', 'deadlock detected'),
      nodeError('ECONNREFUSED'),
      nodeError('ECONNRESET'),
      new AggregateError([nodeError('ECONNREFUSED'), nodeError('ECONNREFUSED')], 'connect failed'),
      new Error('Connection terminated unexpectedly'),
      new Error('timeout exceeded when trying to connect'),
      new Error('Client has encountered a connection error and is not queryable'),
      new Error('wrapped', { cause: pgError('57P01') }),
    ]
    for (const err of unavailable) expect(databaseUnavailable(err), String(err)).toBe(true)
  })

  it('takes everything else for a bug', () => {
    const bugs: unknown[] = [
      new Error('boom'),
      new TypeError("Cannot read properties of undefined (reading 'id')"),
      new RangeError('Maximum call stack size exceeded'),
      pgError('22001', 'value too long for type character varying(200)'),
      pgError('22021', 'invalid byte sequence for encoding "UTF8": 0x00'),
      pgError('22003', 'value "9999999999" is out of range for type integer'),
      pgError('23505', 'duplicate key value violates unique constraint'),
      pgError('42P01', 'relation "records" does not exist'),
      pgError('57014', 'canceling statement due to statement timeout'),
      // A database error whose message happens to read like a connection's end is still its SQLSTATE's.
      pgError('XX000', 'Connection terminated unexpectedly'),
      sqliteError('SQLITE_CONSTRAINT_UNIQUE'),
      sqliteError('SQLITE_ERROR', 'no such table: records'),
      sqliteError('SQLITE_READONLY', 'attempt to write a readonly database'),
      sqliteError('SQLITE_IOERR'),
      new Error('Connection terminated by the phone'),
      'a string',
      undefined,
    ]
    for (const err of bugs) expect(databaseUnavailable(err), String(err)).toBe(false)
  })

  it('retries only a transaction that lost a race: a serialization failure, a deadlock, a stale SQLite snapshot', () => {
    for (const err of [pgError('40001'), pgError('40P01'), sqliteError('SQLITE_BUSY_SNAPSHOT')])
      expect(conflictingTransaction(err)).toBe(true)
    for (const err of [pgError('08006'), sqliteError('SQLITE_BUSY'), new Error('boom')])
      expect(conflictingTransaction(err)).toBe(false)
  })
})

describeStores('a push that fails on %s', (kind) => {
  let s: TestServer
  let me: { user: { id: string }; cookie: string }
  /** What the next pushes throw just before they commit, one each. */
  const failures: unknown[] = []
  const logged: Record<string, unknown>[] = []
  beforeAll(async () => {
    s = await makeServer(kind, {
      logger: { level: 'warn', stream: { write: (line: string) => void logged.push(JSON.parse(line)) } },
      beforePushCommit: () => {
        const failure = failures.shift()
        if (failure !== undefined) throw failure
      },
    })
    me = await signedIn(s)
  })
  afterAll(() => s.close())

  let clientNo = 0
  const newClient = () => `fail-${kind}-${++clientNo}-${Math.random().toString(36).slice(2, 8)}`
  const push = (clientId: string, args: unknown) =>
    s.app.inject({
      method: 'POST',
      url: '/api/sync/push',
      headers: { cookie: me.cookie },
      payload: { clientId, mutations: [{ seq: 1, name: 'checkin.create', args }] },
    })
  const count = async (table: 'records' | 'mutations') =>
    Number(
      (
        await s.store.db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    )

  it('answers a bug with 500 internal (no Retry-After), logs its stack, commits and rejects nothing; the retry applies once', async () => {
    const client = newClient()
    const checkIn = makeCheckIn({ authorId: me.user.id })
    const before = { records: await count('records'), mutations: await count('mutations') }
    failures.push(new TypeError('simulated bug: cannot read properties of undefined'))
    const res = await push(client, checkIn)
    expect(res.statusCode).toBe(500)
    expect(res.json()).toEqual({ error: 'internal', message: expect.any(String) })
    expect(res.headers['retry-after']).toBeUndefined()
    expect({ records: await count('records'), mutations: await count('mutations') }).toEqual(before)
    const entry = logged.find((l) => (l.err as { message?: string } | undefined)?.message?.includes('simulated bug'))
    expect(entry).toMatchObject({ level: 50, err: { type: 'TypeError', stack: expect.stringContaining('TypeError') } })
    const retry = await push(client, checkIn)
    expect(retry.statusCode).toBe(200)
    expect(outcomes(retry)).toEqual([{ seq: 1, status: 'applied' }])
    expect(await count('records')).toBe(before.records + 1)
  })

  const lostRace = () =>
    kind === 'postgres' ? pgError('40P01', 'deadlock detected') : sqliteError('SQLITE_BUSY_SNAPSHOT')

  it('runs a push that lost a race with another transaction once more, and it applies once', async () => {
    const before = await count('records')
    failures.push(lostRace())
    const res = await push(newClient(), makeCheckIn({ authorId: me.user.id }))
    expect(res.statusCode).toBe(200)
    expect(outcomes(res)).toEqual([{ seq: 1, status: 'applied' }])
    expect(await count('records')).toBe(before + 1)
  })

  it('answers a race lost twice with 503 and Retry-After, with nothing committed and no record rejected', async () => {
    const client = newClient()
    const before = { records: await count('records'), mutations: await count('mutations') }
    failures.push(lostRace(), lostRace())
    const res = await push(client, makeCheckIn({ authorId: me.user.id }))
    expect(res.statusCode).toBe(503)
    expect(res.headers['retry-after']).toBe('2')
    expect(res.json()).toMatchObject({ error: 'unavailable' })
    expect({ records: await count('records'), mutations: await count('mutations') }).toEqual(before)
    expect(logged.some((l) => l.level === 40 && l.msg === 'database unavailable')).toBe(true)
  })
})

/** The host and port of the test database, for a proxy in front of it. */
function pgTarget(): { host: string; port: number } {
  const url = new URL(PG_URL)
  return { host: url.hostname, port: Number(url.port || 5432) }
}

describeOn('postgres', 'PostgreSQL going away in the middle of a push', () => {
  let s: TestServer
  let me: { user: { id: string }; cookie: string }
  let schema: string
  let cutNextPush = false
  let cut = 0

  /** Ends, from another connection, the server's connection that holds its block of versions: the push's. */
  async function cutPushConnection(): Promise<void> {
    const admin = new pg.Client({ connectionString: PG_URL })
    await admin.connect()
    try {
      const { rowCount } = await admin.query(
        `select pg_terminate_backend(pid) from pg_locks
          where relation = $1::regclass and pid <> pg_backend_pid() and granted`,
        [`"${schema}".inflight_versions`],
      )
      cut += rowCount ?? 0
    } finally {
      await admin.end()
    }
  }

  beforeAll(async () => {
    s = await makeServer('postgres', {
      beforePushCommit: async () => {
        if (!cutNextPush) return
        cutNextPush = false
        await cutPushConnection()
      },
    })
    schema = (await sql<{ schema: string }>`select current_schema() as schema`.execute(s.store.db)).rows[0]!.schema
    me = await signedIn(s)
  })
  afterAll(() => s.close())

  it('answers 503 with Retry-After when its connection is cut before it commits; nothing is committed or rejected, the retry applies once', async () => {
    const clientId = `cut-${Math.random().toString(36).slice(2, 10)}`
    const checkIn = makeCheckIn({ authorId: me.user.id })
    const body = { clientId, mutations: [{ seq: 1, name: 'checkin.create', args: checkIn }] }
    const send = () =>
      s.app.inject({ method: 'POST', url: '/api/sync/push', headers: { cookie: me.cookie }, payload: body })
    cutNextPush = true
    const res = await send()
    expect(cut).toBe(1)
    expect(res.statusCode).toBe(503)
    expect(res.headers['retry-after']).toBe('2')
    expect(res.json()).toMatchObject({ error: 'unavailable' })
    expect(await s.store.db.selectFrom('records').select('id').where('id', '=', checkIn.id).execute()).toEqual([])
    expect(await s.store.db.selectFrom('mutations').select('seq').where('client_id', '=', clientId).execute()).toEqual(
      [],
    )
    const retry = await send()
    expect(retry.statusCode).toBe(200)
    expect(outcomes(retry)).toEqual([{ seq: 1, status: 'applied' }])
  })
})

describeOn('postgres', 'PostgreSQL out of reach', () => {
  const dist = makeDist()
  let proxy: TcpProxy
  let app: Awaited<ReturnType<typeof buildServer>>
  let store: Awaited<ReturnType<typeof openStore>>
  let me: { user: { id: string }; cookie: string }
  const schema = `t_gone_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`

  beforeAll(async () => {
    proxy = await tcpProxy(pgTarget())
    const url = new URL(PG_URL)
    url.port = String(proxy.port)
    store = await openStore(url.toString(), { schema })
    app = await buildServer({ distDir: dist.dir, store })
    me = await signedIn({ app, store })
  })
  afterAll(async () => {
    await app.close()
    await store.close()
    await proxy.stop()
    const admin = new pg.Client({ connectionString: PG_URL })
    await admin.connect()
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
    await admin.end()
    dist.remove()
  })

  it('answers pushes and health with 503 while the database is gone, and works again once it is back', async () => {
    const clientId = `gone-${Math.random().toString(36).slice(2, 10)}`
    const mutations = [1, 2].map((seq) => ({
      seq,
      name: 'checkin.create',
      args: makeCheckIn({ authorId: me.user.id }),
    }))
    const send = (upTo: number) =>
      app.inject({
        method: 'POST',
        url: '/api/sync/push',
        headers: { cookie: me.cookie },
        payload: { clientId, mutations: mutations.slice(0, upTo) },
      })
    expect((await send(1)).statusCode).toBe(200)
    const { port } = proxy
    // Every connection cut, and new ones refused: the idle ones in the pool die without ending the process.
    await proxy.stop()
    const res = await send(2)
    expect(res.statusCode).toBe(503)
    expect(res.headers['retry-after']).toBe('2')
    expect(res.json()).toMatchObject({ error: 'unavailable' })
    const health = await app.inject('/api/health')
    expect(health.statusCode).toBe(503)
    expect(health.json()).toMatchObject({
      ok: false,
      database: { read: { ok: false, problem: 'unavailable' }, write: { ok: false, problem: 'unavailable' } },
    })
    // Where the database is stays in the log: anyone may ask for health.
    expect(health.body).not.toMatch(/ECONNREFUSED|127\.0\.0\.1/)
    proxy = await tcpProxy(pgTarget(), port)
    expect((await app.inject('/api/health')).statusCode).toBe(200)
    const again = await send(2)
    expect(again.statusCode).toBe(200)
    expect(outcomes(again)).toEqual([
      { seq: 1, status: 'applied' },
      { seq: 2, status: 'applied' },
    ])
  })
})
