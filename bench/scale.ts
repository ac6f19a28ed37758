/**
 * `npm run bench:scale`: the province floors of issue 13. Loads BENCH_SCALE check-ins (default 1,000,000) over
 * 5,000 inspectors, 21 cities, 100 campaigns, every department and two years, two photos each, into a fresh
 * PostgreSQL schema (bench/scale-load.ts: applied by the push's own code, written in big statements); then runs
 * the real server (server/main.ts, a child process on that schema) and measures over HTTP, median of 7 after a
 * warm-up: campaign progress of the big campaign (a tenth of the check-ins) with and without filters, task
 * coverage of a department and of the province, the CSV of the big campaign (first byte, and the server's
 * largest RSS while it streams), a photo read; then pushes from 200 phones in batches of 10 offered at 4,000
 * records/s, open loop, for BENCH_PUSH_SECONDS (20), with one server and with two. Then the same reports on
 * SQLite with BENCH_SQLITE_SCALE check-ins (default a fifth of BENCH_SCALE: 200,000). Prints a table with the
 * floors beside the figures.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { openStore } from '../server/db/database'
import { OUTCOMES, VENUE_TYPES } from '../src/kernel/sync-schema'
import { uuidv7 } from '../src/kernel/uuid'
import { PG_URL, postgresReachable } from '../tests/helpers/server'
import { load, PASSWORD, postgresBulk, sqliteBulk, type Bulk, type Loaded } from './scale-load'
import { serverArgs } from './server-process'

const SCALE = Number(process.env.BENCH_SCALE ?? 1_000_000)
const SQLITE_SCALE = Number(process.env.BENCH_SQLITE_SCALE ?? Math.round(SCALE / 5))
const PUSH_SECONDS = Number(process.env.BENCH_PUSH_SECONDS ?? 20)
const PUSH_RATE = Number(process.env.BENCH_PUSH_RATE ?? 4000)
const PUSH_CLIENTS = 200
const PUSH_BATCH = 10
const PORT = Number(process.env.BENCH_PORT ?? 18300)
const started = Date.now()

const log = (s: string) => console.log(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${s}`)
const rows: [string, string, string][] = []
const report = (what: string, value: string, floor = '') => {
  rows.push([what, value, floor])
  log(`${what}: ${value}${floor ? ` (floor ${floor})` : ''}`)
}

const dataset = JSON.parse(readFileSync('dist/data/dataset.json', 'utf8')) as {
  departments: { name: string }[]
  tasks: { number: number; departments: { name: string }[] }[]
}
const DATASET = {
  departments: dataset.departments.map((d) => d.name),
  taskNumbers: dataset.tasks.map((t) => t.number),
  tasks: dataset.tasks,
}

const children = new Set<ChildProcess>()
process.on('exit', () => {
  for (const c of children) c.kill()
})

async function startServer(port: number, env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, serverArgs(), {
    // Sign-ins come through a "proxy", so 200 phones signing in are 200 addresses (per-address limits).
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', TRUST_PROXY: '127.0.0.1', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  children.add(child)
  let exited: number | null = null
  child.once('exit', (code) => (exited = code ?? 1))
  for (let i = 0; i < 600 && exited === null; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/api/health`)).ok) return child
    } catch {
      await new Promise((r) => setTimeout(r, 100))
    }
  }
  throw new Error(exited === null ? 'server did not start' : `server exited (${exited}) while starting`)
}

async function stopServer(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.once('exit', r))
  child.kill('SIGTERM')
  await exited
  children.delete(child)
}

/** The server's resident memory now (MB), from /proc. */
function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m ? Number(m[1]) / 1024 : NaN
}

