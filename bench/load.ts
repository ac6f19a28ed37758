/**
 * `npm run bench:load`: one burst of 200 distinct inspectors, each pulling their own first page (limit 500, as the
 * phone asks; brotli accepted, as Chromium asks) at the same moment, against the production server on SQLite with
 * 20,000 check-ins (100 of each inspector's); health checks every 50 ms throughout. Prints every answer's time to
 * its last byte (median / p99 / max) and the slowest health check. The server runs in a child process of its own.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { request as httpRequest, Agent } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createUser } from '../server/auth/accounts'
import { openStore } from '../server/db/database'
import { uuidv7 } from '../src/kernel/uuid'
import { serverArgs } from './server-process'

const PORT = 18195
const INSPECTORS = Number(process.env.BENCH_INSPECTORS ?? 200)
const PER_INSPECTOR = Number(process.env.BENCH_PER_INSPECTOR ?? 100)
const base = `http://127.0.0.1:${PORT}`
/** A health check every 50 ms until its stdin closes; prints each one's time to its last byte, one per line. */
const PROBER = `
const http = require('node:http')
let open = true
process.stdin.on('end', () => (open = false)).resume()
;(async () => {
  while (open) {
    const started = performance.now()
    await new Promise((resolve, reject) =>
      http.get(process.argv[1], { agent: false }, (res) => res.resume().on('end', resolve)).on('error', reject))
    process.stdout.write((performance.now() - started).toFixed(1) + '\\n')
    await new Promise((r) => setTimeout(r, Math.max(0, 50 - (performance.now() - started))))
  }
})()
`
const dataDir = mkdtempSync(join(tmpdir(), 'zhixun-load-'))
const PASSWORD = 'bench-password-long'

const server = spawn(process.execPath, serverArgs(), {
  // Sign-ins come through a "proxy" so each inspector signs in from an address of their own (per-address limits).
  env: { ...process.env, PORT: String(PORT), HOST: '127.0.0.1', DATA_DIR: dataDir, TRUST_PROXY: '127.0.0.1' },
  stdio: ['ignore', 'ignore', 'inherit'],
})

