/**
 * `npm run bench:sync`: push throughput of the real server (SQLite, and PostgreSQL when reachable) for
 * 10,000 check-ins from 20 clients over loopback HTTP; the server's peak memory; and the time a phone
 * (headless Chromium) takes to drain 1,000 queued check-ins.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { bundleForPage } from './bundle'
import { uuidv7 } from '../src/kernel/uuid'
import { createUser } from '../server/auth/accounts'
import { openStore, openStoreFromEnv } from '../server/db/database'
import { launchChromium } from '../tests/helpers/browser'
import { PG_URL, postgresReachable } from '../tests/helpers/server'
import { serverArgs } from './server-process'

const CLIENTS = 20
const PER_CLIENT = 500
const BATCH = 100
const rows: [string, string, string][] = []
const report = (what: string, value: string, floor = '') => {
  rows.push([what, value, floor])
  console.log(`${what}: ${value}${floor ? ` (floor ${floor})` : ''}`)
}

async function startServer(port: number, env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, serverArgs(), {
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/api/health`)).ok) return child
    } catch {
      await new Promise((r) => setTimeout(r, 100))
    }
  }
  child.kill()
  throw new Error('server did not start')
}

/** Peak resident memory of a process, from /proc (VmHWM), in MB. */
function peakMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmHWM:'))
  return Number(line?.match(/\d+/)?.[0] ?? 0) / 1024
}

const BENCH_PASSWORD = 'bench-password-long'

/** Adds users straight into the server's database, then signs each in over HTTP; returns their cookies. */
async function signedInClients(
  port: number,
  env: Record<string, string>,
  n: number,
): Promise<{ id: string; cookie: string }[]> {
  const store = await openStoreFromEnv(env)
  const out: { id: string; cookie: string }[] = []
  try {
    for (let i = 0; i < n; i++) {
      const username = `bench.${i}.${Date.now()}`
      await createUser(store.db, new Set(['省知识产权局']), {
        username,
        displayName: `压测${i}`,
        department: '省知识产权局',
        role: 'inspector',
        password: BENCH_PASSWORD,
      })
      const res = await fetch(`http://127.0.0.1:${port}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username, password: BENCH_PASSWORD }),
      })
      const { user } = (await res.json()) as { user: { id: string } }
      out.push({ id: user.id, cookie: res.headers.get('set-cookie')!.split(';')[0]! })
    }
  } finally {
    await store.close()
  }
  return out
}

function checkIn(i: number, authorId: string) {
  const now = new Date().toISOString()
  return {
    id: uuidv7(),
    authorId,
    venueName: `批发市场 ${i} 号档口`,
    venueType: 'market',
    occurredAt: now,
    location: { lat: 23.12, lng: 113.25, accuracy: 15 },
    outcome: 'no_problem',
    premisesInspected: 3,
    itemsSeized: 0,
    note: '例行巡查，未见明显侵权商品。',
    taskNumbers: [11, 28],
    campaignId: null,
    photos: [],
    correctionOf: null,
    createdAt: now,
  }
}

async function pushThroughput(label: string, port: number, env: Record<string, string>) {
  const server = await startServer(port, env)
  try {
    // Twenty inspectors, each signed in on a phone of their own.
    const users = await signedInClients(port, env, CLIENTS)
    // Bodies are made before the clock starts: this measures the server, not JSON.stringify here.
    const bodies = users.map((user, c) => {
      const clientId = `bench-client-${c}-${Date.now()}`
      return Array.from({ length: PER_CLIENT / BATCH }, (_, b) =>
        JSON.stringify({
          clientId,
          mutations: Array.from({ length: BATCH }, (_, k) => ({
            seq: b * BATCH + k + 1,
            name: 'checkin.create',
            args: checkIn(c * PER_CLIENT + b * BATCH + k, user.id),
          })),
        }),
      )
    })
    const t0 = performance.now()
    await Promise.all(
      bodies.map(async (pushes, c) => {
        for (const body of pushes) {
          const res = await fetch(`http://127.0.0.1:${port}/api/sync/push`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', cookie: users[c]!.cookie },
            body,
          })
          const json = (await res.json()) as { results?: { status: string }[] }
          if (!res.ok || json.results?.some((r) => r.status !== 'applied'))
            throw new Error(`push failed: ${res.status}`)
        }
      }),
    )
    const seconds = (performance.now() - t0) / 1000
    const total = CLIENTS * PER_CLIENT
    const pulled = (await (
      await fetch(`http://127.0.0.1:${port}/api/sync/pull?cursor=0&limit=1`, { headers: { cookie: users[0]!.cookie } })
    ).json()) as { more: boolean }
    if (!pulled.more) throw new Error('nothing stored')
    report(
      `Push, ${label}: ${total.toLocaleString('en')} check-ins from ${CLIENTS} clients in batches of ${BATCH}`,
      `${Math.round(total / seconds).toLocaleString('en')} records/s (${seconds.toFixed(2)} s)`,
      label === 'SQLite' ? '≥ 3,000 records/s' : '',
    )
    report(`Server peak memory (RSS high-water mark), ${label}`, `${peakMb(server.pid!).toFixed(0)} MB`)
  } finally {
    server.kill()
  }
}

/** BENCH_ONLY=push or BENCH_ONLY=phone runs one part. */
const only = process.env.BENCH_ONLY
if (only !== 'phone') {
  await pushThroughput('SQLite', 18181, { DATA_DIR: mkdtempSync(join(tmpdir(), 'zhixun-bench-')), DATABASE_URL: '' })
  if (await postgresReachable()) {
    const schema = `bench_${Date.now()}`
    await pushThroughput('PostgreSQL', 18182, { DATABASE_URL: PG_URL, DATABASE_SCHEMA: schema })
    const client = new pg.Client({ connectionString: PG_URL })
    await client.connect()
    await client.query(`DROP SCHEMA "${schema}" CASCADE`)
    await client.end()
  } else {
    report('Push, PostgreSQL', 'not measured: PostgreSQL not reachable')
  }
}