/** CPU time so far (clock ticks, 100 a second) of a process, or of every process named `postgres`. */
function cpuTicks(pid: number): number {
  try {
    // The fields after the command name, which is in parentheses and may hold spaces: utime and stime are 12th/13th.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ').at(-1)!.split(' ')
    return Number(fields[11]) + Number(fields[12])
  } catch {
    return 0
  }
}
function postgresTicks(): number {
  let ticks = 0
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === 'postgres') ticks += cpuTicks(Number(entry))
    } catch {
      // Gone since the listing.
    }
  }
  return ticks
}
/** Busy and all ticks of the whole machine (every core), from /proc/stat. */
function machineTicks(): { busy: number; all: number } {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number)
  const all = cpu.reduce((a, b) => a + b, 0)
  return { busy: all - cpu[3]! - (cpu[4] ?? 0), all }
}
/** Where the CPU went between two moments: servers, PostgreSQL, this process (the phones), the machine. */
function cpuMeter(servers: readonly ChildProcess[]) {
  const t0 = performance.now()
  const s0 = servers.map((s) => cpuTicks(s.pid!))
  const p0 = postgresTicks()
  const me0 = process.cpuUsage()
  const m0 = machineTicks()
  return () => {
    const seconds = (performance.now() - t0) / 1000
    const pctOf = (ticks: number) => `${Math.round(ticks / seconds)}%`
    const me = process.cpuUsage(me0)
    const m1 = machineTicks()
    const serverTicks = servers.map((s, i) => cpuTicks(s.pid!) - s0[i]!)
    const pgTicks = postgresTicks() - p0
    const meTicks = (me.user + me.system) / 1e4
    const cores = readFileSync('/proc/stat', 'utf8')
      .split('\n')
      .filter((l) => /^cpu\d/.test(l)).length
    const machine = (100 * cores * (m1.busy - m0.busy)) / (m1.all - m0.all)
    const ours = (serverTicks.reduce((a, b) => a + b, 0) + pgTicks + meTicks) / seconds
    return (
      serverTicks.map((t, i) => `server ${i + 1} ${pctOf(t)}`).join(', ') +
      `, PostgreSQL ${pctOf(pgTicks)}, phones (this process) ${pctOf(meTicks)}` +
      `, anything else ${Math.max(0, Math.round(machine - ours))}%; machine ${Math.round(machine)}% of ${cores * 100}%`
    )
  }
}

