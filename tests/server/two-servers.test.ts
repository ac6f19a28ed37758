/**
 * Several server processes on one PostgreSQL schema, as behind a reverse proxy (README: "Several servers behind
 * a reverse proxy"). Real processes (`node --import tsx server/main.ts`), real sockets: what one server keeps
 * in memory the other cannot see, so anything that works here lives in the database. Browser-free.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { connect, createConnection, createServer, type AddressInfo, type Socket } from 'node:net'
import { resolve } from 'node:path'
import pg from 'pg'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createUser } from '../../server/auth/accounts'
import { LOGIN_LIMITS } from '../../server/auth/login-limits'
import { openStore, type Store } from '../../server/db/database'
import { pullHorizon, scopeDigest } from '../../server/sync/horizon'
import { recordHash } from '../../src/kernel/canonical'
import type { Campaign } from '../../src/kernel/campaign-schema'
import type { CheckIn, PullResponse, PushResponse } from '../../src/kernel/sync-schema'
import { makeCheckIn, photoBytes, sha256 } from '../helpers/records'
import { realDataset } from '../helpers/seed'
import { describeOn, makeDist, PG_URL, TEST_PASSWORD } from '../helpers/server'

const ROOT = resolve(import.meta.dirname, '../..')

interface ServerProcess {
  name: string
  child: ChildProcess
  port: number
  url: string
  /** Its exit code, once it has exited. */
  exited: Promise<number | null>
  /** Resolves once a line of its log matches. */
  logged(re: RegExp): Promise<void>
  /** Every line it has written. */
  lines: string[]
}

/** Starts `server/main.ts` as its own process on `schema`; resolves once it listens. */
function startServer(
  name: string,
  databaseUrl: string,
  schema: string,
  distDir: string,
  env: Record<string, string> = {},
) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      DATABASE_SCHEMA: schema,
      DIST_DIR: distDir,
      PORT: '0',
      HOST: '127.0.0.1',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const lines: string[] = []
  const waiting: { re: RegExp; done: () => void }[] = []
  let rest = ''
  const take = (chunk: Buffer) => {
    rest += chunk.toString('utf8')
    const parts = rest.split('\n')
    rest = parts.pop()!
    for (const line of parts) {
      lines.push(line)
      for (const w of waiting.filter((w) => w.re.test(line))) w.done()
    }
  }
  child.stdout!.on('data', take)
  child.stderr!.on('data', take)
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)))
  const logged = (re: RegExp) =>
    new Promise<void>((done, fail) => {
      if (lines.some((l) => re.test(l))) return done()
      waiting.push({ re, done })
      void exited.then((code) => fail(new Error(`${name} exited (${code}) before logging ${re}:\n${lines.join('\n')}`)))
    })
  return logged(/Server listening at http:\/\/127\.0\.0\.1:\d+/).then((): ServerProcess => {
    const port = Number(/listening at http:\/\/127\.0\.0\.1:(\d+)/.exec(lines.join('\n'))![1])
    return { name, child, port, url: `http://127.0.0.1:${port}`, exited, logged, lines }
  })
}

/**
 * A TCP proxy in front of PostgreSQL that holds the first `count` connections until all of them have come, then
 * lets them through together: servers starting at once meet the database at the same moment (otherwise one
 * process loading its code faster than another would have migrated before the next one asks). Later connections
 * pass straight through.
 */
async function startingGate(count: number): Promise<{ url: string; close(): Promise<void> }> {
  const target = new URL(PG_URL)
  const sockets = new Set<Socket>()
  const held: Socket[] = []
  const through = (client: Socket) => {
    const upstream = createConnection({ host: target.hostname, port: Number(target.port || 5432) })
    for (const s of [client, upstream]) {
      sockets.add(s)
      s.on('close', () => sockets.delete(s))
      s.on('error', () => undefined)
    }
    client.pipe(upstream)
    upstream.pipe(client)
    client.on('close', () => upstream.destroy())
    upstream.on('close', () => client.destroy())
  }
  let open = false
  const openGate = () => {
    open = true
    for (const client of held.splice(0)) through(client)
  }
  // Never held for ever: a server that does not come is a failure the test reports, not a hang.
  const timer = setTimeout(openGate, 20_000)
  const server = createServer((client) => {
    if (open) return through(client)
    client.pause()
    held.push(client)
    if (held.length >= count) {
      clearTimeout(timer)
      openGate()
    }
  })
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
  const url = new URL(PG_URL)
  url.hostname = '127.0.0.1'
  url.port = String((server.address() as AddressInfo).port)
  return {
    url: url.toString(),
    async close() {
      clearTimeout(timer)
      const closed = new Promise<void>((done) => server.close(() => done()))
      for (const s of [...sockets, ...held]) s.destroy()
      await closed
    },
  }
}