/** One GET on a connection of its own; resolves with the time to the last byte, in ms. */
function timedGet(
  path: string,
  headers: Record<string, string>,
): Promise<{ ms: number; status: number; bytes: number }> {
  const t0 = performance.now()
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${base}${path}`, { headers, agent: new Agent({ keepAlive: false }) }, (res) => {
      let bytes = 0
      res.on('data', (c: Buffer) => (bytes += c.length))
      res.on('end', () => resolve({ ms: performance.now() - t0, status: res.statusCode ?? 0, bytes }))
    })
    req.on('error', reject)
    req.end()
  })
}

const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!
try {
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${base}/api/health`)).ok) break
    } catch {
      if (i === 100) throw new Error('server did not start')
      await new Promise((r) => setTimeout(r, 100))
    }
  }
  // The inspectors, straight into the database; then each signs in and pushes their check-ins over HTTP.
  const store = await openStore(join(dataDir, 'zhixun.sqlite'))
  const names = Array.from({ length: INSPECTORS }, (_, i) => `load.${i}.${Date.now()}`)
  try {
    for (const username of names)
      await createUser(store.db, new Set(['省知识产权局']), {
        username,
        displayName: '压测',
        department: '省知识产权局',
        role: 'inspector',
        password: PASSWORD,
      })
  } finally {
    await store.close()
  }
  const cookies: string[] = []
  for (const [i, username] of names.entries()) {
    const login = await fetch(`${base}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': `10.9.${i >> 8}.${i & 255}` },
      body: JSON.stringify({ username, password: PASSWORD }),
    })
    if (!login.ok) throw new Error(`sign-in failed: ${login.status}`)
    const { user } = (await login.json()) as { user: { id: string } }
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!
    cookies.push(cookie)
    const now = new Date().toISOString()
    const mutations = Array.from({ length: PER_INSPECTOR }, (_, k) => ({
      seq: k + 1,
      name: 'checkin.create',
      args: {
        id: uuidv7(),
        authorId: user.id,
        venueName: `批发市场 ${i}-${k} 号档口`,
        venueType: 'market',
        occurredAt: now,
        location: { lat: 23.12, lng: 113.25, accuracy: 15 },
        outcome: k % 3 ? 'no_problem' : 'suspected',
        premisesInspected: 3,
        itemsSeized: k % 5,
        note: '例行巡查，未见明显侵权商品。',
        taskNumbers: [11, 28],
        campaignId: null,
        photos: [],
        correctionOf: null,
        createdAt: now,
      },
    }))
    for (let k = 0; k < mutations.length; k += 200) {
      const res = await fetch(`${base}/api/sync/push`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie },
        body: JSON.stringify({ clientId: `load-${i}-${Date.now()}`, mutations: mutations.slice(k, k + 200) }),
      })
      if (!res.ok) throw new Error(`push failed: ${res.status}`)
    }
  }

  // Health checks every 50 ms from just before the burst until it is over.
  const health: number[] = []
  let bursting = true
  const checking = (async () => {
    while (bursting) {
      const started = performance.now()
      health.push((await timedGet('/api/health', {})).ms)
      await new Promise((r) => setTimeout(r, Math.max(0, 50 - (performance.now() - started))))
    }
  })()
  // The same from a process of its own, as a proxy's health check would come: the load generator's own event loop,
  // busy sending 200 requests and reading their answers, cannot delay what this one sees.
  const prober = spawn(process.execPath, ['-e', PROBER, `${base}/api/health`], { stdio: ['pipe', 'pipe', 'inherit'] })
  let probed = ''
  prober.stdout.on('data', (d: Buffer) => (probed += d.toString()))
  const proberDone = new Promise((r) => prober.on('exit', r))
  await new Promise((r) => setTimeout(r, 200))
  const t0 = performance.now()
  const answers = await Promise.all(
    cookies.map((cookie) =>
      timedGet('/api/sync/pull?cursor=0&limit=500', { cookie, 'accept-encoding': 'gzip, deflate, br, zstd' }),
    ),
  )
  const burst = performance.now() - t0
  bursting = false
  await checking
  prober.stdin.end()
  await proberDone
  const probes = probed.trim().split('\n').map(Number)
  const failed = answers.filter((a) => a.status !== 200)
  if (failed.length) throw new Error(`${failed.length} pulls failed: ${failed.map((f) => f.status).join(', ')}`)
  const times = answers.map((a) => a.ms)
  const rows: [string, string, string][] = [
    [
      `${INSPECTORS} inspectors pull their first page at once (${PER_INSPECTOR} records each, ${((INSPECTORS * PER_INSPECTOR) / 1000).toFixed(0)},000 check-ins, SQLite): median / p99 / max`,
      `${pct(times, 0.5).toFixed(0)} / ${pct(times, 0.99).toFixed(0)} / ${Math.max(...times).toFixed(0)} ms (all done in ${burst.toFixed(0)} ms, ${(answers.reduce((a, b) => a + b.bytes, 0) / 1e6).toFixed(2)} MB sent)`,
      'every answer ≤ 2 s',
    ],
    [
      `Health checks during the burst from a process of their own (${probes.length}): median / max`,
      `${pct(probes, 0.5).toFixed(0)} / ${Math.max(...probes).toFixed(0)} ms`,
      '≤ 200 ms',
    ],
    [
      `The same from the load generator's process (${health.length}): median / max`,
      `${pct(health, 0.5).toFixed(0)} / ${Math.max(...health).toFixed(0)} ms`,
      '—',
    ],
  ]
  console.log('\n| Measure | Result | Floor |\n| --- | --- | --- |')
  for (const [what, value, floor] of rows) console.log(`| ${what} | ${value} | ${floor} |`)
} finally {
  server.kill()
}