let address = 0
async function signIn(base: string, username: string): Promise<string> {
  const n = ++address
  const res = await fetch(`${base}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': `10.${n >> 16}.${(n >> 8) & 255}.${n & 255}` },
    body: JSON.stringify({ username, password: PASSWORD }),
  })
  if (!res.ok) throw new Error(`sign-in of ${username} failed: ${res.status} ${await res.text()}`)
  return res.headers.get('set-cookie')!.split(';')[0]!
}

async function median(n: number, fn: (i: number) => Promise<void>): Promise<number> {
  await fn(-1)
  const times: number[] = []
  for (let i = 0; i < n; i++) {
    const t0 = performance.now()
    await fn(i)
    times.push(performance.now() - t0)
  }
  return times.sort((a, b) => a - b)[Math.floor(n / 2)]!
}

const pct = (xs: readonly number[], p: number) =>
  xs.length === 0 ? NaN : [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!

/** A GET streamed to its end, compressed as a browser asks unless told; the time to its first byte and to its last, in ms. */
function streamed(
  url: string,
  cookie: string,
  encoding = 'gzip, deflate, br, zstd',
): Promise<{ first: number; last: number; bytes: number }> {
  const t0 = performance.now()
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers: { cookie, 'accept-encoding': encoding } }, (res) => {
      let first = NaN
      let bytes = 0
      if (res.statusCode !== 200) reject(new Error(`GET ${url}: ${res.statusCode}`))
      res.on('data', (c: Buffer) => {
        if (bytes === 0) first = performance.now() - t0
        bytes += c.length
      })
      res.on('end', () => resolve({ first, last: performance.now() - t0, bytes }))
    })
    req.on('error', reject)
    req.end()
  })
}

/** The reports a supervisor and an admin wait for, measured over HTTP against `server`. */
async function measureReports(label: string, base: string, server: ChildProcess, loaded: Loaded, floor: string) {
  const supervisor = await signIn(base, loaded.supervisor.username)
  const admin = await signIn(base, loaded.admin.username)
  const get = async (path: string, cookie: string) => {
    const res = await fetch(`${base}${path}`, { headers: { cookie } })
    if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`)
    return res.json() as Promise<Record<string, unknown>>
  }
  const big = loaded.bigCampaign
  const n = big.checkIns.toLocaleString('en')
  const progress = await median(7, async () => {
    const r = await get(`/api/campaigns/${big.id}/report`, supervisor)
    if (r.total !== big.checkIns) throw new Error(`report total ${String(r.total)}, expected ${big.checkIns}`)
  })
  report(`${label}: campaign progress, ${n} check-ins (counts + first 200)`, `${progress.toFixed(0)} ms`, floor)
  // A different filter each time, so no answer can come from an earlier one.
  const filtered = await median(7, async (i) => {
    const k = i + 1
    await get(
      `/api/campaigns/${big.id}/report?outcome=${OUTCOMES[k % OUTCOMES.length]}&venueType=${VENUE_TYPES[k % VENUE_TYPES.length]}`,
      supervisor,
    )
  })
  report(`${label}: campaign progress, filtered by outcome and venue type`, `${filtered.toFixed(0)} ms`, floor)
  const department = await median(7, async () => {
    const r = await get('/api/coverage', supervisor)
    if ((r.tasks as unknown[]).length !== loaded.taskNumbers.length) throw new Error('coverage')
  })
  report(`${label}: task coverage, a department (supervisor's)`, `${department.toFixed(0)} ms`, floor)
  const province = await median(7, async () => void (await get('/api/coverage', admin)))
  report(
    `${label}: task coverage, the province (admin, ${loaded.checkIns.toLocaleString('en')} check-ins)`,
    `${province.toFixed(0)} ms`,
    floor,
  )
  // The CSV, with the server's memory sampled every 10 ms while it streams.
  const pid = server.pid!
  const idle = rssMb(pid)
  let peak = idle
  const sampler = setInterval(() => (peak = Math.max(peak, rssMb(pid))), 10)
  const firsts: number[] = []
  const lasts: number[] = []
  let csvBytes = 0
  await median(7, async (i) => {
    const r = await streamed(`${base}/api/campaigns/${big.id}/checkins.csv`, supervisor)
    if (i >= 0) {
      firsts.push(r.first)
      lasts.push(r.last)
    }
    csvBytes = r.bytes
  })
  // Uncompressed (a script, a proxy that compresses itself): the first page goes out as soon as it is read.
  const plainFirsts: number[] = []
  await median(7, async (i) => {
    const r = await streamed(`${base}/api/campaigns/${big.id}/checkins.csv`, supervisor, 'identity')
    if (i >= 0) plainFirsts.push(r.first)
  })
  clearInterval(sampler)
  report(
    `${label}: CSV of ${n} check-ins, uncompressed: first byte`,
    `${pct(plainFirsts, 0.5).toFixed(0)} ms`,
    label.startsWith('PostgreSQL') ? '≤ 200 ms' : '',
  )
  report(
    `${label}: CSV of ${n} check-ins (brotli, as a browser asks), first byte / whole`,
    `${pct(firsts, 0.5).toFixed(0)} / ${pct(lasts, 0.5).toFixed(0)} ms (${(csvBytes / 1e6).toFixed(1)} MB sent)`,
    label.startsWith('PostgreSQL') ? 'first byte ≤ 200 ms' : '',
  )
  report(
    `${label}: server RSS during the 16 CSVs, max (idle before)`,
    `${peak.toFixed(0)} MB (${idle.toFixed(0)} MB)`,
    label.startsWith('PostgreSQL') ? '≤ 250 MB' : '',
  )
  const photo = await median(7, async (i) => {
    const sha = loaded.samplePhotos[(i + 1) % loaded.samplePhotos.length]!
    const res = await fetch(`${base}/api/photos/${sha}`, { headers: { cookie: supervisor } })
    if (!res.ok) throw new Error(`photo ${res.status}`)
    await res.arrayBuffer()
  })
  report(
    `${label}: a photo read among ${loaded.photoRefs.toLocaleString('en')} references`,
    `${photo.toFixed(1)} ms`,
    label.startsWith('PostgreSQL') ? '≤ 5 ms' : floor,
  )
}