/**
 * A request of which only `head` (the request line and some headers) has been sent, on a connection of its own;
 * `finish` sends the rest and reads the answer, whose connection the server closes.
 */
async function begunRequest(port: number, head: string) {
  const socket = connect(port, '127.0.0.1')
  await new Promise<void>((done) => socket.once('connect', () => done()))
  socket.write(head)
  const answer = new Promise<string>((done) => {
    let text = ''
    socket.on('data', (d: Buffer) => (text += d.toString('utf8')))
    socket.on('close', () => done(text))
  })
  return {
    async finish(rest: string) {
      socket.end(rest)
      const text = await answer
      const [top = '', body = ''] = text.split('\r\n\r\n', 2)
      const [statusLine = '', ...headerLines] = top.split('\r\n')
      const headers = Object.fromEntries(
        headerLines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]),
      )
      return { status: Number(statusLine.split(' ')[1]), headers, body: JSON.parse(body) as unknown }
    },
  }
}

type Who = { id: string; username: string }
type Answer<T = Record<string, unknown>> = { status: number; body: T; cookie?: string }

describeOn('postgres', 'two server processes on one PostgreSQL schema', () => {
  const schema = `t_two_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`
  let dist: ReturnType<typeof makeDist> | undefined
  let s1: ServerProcess
  let s2: ServerProcess
  /** A third server, started with the others; the SIGTERM test stops it, so the other tests run in any order. */
  let s3: ServerProcess
  /** Started by the test that needs it. */
  /** Servers a test starts for itself, killed at the end if still running. */
  const extras: ServerProcess[] = []
  let gate: Awaited<ReturnType<typeof startingGate>> | undefined
  /** What each of the three said of itself right after starting: health and the evidence key's id. */
  let firstWords: { health: unknown; keyId: unknown }[]
  let store: Store
  let inspector: Who
  let supervisor: Who
  let inspectorCookie: string
  let supervisorCookie: string
  let startMs: number

  async function call<T = Record<string, unknown>>(
    server: ServerProcess,
    method: string,
    path: string,
    opts: { cookie?: string; json?: unknown; body?: Buffer; headers?: Record<string, string> } = {},
  ): Promise<Answer<T>> {
    const headers: Record<string, string> = { ...opts.headers }
    if (opts.cookie) headers.cookie = opts.cookie
    if (opts.json !== undefined) headers['content-type'] = 'application/json'
    const res = await fetch(server.url + path, {
      method,
      headers,
      // A copy in an ArrayBuffer of its own: what fetch's types take.
      body: opts.json !== undefined ? JSON.stringify(opts.json) : opts.body && new Uint8Array(opts.body),
    })
    const text = await res.text()
    const setCookie = res.headers.getSetCookie()[0]
    return {
      status: res.status,
      body: (res.headers.get('content-type')?.startsWith('application/json') ? JSON.parse(text) : text) as T,
      cookie: setCookie?.split(';')[0],
    }
  }

  const departments = new Set(realDataset.departments.map((d) => d.name))
  let userNo = 0
  async function addUser(role: 'inspector' | 'supervisor'): Promise<Who> {
    const username = `${role}.${++userNo}.${Math.random().toString(36).slice(2, 7)}`
    const user = await createUser(store.db, departments, {
      username,
      displayName: `两台${role}`,
      department: '省知识产权局',
      role,
      password: TEST_PASSWORD,
    })
    return { id: user.id, username }
  }
  async function signIn(server: ServerProcess, who: Who): Promise<string> {
    const res = await call(server, 'POST', '/api/auth/login', {
      json: { username: who.username, password: TEST_PASSWORD },
    })
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    return res.cookie!
  }
  const push = (server: ServerProcess, clientId: string, checkIns: CheckIn[], cookie = inspectorCookie) =>
    call<PushResponse>(server, 'POST', '/api/sync/push', {
      cookie,
      json: { clientId, mutations: checkIns.map((args, i) => ({ seq: i + 1, name: 'checkin.create', args })) },
    })
  async function pullAll(server: ServerProcess) {
    const changes: PullResponse['changes'] = []
    for (let cursor = 0; ;) {
      const page = (
        await call<PullResponse>(server, 'GET', `/api/sync/pull?cursor=${cursor}`, { cookie: inspectorCookie })
      ).body
      changes.push(...page.changes)
      cursor = page.cursor
      if (!page.more) return changes
    }
  }
  const storedCount = async (ids: string[]) =>
    Number(
      (
        await store.db
          .selectFrom('records')
          .select((eb) => eb.fn.countAll().as('n'))
          .where('id', 'in', ids)
          .executeTakeFirstOrThrow()
      ).n,
    )
  /** Version blocks registered by pushes not yet committed, once a pull has let go of those of pushes gone. */
  const blocksInFlight = async () => {
    await pullHorizon(store.db)
    return Number(
      (
        await store.db
          .selectFrom('inflight_versions')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    )
  }
  const newClient = () => `two-${Math.random().toString(36).slice(2, 10)}`

  /** Holds a lock that keeps every push from storing a record, until `release`; resolves once a push waits on it. */
  async function holdRecords() {
    const client = new pg.Client({ connectionString: PG_URL })
    await client.connect()
    await client.query('BEGIN')
    await client.query(`LOCK TABLE "${schema}".records IN EXCLUSIVE MODE`)
    return {
      /** Until some other session waits for the lock (a push in its transaction), at most 10 s. */
      async pushWaiting() {
        for (let i = 0; i < 200; i++) {
          const { rows } = await client.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM pg_locks WHERE relation = $1::regclass AND NOT granted`,
            [`"${schema}".records`],
          )
          if (rows[0]!.n > 0) return
          await new Promise((r) => setTimeout(r, 50))
        }
        throw new Error('no push came to wait on the records table')
      },
      async release() {
        await client.query('ROLLBACK')
        await client.end()
      },
    }
  }

  beforeAll(async () => {
    // A fresh schema, three processes at once, let through to the database together: each creates the schema
    // and migrates it, and they must take turns (server/db/database.ts).
    gate = await startingGate(3)
    const distDir = (dist = makeDist()).dir
    const started = performance.now()
    ;[s1, s2, s3] = await Promise.all([
      startServer('server 1', gate.url, schema, distDir),
      startServer('server 2', gate.url, schema, distDir),
      startServer('server 3', gate.url, schema, distDir),
    ])
    startMs = performance.now() - started
    firstWords = await Promise.all(
      [s1, s2, s3].map(async (s) => ({
        health: (await call(s, 'GET', '/api/health')).body,
        keyId: (await call(s, 'GET', '/api/server-key')).body.keyId,
      })),
    )
    store = await openStore(PG_URL, { schema })
    ;[inspector, supervisor] = [await addUser('inspector'), await addUser('supervisor')]
    ;[inspectorCookie, supervisorCookie] = [await signIn(s1, inspector), await signIn(s2, supervisor)]
  }, 60_000)

  afterAll(async () => {
    // A bug a server logged (a 500) is shown here, where the failing test's answer cannot say more than 500.
    for (const s of [s1, s2, s3, ...extras])
      for (const line of s?.lines.filter((l) => l.includes('"unexpected error"')) ?? []) console.error(s!.name, line)
    for (const s of [s1, s2, s3, ...extras]) if (s && s.child.exitCode === null) s.child.kill('SIGKILL')
    await store?.close()
    await gate?.close()
    const client = new pg.Client({ connectionString: PG_URL })
    await client.connect()
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
    await client.end()
    dist?.remove()
  })

  it('starts three servers at once on a fresh schema: every migration applied once, one server key', async () => {
    console.info(`three servers started together on a fresh schema in ${Math.round(startMs)} ms`)
    for (const words of firstWords) expect(words.health).toMatchObject({ ok: true, database: { dialect: 'postgres' } })
    const client = new pg.Client({ connectionString: PG_URL })
    await client.connect()
    const { rows } = await client.query<{ name: string }>(`SELECT name FROM "${schema}".kysely_migration`)
    await client.end()
    expect(rows.length).toBeGreaterThan(10)
    expect(new Set(rows.map((r) => r.name)).size).toBe(rows.length)
    // Each made a key if it found none; all took the one that was stored first.
    expect(new Set(firstWords.map((w) => w.keyId)).size).toBe(1)
  })

  it('stores a push sent to both servers at once, and replayed to both, exactly once; their answers agree', async () => {
    const clientId = newClient()
    const checkIns = Array.from({ length: 5 }, () => makeCheckIn({ authorId: inspector.id }))
    const first = await Promise.all([push(s1, clientId, checkIns), push(s2, clientId, checkIns)])
    const replay = await Promise.all([push(s1, clientId, checkIns), push(s2, clientId, checkIns)])
    const answers = [...first, ...replay]
    for (const a of answers) {
      expect(a.status, JSON.stringify(a.body)).toBe(200)
      expect(a.body.lastProcessedSeq).toBe(5)
      expect(a.body.results.map((r) => [r.seq, r.status])).toEqual(checkIns.map((_, i) => [i + 1, 'applied']))
    }
    // One of the four committed, and said what; the others found it done and committed nothing.
    const committed = answers.filter((a) => a.body.versions)
    expect(committed).toHaveLength(1)
    expect(committed[0]!.body.results.map((r) => r.hash)).toEqual(await Promise.all(checkIns.map(recordHash)))
    const ids = checkIns.map((c) => c.id)
    expect(await storedCount(ids)).toBe(5)
    const mutations = await store.db.selectFrom('mutations').select('seq').where('client_id', '=', clientId).execute()
    expect(mutations.map((m) => m.seq).sort()).toEqual([1, 2, 3, 4, 5])
    // Both servers hand out the same five records, once each.
    const [p1, p2] = await Promise.all([pullAll(s1), pullAll(s2)])
    const mine = (changes: PullResponse['changes']) =>
      changes.filter((c) => ids.includes(c.id)).map((c) => ({ id: c.id, version: c.version, hash: c.hash }))
    expect(mine(p1)).toHaveLength(5)
    expect(mine(p2)).toEqual(mine(p1))
  })

  it('continues a photo upload started on one server on the other, and both serve the photo', async () => {
    const bytes = photoBytes(4242, 40_000)
    const sha = sha256(bytes)
    const ref = { sha256: sha, size: bytes.length, type: 'image/jpeg' }
    const chunk = (server: ServerProcess, offset: number, end: number) =>
      call(server, 'PATCH', `/api/photos/${sha}`, {
        cookie: inspectorCookie,
        body: bytes.subarray(offset, end),
        headers: { 'content-type': 'application/offset+octet-stream', 'upload-offset': String(offset) },
      })
    expect((await call(s1, 'POST', '/api/photos', { cookie: inspectorCookie, json: ref })).status).toBe(201)
    expect((await chunk(s1, 0, 15_000)).body).toEqual({ offset: 15_000, complete: false })
    // The phone's connection now lands on the other server: it asks where the upload is, and goes on from there.
    const state = await call(s2, 'GET', `/api/photos/${sha}/upload`, { cookie: inspectorCookie })
    expect(state).toMatchObject({ status: 200, body: { offset: 15_000, complete: false } })
    expect((await chunk(s2, 15_000, 30_000)).body).toEqual({ offset: 30_000, complete: false })
    // A chunk sent again to the first server at an offset the second has moved past is refused, not stored twice.
    expect((await chunk(s1, 15_000, 30_000)).body).toMatchObject({ error: 'offset_mismatch', offset: 30_000 })
    expect((await chunk(s1, 30_000, 40_000)).body).toEqual({ offset: 40_000, complete: true })

    const checkIn = makeCheckIn({ authorId: inspector.id, photos: [ref as CheckIn['photos'][number]] })
    expect((await push(s2, newClient(), [checkIn])).body.results).toMatchObject([{ seq: 1, status: 'applied' }])
    for (const s of [s1, s2]) {
      const res = await fetch(`${s.url}/api/photos/${sha}`, { headers: { cookie: inspectorCookie } })
      expect(res.status).toBe(200)
      expect(sha256(Buffer.from(await res.arrayBuffer()))).toBe(sha)
    }
  })

  it('keeps a session made on one server on the other, and a sign-out on one ends it on both', async () => {
    const cookie = await signIn(s1, inspector)
    for (const s of [s1, s2])
      expect(await call(s, 'GET', '/api/auth/me', { cookie })).toMatchObject({
        status: 200,
        body: { user: { id: inspector.id } },
      })
    expect((await call(s2, 'POST', '/api/auth/logout', { cookie })).status).toBe(200)
    for (const s of [s1, s2])
      expect(await call(s, 'GET', '/api/auth/me', { cookie })).toMatchObject({
        status: 401,
        body: { error: 'signed_out' },
      })
    // The inspector's other session, on either server, is untouched.
    expect((await call(s2, 'GET', '/api/auth/me', { cookie: inspectorCookie })).status).toBe(200)
  })

  it('counts wrong passwords on both servers together: the sixth is held back on either', async () => {
    const who = await addUser('inspector')
    for (let i = 0; i < LOGIN_LIMITS.pair.freeFailures; i++) {
      const res = await call([s1, s2][i % 2]!, 'POST', '/api/auth/login', {
        json: { username: who.username, password: `wrong guess ${i}` },
      })
      expect(res).toMatchObject({ status: 401, body: { error: 'bad_credentials' } })
    }
    // Even the right password now waits, whichever server it reaches: the count is in the database.
    for (const s of [s1, s2]) {
      const res = await call(s, 'POST', '/api/auth/login', {
        json: { username: who.username, password: TEST_PASSWORD },
      })
      expect(res).toMatchObject({ status: 429, body: { error: 'locked' } })
    }
  })

  it('shows a campaign made on one server and changed on the other, as changed, from both', async () => {
    const body = {
      name: '两台服务器专项',
      description: '',
      taskNumbers: [37],
      departments: ['省知识产权局'],
      inspectorIds: [inspector.id],
      startDate: '2026-11-01',
      endDate: '2026-12-31',
      venues: [],
    }
    const made = await call<{ campaign: Campaign }>(s1, 'POST', '/api/campaigns', {
      cookie: supervisorCookie,
      json: body,
    })
    expect(made.status, JSON.stringify(made.body)).toBe(201)
    const { id, version } = made.body.campaign
    const edited = await call<{ campaign: Campaign }>(s2, 'PUT', `/api/campaigns/${id}`, {
      cookie: supervisorCookie,
      json: { ...body, name: '两台服务器专项（改）', version },
    })
    expect(edited.status, JSON.stringify(edited.body)).toBe(200)
    for (const s of [s1, s2]) {
      const read = await call<{ campaign: Campaign }>(s, 'GET', `/api/campaigns/${id}`, { cookie: supervisorCookie })
      expect(read.body.campaign).toMatchObject({ name: '两台服务器专项（改）', version: version + 1 })
      // The inspector it names sees it too, from either server.
      const mine = await call<{ campaign: Campaign }>(s, 'GET', `/api/campaigns/${id}`, { cookie: inspectorCookie })
      expect(mine.body.campaign.name).toBe('两台服务器专项（改）')
    }
    // An edit on the first server made from what it showed before the change is refused, not lost over it.
    const stale = await call(s1, 'PUT', `/api/campaigns/${id}`, {
      cookie: supervisorCookie,
      json: { ...body, name: '旧的', version },
    })
    expect(stale).toMatchObject({ status: 409, body: { error: 'campaign_changed' } })
  })

  it('answers a push in flight when told to stop (SIGTERM), takes nothing new, then exits 0', async () => {
    const lock = await holdRecords()
    const checkIn = makeCheckIn({ authorId: inspector.id })
    const clientId = newClient()
    // Connections that have begun a request before the signal: their requests are read after it.
    const health = await begunRequest(s3.port, 'GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n')
    const latePush = makeCheckIn({ authorId: inspector.id })
    const lateBody = JSON.stringify({
      clientId: newClient(),
      mutations: [{ seq: 1, name: 'checkin.create', args: latePush }],
    })
    const late = await begunRequest(
      s3.port,
      `POST /api/sync/push HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: ${inspectorCookie}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(lateBody)}\r\n`,
    )
    const pushed = push(s3, clientId, [checkIn])
    await lock.pushWaiting()
    const signalled = performance.now()
    s3.child.kill('SIGTERM')
    await s3.logged(/SIGTERM: answering the requests in flight/)

    // The health check says why it is no longer to be sent anything; a request is refused, nothing of it saved.
    expect(await health.finish('\r\n')).toMatchObject({
      status: 503,
      headers: { connection: 'close', 'retry-after': '2' },
      body: { ok: false, problem: 'shutting_down' },
    })
    expect(await late.finish(`\r\n${lateBody}`)).toMatchObject({
      status: 503,
      headers: { connection: 'close', 'retry-after': '2' },
      body: { error: 'unavailable' },
    })
    // New connections are refused: a proxy sends them to the other server.
    const refused = await new Promise<string>((done) => {
      const socket = connect(s3.port, '127.0.0.1')
      socket.once('connect', () => {
        socket.destroy()
        done('connected')
      })
      socket.once('error', (err: NodeJS.ErrnoException) => done(err.code ?? 'error'))
    })
    expect(refused).toBe('ECONNREFUSED')
    expect(s3.child.exitCode).toBeNull()

    await lock.release()
    const released = performance.now()
    const answer = await pushed
    expect(answer.status).toBe(200)
    expect(answer.body.results).toEqual([
      { seq: 1, status: 'applied', hash: await recordHash(checkIn), version: expect.any(Number) },
    ])
    expect(await s3.exited).toBe(0)
    const stopped = performance.now()
    console.info(
      `server 3 exited ${Math.round(stopped - signalled)} ms after SIGTERM, ${Math.round(stopped - released)} ms after its push could go on`,
    )
    expect(await storedCount([checkIn.id])).toBe(1)
    expect(await storedCount([latePush.id])).toBe(0)
    // The other server carries on, and hands the record out.
    expect((await pullAll(s1)).filter((c) => c.id === checkIn.id)).toHaveLength(1)
  })

  it('exits (1) once SHUTDOWN_TIMEOUT has passed with a request still stuck, and nothing of it is stored', async () => {
    const server = await startServer('server 4', PG_URL, schema, dist!.dir, { SHUTDOWN_TIMEOUT: '1' })
    extras.push(server)
    const lock = await holdRecords()
    const checkIn = makeCheckIn({ authorId: inspector.id })
    const pushed = push(server, newClient(), [checkIn]).then(
      (a) => a.status,
      () => 'cut',
    )
    await lock.pushWaiting()
    const signalled = performance.now()
    server.child.kill('SIGTERM')
    expect(await server.exited).toBe(1)
    const waited = performance.now() - signalled
    expect(waited).toBeGreaterThanOrEqual(900)
    expect(waited).toBeLessThan(5_000)
    expect(await pushed).toBe('cut')
    await lock.release()
    // Its transaction never committed: the database rolled it back when the process went.
    expect(await storedCount([checkIn.id])).toBe(0)
    // Its version block goes with its session: pulls on the servers still running pass it again.
    await expect.poll(blocksInFlight, { timeout: 10_000 }).toBe(0)
  })

  it('lets pulls pass the block of a push whose server was killed while the push waited on a lock', async () => {
    // The killed server's session waits on a lock the test keeps. PostgreSQL would notice the server gone only
    // once the lock was let go; until then the block looked alive and every pull everywhere stopped below it.
    const server = await startServer('server 5', PG_URL, schema, dist!.dir)
    extras.push(server)
    const stuckClient = newClient()
    const holder = new pg.Client({ connectionString: PG_URL })
    await holder.connect()
    try {
      const scope = `${schema}:${scopeDigest(`client:${stuckClient}`)}`
      await holder.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [scope])
      const stuck = makeCheckIn({ authorId: inspector.id })
      void push(server, stuckClient, [stuck]).catch(() => undefined)
      await expect
        .poll(
          async () =>
            (
              await holder.query<{ n: number }>(
                `SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`,
              )
            ).rows[0]!.n,
          { timeout: 10_000 },
        )
        .toBeGreaterThan(0)
      expect(await blocksInFlight()).toBeGreaterThan(0)
      server.child.kill('SIGKILL')
      await server.exited
      // Another phone's push, after the stuck one's block, is handed out by the other server's pulls.
      const later = makeCheckIn({ authorId: inspector.id })
      expect((await push(s1, newClient(), [later])).body.results).toMatchObject([{ status: 'applied' }])
      await expect
        .poll(async () => (await pullAll(s2)).some((c) => c.id === later.id), { timeout: 15_000, interval: 250 })
        .toBe(true)
      expect(await storedCount([stuck.id])).toBe(0)
    } finally {
      await holder.end()
    }
  })
})
