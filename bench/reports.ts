/**
 * `npm run bench:reports`: how long a supervisor waits for campaign progress, a full CSV export and task
 * coverage, with 20,000 check-ins on the server (10,000 in the campaign), on SQLite and PostgreSQL.
 * The real server, listening on loopback; timings are the median of 7 requests after one warm-up.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { buildServer } from '../server/app'
import { createUser } from '../server/auth/accounts'
import { openStore, type Store } from '../server/db/database'
import { OUTCOMES, VENUE_TYPES, type CheckIn } from '../src/kernel/sync-schema'
import { uuidv7 } from '../src/kernel/uuid'
import { PG_URL, postgresReachable } from '../tests/helpers/server'

const INSPECTORS = 20
const PER_INSPECTOR = 1000
const PASSWORD = 'bench-password-long'
const rows: [string, string][] = []

async function median(n: number, fn: () => Promise<void>): Promise<number> {
  await fn()
  const times: number[] = []
  for (let i = 0; i < n; i++) {
    const t0 = performance.now()
    await fn()
    times.push(performance.now() - t0)
  }
  return times.sort((a, b) => a - b)[Math.floor(n / 2)]!
}

async function run(label: string, store: Store) {
  const app = await buildServer({ distDir: 'dist', store })
  const base = await app.listen({ port: 0, host: '127.0.0.1' })
  const departments = new Set(['省知识产权局'])
  const login = async (role: 'inspector' | 'supervisor', i: number) => {
    const username = `bench.${role}.${i}`
    const user = await createUser(store.db, departments, {
      username,
      displayName: `压测${i}`,
      department: '省知识产权局',
      role,
      password: PASSWORD,
    })
    const res = await fetch(`${base}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password: PASSWORD }),
    })
    return { id: user.id, cookie: res.headers.get('set-cookie')!.split(';')[0]! }
  }
  const supervisor = await login('supervisor', 0)
  const inspectors = await Promise.all(Array.from({ length: INSPECTORS }, (_, i) => login('inspector', i)))
  const call = (path: string, init: RequestInit = {}, who = supervisor) =>
    fetch(`${base}${path}`, {
      ...init,
      headers: { 'content-type': 'application/json', cookie: who.cookie, ...(init.headers ?? {}) },
    })
  const campaign = (
    await (
      await call('/api/campaigns', {
        method: 'POST',
        body: JSON.stringify({
          name: '压测专项',
          description: '',
          taskNumbers: [28],
          departments: ['省知识产权局'],
          inspectorIds: inspectors.map((x) => x.id),
          startDate: '2026-01-01',
          endDate: '2026-12-31',
          venues: [],
        }),
      })
    ).json()
  ).campaign as { id: string }

  const t0 = Date.parse('2026-11-01T00:00:00Z')
  await Promise.all(
    inspectors.map(async (who, w) => {
      for (let b = 0; b < PER_INSPECTOR / 100; b++) {
        const mutations = Array.from({ length: 100 }, (_, i) => {
          const k = b * 100 + i
          const args: CheckIn = {
            id: uuidv7(),
            authorId: who.id,
            venueName: `场所 ${w}-${k}`,
            venueType: VENUE_TYPES[k % VENUE_TYPES.length]!,
            occurredAt: new Date(t0 + ((w * PER_INSPECTOR + k) % 26) * 86_400_000 + k * 1000).toISOString(),
            location: { lat: 23.1 + (k % 100) / 1000, lng: 113.3, accuracy: 10 },
            outcome: OUTCOMES[k % OUTCOMES.length]!,
            premisesInspected: 3,
            itemsSeized: k % 5,
            note: '展位抽查，未见异常。',
            taskNumbers: [1 + (k % 160)],
            campaignId: k % 2 === 0 ? campaign.id : null,
            photos: [],
            correctionOf: null,
            createdAt: new Date(t0).toISOString(),
          }
          return { seq: k + 1, name: 'checkin.create', args }
        })
        const res = await call(
          '/api/sync/push',
          { method: 'POST', body: JSON.stringify({ clientId: `bench-client-${w}`, mutations }) },
          who,
        )
        if (!res.ok) throw new Error(`push ${res.status}`)
      }
    }),
  )
  const report = await median(7, async () => {
    const res = await call(`/api/campaigns/${campaign.id}/report`)
    if ((await res.json()).total !== (INSPECTORS * PER_INSPECTOR) / 2) throw new Error('report total')
  })
  const filtered = await median(
    7,
    async () =>
      void (await (await call(`/api/campaigns/${campaign.id}/report?outcome=suspected&venueType=market`)).json()),
  )
  let csvBytes = 0
  const csv = await median(7, async () => {
    csvBytes = (await (await call(`/api/campaigns/${campaign.id}/checkins.csv`)).arrayBuffer()).byteLength
  })
  const coverage = await median(7, async () => {
    const res = await call('/api/coverage')
    if ((await res.json()).tasks.length !== 160) throw new Error('coverage')
  })
  const n = (INSPECTORS * PER_INSPECTOR) / 2
  rows.push([
    `${label}: campaign progress (${n.toLocaleString('en')} check-ins, breakdowns + first 200)`,
    `${report.toFixed(0)} ms`,
  ])
  rows.push([`${label}: campaign progress, filtered by outcome and venue type`, `${filtered.toFixed(0)} ms`])
  rows.push([
    `${label}: CSV export of all ${n.toLocaleString('en')} check-ins`,
    `${csv.toFixed(0)} ms (${(csvBytes / 1024 / 1024).toFixed(1)} MB)`,
  ])
  rows.push([
    `${label}: task coverage over ${(INSPECTORS * PER_INSPECTOR).toLocaleString('en')} check-ins`,
    `${coverage.toFixed(0)} ms`,
  ])
  for (const r of rows.slice(-4)) console.log(`${r[0]}: ${r[1]}`)
  await app.close()
}

const sqlite = await openStore(join(mkdtempSync(join(tmpdir(), 'zhixun-bench-')), 'zhixun.sqlite'))
await run('SQLite', sqlite)
await sqlite.close()
if (await postgresReachable()) {
  const schema = `bench_reports_${Date.now()}`
  const store = await openStore(PG_URL, { schema })
  await run('PostgreSQL', store)
  await store.close()
  const client = new pg.Client({ connectionString: PG_URL })
  await client.connect()
  await client.query(`DROP SCHEMA "${schema}" CASCADE`)
  await client.end()
}
console.log('\n| Measure | Median of 7 |\n| --- | --- |')
for (const [what, value] of rows) console.log(`| ${what} | ${value} |`)