/**
 * 200 phones push check-ins in batches of 10, offered at PUSH_RATE records/s whatever the answers (open loop):
 * push n is due at n × 10 / PUSH_RATE s, from phone n mod 200. A phone sends its next push once the last one is
 * answered (sequence numbers follow each other), so a push due while its phone waits is backlog; its time is
 * counted from when it was due. Phones go to the servers in turn.
 */
async function pushLoad(
  label: string,
  servers: readonly ChildProcess[],
  phones: { cookie: string; userId: string }[],
  run: string,
) {
  const bases = servers.map((_, i) => `http://127.0.0.1:${PORT + i}`)
  interface Due {
    at: number
  }
  const queues: Due[][] = phones.map(() => [])
  const busy = phones.map(() => false)
  const seqs = phones.map(() => 0)
  const latencies: number[] = []
  /** From sending to the answer, without the wait for the phone's previous push. */
  const services: number[] = []
  const failures: string[] = []
  let committed = 0
  let duesIssued = 0
  const t0 = performance.now()
  const windowMs = PUSH_SECONDS * 1000
  const backlog: number[] = []
  let committedInWindow = 0

  const send = async (p: number) => {
    busy[p] = true
    while (queues[p]!.length > 0) {
      const due = queues[p]![0]!
      const now = new Date().toISOString()
      const mutations = Array.from({ length: PUSH_BATCH }, () => ({
        seq: ++seqs[p]!,
        name: 'checkin.create',
        args: {
          id: uuidv7(),
          authorId: phones[p]!.userId,
          venueName: `压测档口 ${p}-${seqs[p]}`,
          venueType: VENUE_TYPES[seqs[p]! % VENUE_TYPES.length],
          occurredAt: now,
          location: { lat: 23.12, lng: 113.25, accuracy: 15 },
          outcome: OUTCOMES[seqs[p]! % OUTCOMES.length],
          premisesInspected: 2,
          itemsSeized: 0,
          note: '例行巡查，未见异常。',
          taskNumbers: [1 + (seqs[p]! % 160)],
          campaignId: null,
          photos: [],
          correctionOf: null,
          createdAt: now,
        },
      }))
      const sent = performance.now()
      try {
        const res = await fetch(`${bases[p % bases.length]}/api/sync/push`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', cookie: phones[p]!.cookie },
          body: JSON.stringify({ clientId: `scale-${run}-${p}`, mutations }),
        })
        const body = await res.text()
        if (!res.ok) {
          failures.push(`${res.status} ${body.slice(0, 120)}`)
          // Not applied: the same sequence numbers go again.
          seqs[p]! -= PUSH_BATCH
          await new Promise((r) => setTimeout(r, 200))
          continue
        }
      } catch (err) {
        failures.push(String(err))
        seqs[p]! -= PUSH_BATCH
        continue
      }
      const done = performance.now()
      latencies.push(done - due.at)
      services.push(done - sent)
      committed += PUSH_BATCH
      if (done - t0 <= windowMs) committedInWindow += PUSH_BATCH
      queues[p]!.shift()
    }
    busy[p] = false
  }

  const perPushMs = (1000 * PUSH_BATCH) / PUSH_RATE
  const cpu = cpuMeter(servers)
  let lastSample = 0
  while (performance.now() - t0 < windowMs) {
    const elapsed = performance.now() - t0
    const due = Math.floor(elapsed / perPushMs) + 1
    for (; duesIssued < due; duesIssued++) {
      const p = duesIssued % phones.length
      queues[p]!.push({ at: t0 + duesIssued * perPushMs })
      if (!busy[p]) void send(p)
    }
    if (elapsed - lastSample >= 1000) {
      lastSample = elapsed
      // Pushes due and not yet answered (in flight or waiting for their phone).
      backlog.push(queues.reduce((s, q) => s + q.length, 0))
    }
    await new Promise((r) => setTimeout(r, 1))
  }
  const endOfWindow = queues.reduce((s, q) => s + q.length, 0)
  const cpuUse = cpu()
  const tDrain = performance.now()
  while (busy.some((b) => b)) await new Promise((r) => setTimeout(r, 20))
  const drainS = (performance.now() - tDrain) / 1000
  const offered = duesIssued * PUSH_BATCH
  // Kept up: committed about what was offered, and the pushes waiting at the end no more than a quarter of the
  // way in (or than a tenth of a second of pushes: what is in flight when each takes ~100 ms).
  const quarter = backlog[Math.floor(backlog.length / 4)] ?? 0
  const grew =
    committedInWindow < 0.95 * offered || endOfWindow > Math.max(2 * quarter, Math.ceil(PUSH_RATE / PUSH_BATCH / 10))
  report(
    `${label}: pushes, 200 phones × 10 offered at ${PUSH_RATE.toLocaleString('en')}/s for ${PUSH_SECONDS} s: p50 / p99 push (from when due)`,
    `${pct(latencies, 0.5).toFixed(0)} / ${pct(latencies, 0.99).toFixed(0)} ms (sent to answered: ${pct(services, 0.5).toFixed(0)} / ${pct(services, 0.99).toFixed(0)} ms)`,
    'p99 ≤ 1 s',
  )
  report(
    `${label}: pushes, committed in the window / offered; backlog (pushes due, unanswered) each 5 s`,
    `${((committedInWindow / PUSH_SECONDS) | 0).toLocaleString('en')}/s of ${((offered / PUSH_SECONDS) | 0).toLocaleString('en')}/s; ` +
      `${backlog.filter((_, i) => i % 5 === 4).join(' → ')} → ${endOfWindow} (${grew ? 'fell behind' : 'kept up'}; drained in ${drainS.toFixed(1)} s)` +
      (failures.length
        ? `; ${failures.length} refused (${[...new Set(failures.map((f) => f.slice(0, 3)))].join(', ')})`
        : ''),
    'no growing backlog',
  )
  report(`${label}: pushes, CPU during the window (a core is 100%)`, cpuUse)
  if (failures.length) log(`first refusals: ${failures.slice(0, 3).join(' | ')}`)
  log(`${committed.toLocaleString('en')} records pushed in all`)
}