// A phone drains its queue: 1,000 check-ins saved offline with the app's own code, then back online.
if (only !== 'push') {
  const port = 18183
  const env = { DATA_DIR: mkdtempSync(join(tmpdir(), 'zhixun-bench-')), DATABASE_URL: '' }
  const server = await startServer(port, env)
  const browser = await launchChromium()
  try {
    const script = await bundleForPage('bench/sync-entry.ts', 'ZhixunSyncBench', '.bench/sync')
    // bypassCSP: the benchmark injects its own script into the page; the app itself runs under the CSP.
    const context = await browser.newContext({ viewport: { width: 360, height: 740 }, bypassCSP: true })
    const page = await context.newPage()
    await page.goto(`http://127.0.0.1:${port}/signin`)
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null)
    const store = await openStore(join(env.DATA_DIR, 'zhixun.sqlite'))
    const inspector = await createUser(store.db, new Set(['省知识产权局']), {
      username: 'bench.phone',
      displayName: '压测',
      department: '省知识产权局',
      role: 'inspector',
      password: BENCH_PASSWORD,
    })
    await store.close()
    await page.getByTestId('sign-in-username').fill('bench.phone')
    await page.getByTestId('sign-in-password').fill(BENCH_PASSWORD)
    await page.getByTestId('sign-in-submit').click()
    await page.waitForURL((u) => !u.pathname.startsWith('/signin'))
    await page.goto(`http://127.0.0.1:${port}/records`)
    await context.setOffline(true)
    await page.addScriptTag({ path: script })
    type Bench = {
      queueCheckIns(n: number, authorId: string): Promise<void>
      outboxCount(): Promise<number>
      verifiedCount(): Promise<number>
    }
    await page.evaluate(
      (authorId) => (window as unknown as { ZhixunSyncBench: Bench }).ZhixunSyncBench.queueCheckIns(1000, authorId),
      inspector.id,
    )
    const queued = await page.evaluate(() =>
      (window as unknown as { ZhixunSyncBench: Bench }).ZhixunSyncBench.outboxCount(),
    )
    // Bytes on the wire from going online until every check-in is verified, both ways, headers and bodies (what
    // the service worker answered from its cache never left the phone).
    let counting = true
    const exchanged: Promise<[number, number]>[] = []
    const pushBodies: { bytes: number; mutations: number }[] = []
    context.on('requestfinished', (request) => {
      if (!counting) return
      if (request.url().endsWith('/api/sync/push')) {
        const body = request.postDataBuffer()
        const mutations = (JSON.parse(body?.toString() ?? '{}') as { mutations?: unknown[] }).mutations?.length ?? 0
        pushBodies.push({ bytes: body?.length ?? 0, mutations })
      }
      exchanged.push(
        Promise.all([request.sizes(), request.response()]).then(([s, response]) =>
          response?.fromServiceWorker()
            ? [0, 0]
            : [s.requestHeadersSize + s.requestBodySize, s.responseHeadersSize + s.responseBodySize],
        ),
      )
    })
    const t0 = Date.now()
    await context.setOffline(false)
    const until = async (done: () => Promise<boolean>) => {
      while (!(await done())) {
        if (Date.now() - t0 > 120_000) throw new Error('the phone did not drain its queue in 2 minutes')
        await new Promise((r) => setTimeout(r, 10))
      }
      return (Date.now() - t0) / 1000
    }
    const drained = await until(
      async () =>
        (await page.evaluate(() => (window as unknown as { ZhixunSyncBench: Bench }).ZhixunSyncBench.outboxCount())) ===
        0,
    )
    const verified = await until(
      async () =>
        (await page.evaluate(() =>
          (window as unknown as { ZhixunSyncBench: Bench }).ZhixunSyncBench.verifiedCount(),
        )) >= queued,
    )
    counting = false
    const sizes = await Promise.all(exchanged)
    const up = sizes.reduce((a, [u]) => a + u, 0)
    const down = sizes.reduce((a, [, d]) => a + d, 0)
    report(
      `Phone drains ${queued} queued check-ins: bytes on the wire, both ways (${exchanged.length} requests)`,
      `${((up + down) / 1e6).toFixed(2)} MB (up ${(up / 1e6).toFixed(2)}, down ${(down / 1e6).toFixed(2)})`,
      '≤ 0.6 MB',
    )
    const pushed = pushBodies.reduce((a, b) => ({ bytes: a.bytes + b.bytes, mutations: a.mutations + b.mutations }), {
      bytes: 0,
      mutations: 0,
    })
    report(
      `  of which push bodies (${pushBodies.length} pushes, ${pushed.mutations} mutations)`,
      `${(pushed.bytes / 1e6).toFixed(2)} MB, ${(pushed.bytes / Math.max(1, pushed.mutations)).toFixed(0)} bytes a mutation`,
    )
    report(
      `Phone (headless Chromium) drains ${queued} queued check-ins: outbox empty / all verified`,
      `${drained.toFixed(2)} s / ${verified.toFixed(2)} s`,
      '≤ 5 s to drain',
    )
  } finally {
    await browser.close()
    server.kill()
  }
}

console.log('\n| Measure | Result | Floor |\n| --- | --- | --- |')
for (const [what, value, floor] of rows) console.log(`| ${what} | ${value} | ${floor || '—'} |`)