async function postgresRun(): Promise<void> {
  const schema = `bench_scale_${Date.now()}`
  const store = await openStore(PG_URL, { schema })
  let bulk: Bulk | undefined
  let photoBulk: Bulk | undefined
  const servers: ChildProcess[] = []
  try {
    bulk = await postgresBulk(PG_URL, schema)
    photoBulk = await postgresBulk(PG_URL, schema)
    log(`PostgreSQL: loading ${SCALE.toLocaleString('en')} check-ins into schema ${schema}`)
    const loaded = await load(store, bulk, photoBulk, SCALE, DATASET, log)
    const ta = performance.now()
    // What autovacuum would have done by then for a table grown over two years: its statistics, and the visibility
    // map that lets a count read an index alone (PostgreSQL 13 on vacuums tables that are only inserted into too).
    await bulk.exec('vacuum analyze')
    const analyze = (performance.now() - ta) / 1000
    await bulk.close()
    await photoBulk.close()
    bulk = photoBulk = undefined
    await store.close()
    const t = loaded.timings
    report(
      `PostgreSQL: load of ${loaded.checkIns.toLocaleString('en')} check-ins, ${loaded.photoRefs.toLocaleString('en')} photo references`,
      `${(t.total / 60).toFixed(1)} min (users ${t.users.toFixed(0)} s; push code ${t.apply.toFixed(0)} s; photo rows ${t.photos.toFixed(0)} s; ` +
        `then waiting for record writes (triggers, indexes) ${t.wait.toFixed(0)} s; vacuum analyze ${analyze.toFixed(0)} s)` +
        (loaded.regions ? '; regions filled' : '; no region column yet: regions skipped'),
    )
    const env = { DATABASE_URL: PG_URL, DATABASE_SCHEMA: schema }
    servers.push(await startServer(PORT, env))
    const base = `http://127.0.0.1:${PORT}`
    await measureReports('PostgreSQL', base, servers[0]!, loaded, '≤ 300 ms')
    // BENCH_PUSH_SECONDS=0: the reports only (iterating on them at a smaller scale).
    if (PUSH_SECONDS <= 0) return

    // Phones: 200 inspectors signed in (their user ids for the records' authorId).
    const phones: { cookie: string; userId: string }[] = []
    for (let i = 0; i < PUSH_CLIENTS; i++) {
      const cookie = await signIn(base, loaded.pushers[(i * 23) % loaded.pushers.length]!)
      const me = (await (await fetch(`${base}/api/auth/me`, { headers: { cookie } })).json()) as {
        user: { id: string }
      }
      phones.push({ cookie, userId: me.user.id })
    }
    await pushLoad('PostgreSQL, one server', servers, phones, `one-${Date.now()}`)
    servers.push(await startServer(PORT + 1, env))
    await pushLoad('PostgreSQL, two servers', servers, phones, `two-${Date.now()}`)
  } finally {
    for (const s of servers) await stopServer(s)
    await bulk?.close()
    await photoBulk?.close()
    if (!process.env.BENCH_KEEP) {
      const client = new pg.Client({ connectionString: PG_URL })
      await client.connect()
      await client.query(`DROP SCHEMA "${schema}" CASCADE`)
      await client.end()
    } else log(`kept schema ${schema}`)
  }
}

async function sqliteRun(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'zhixun-scale-'))
  const file = join(dir, 'zhixun.sqlite')
  let server: ChildProcess | undefined
  try {
    const store = await openStore(file)
    const bulk = sqliteBulk(file)
    log(`SQLite: loading ${SQLITE_SCALE.toLocaleString('en')} check-ins`)
    let loaded: Loaded
    try {
      loaded = await load(store, bulk, bulk, SQLITE_SCALE, DATASET, log)
    } finally {
      await bulk.close()
      await store.close()
    }
    const t = loaded.timings
    report(
      `SQLite: load of ${loaded.checkIns.toLocaleString('en')} check-ins, ${loaded.photoRefs.toLocaleString('en')} photo references`,
      `${(t.total / 60).toFixed(1)} min (push code ${t.apply.toFixed(0)} s; photo rows ${t.photos.toFixed(0)} s; record writes ${t.wait.toFixed(0)} s)`,
    )
    server = await startServer(PORT + 2, { DATA_DIR: dir })
    await measureReports('SQLite', `http://127.0.0.1:${PORT + 2}`, server, loaded, '≤ 500 ms')
  } finally {
    if (server) await stopServer(server)
    rmSync(dir, { recursive: true, force: true })
  }
}

if (process.env.BENCH_SKIP_POSTGRES !== '1') {
  if (await postgresReachable()) await postgresRun()
  else log(`PostgreSQL not reachable at ${PG_URL}: its part is skipped`)
}
if (process.env.BENCH_SKIP_SQLITE !== '1') await sqliteRun()
console.log('\n| Measure | Result | Floor |\n| --- | --- | --- |')
for (const [what, value, floor] of rows) console.log(`| ${what} | ${value} | ${floor} |`)
log('done')
