/**
 * `npm run bench:wire`: bytes on the wire (headers and bodies, both directions, as Chromium counts them) for an
 * inspector's first visit until the home list is painted, for everything the service worker then precaches,
 * and for a phone pulling 10,000 of its records. The real server over the built app, on loopback.
 */
import { request as httpRequest } from 'node:http'
import { brotliDecompressSync, gunzipSync } from 'node:zlib'
import type { Request } from 'playwright-core'
import { uuidv7 } from '../src/kernel/uuid'
import { createUser } from '../server/auth/accounts'
import { LIMITS } from '../src/kernel/sync-schema'
import { launchChromium, startServer } from '../tests/helpers/browser'

const rows: [string, string, string][] = []
const report = (what: string, value: string, floor = '') => {
  rows.push([what, value, floor])
  console.log(`${what}: ${value}${floor ? ` (floor ${floor})` : ''}`)
}
const kb = (bytes: number) => `${(bytes / 1000).toFixed(1)} KB`

/** What a request and its answer took on the wire: request line and headers, body, answer headers and body. */
async function wireBytes(request: Request): Promise<number> {
  const s = await request.sizes()
  return s.requestHeadersSize + s.requestBodySize + s.responseHeadersSize + s.responseBodySize
}

const server = await startServer()
const browser = await launchChromium()
try {
  // 1. First visit, fresh profile: every request of the page until the home list is painted; then, counted
  // apart, every request the service worker makes to precache the app.
  const context = await browser.newContext({ viewport: { width: 360, height: 740 }, locale: 'zh-CN' })
  const page = await context.newPage()
  await page.addInitScript(() => {
    const w = window as unknown as { __listPainted?: boolean }
    const obs = new MutationObserver(() => {
      if (document.querySelector('[data-testid="section-list"] li')) {
        requestAnimationFrame(() => (w.__listPainted = true))
        obs.disconnect()
      }
    })
    obs.observe(document, { childList: true, subtree: true })
  })
  let painted = false
  const pageRequests: Promise<number>[] = []
  const workerRequests: Promise<number>[] = []
  const pageFiles: string[] = []
  context.on('requestfinished', (request) => {
    if (request.serviceWorker()) workerRequests.push(wireBytes(request))
    else if (!painted) {
      const path = new URL(request.url()).pathname
      // Answered by the service worker: nothing crossed the wire for the page (the worker's fetch counts there).
      pageRequests.push(
        request.response().then(async (r) => {
          const bytes = r && r.fromServiceWorker() ? 0 : await wireBytes(request)
          pageFiles.push(`${path} ${bytes} ${(await r?.headerValue('content-encoding')) ?? '-'}`)
          return bytes
        }),
      )
    }
  })
  await page.goto(server.url)
  await page.waitForFunction(() => (window as unknown as { __listPainted?: boolean }).__listPainted === true)
  painted = true
  const firstVisit = (await Promise.all(pageRequests)).reduce((a, b) => a + b, 0)
  if (process.env.BENCH_VERBOSE) console.log(pageFiles.join('\n'))
  report(
    `First visit until the home list is painted (${pageFiles.length} requests, service worker's own excluded)`,
    kb(firstVisit),
    '≤ 150 KB',
  )
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, { timeout: 60_000 })
  const precache = (await Promise.all(workerRequests)).reduce((a, b) => a + b, 0)
  report(`Service worker precache (${workerRequests.length} requests)`, kb(precache), '≤ 300 KB')
  await context.close()

  // 2. A phone pulling 10,000 of its records, page by page as the sync engine does, saying what Chromium says
  // it accepts. Counted on the socket: the answer's status line, headers and (compressed) body.
  const store = server.store
  const password = 'bench-password-long'
  await createUser(store.db, new Set(['省知识产权局']), {
    username: 'bench.wire',
    displayName: '压测',
    department: '省知识产权局',
    role: 'inspector',
    password,
  })
  const login = await fetch(`${server.url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'bench.wire', password }),
  })
  const { user } = (await login.json()) as { user: { id: string } }
  const cookie = login.headers.get('set-cookie')!.split(';')[0]!
  const clientId = `bench-wire-${Date.now()}`
  const total = 10_000
  for (let seq = 1; seq <= total; seq += LIMITS.mutationsPerPush) {
    const mutations = Array.from({ length: Math.min(LIMITS.mutationsPerPush, total - seq + 1) }, (_, k) => {
      const now = new Date().toISOString()
      return {
        seq: seq + k,
        name: 'checkin.create',
        args: {
          id: uuidv7(),
          authorId: user.id,
          venueName: `批发市场 ${seq + k} 号档口`,
          venueType: 'market',
          occurredAt: now,
          location: { lat: 23.12 + (seq + k) / 1e5, lng: 113.25, accuracy: 15 },
          outcome: (seq + k) % 3 ? 'no_problem' : 'suspected',
          premisesInspected: 3,
          itemsSeized: (seq + k) % 5,
          note: '例行巡查，未见明显侵权商品。',
          taskNumbers: [11, 28],
          campaignId: null,
          photos: [],
          correctionOf: null,
          createdAt: now,
        },
      }
    })
    const res = await fetch(`${server.url}/api/sync/push`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie },
      body: JSON.stringify({ clientId, mutations }),
    })
    if (!res.ok) throw new Error(`push failed: ${res.status}`)
  }
  const accept = 'gzip, deflate, br, zstd'
  const pull = (cursor: number) =>
    new Promise<{ wire: number; plain: number; cursor: number; more: boolean; count: number }>((resolve, reject) => {
      const req = httpRequest(
        `${server.url}/api/sync/pull?cursor=${cursor}&limit=${LIMITS.pullPage}`,
        { headers: { cookie, 'accept-encoding': accept } },
        (res) => {
          const chunks: Buffer[] = []
          res.on('data', (c: Buffer) => chunks.push(c))
          res.on('end', () => {
            const body = Buffer.concat(chunks)
            const head = `HTTP/1.1 ${res.statusCode} ${res.statusMessage}\r\n${res.rawHeaders
              .map((h, i) => (i % 2 ? `${h}\r\n` : `${h}: `))
              .join('')}\r\n`
            const coding = res.headers['content-encoding']
            const text = (
              coding === 'br' ? brotliDecompressSync(body) : coding === 'gzip' ? gunzipSync(body) : body
            ).toString()
            const json = JSON.parse(text) as { cursor: number; more: boolean; changes: unknown[] }
            resolve({
              wire: Buffer.byteLength(head) + body.length,
              plain: Buffer.byteLength(text),
              cursor: json.cursor,
              more: json.more,
              count: json.changes.length,
            })
          })
        },
      )
      req.on('error', reject)
      req.end()
    })
  let cursor = 0
  let wire = 0
  let plain = 0
  let pulled = 0
  let pages = 0
  for (;;) {
    const p = await pull(cursor)
    wire += p.wire
    plain += p.plain
    pulled += p.count
    pages++
    cursor = p.cursor
    if (!p.more) break
  }
  if (pulled !== total) throw new Error(`pulled ${pulled}, not ${total}`)
  report(
    `A phone pulls ${total.toLocaleString('en')} of its records (${pages} pages of ${LIMITS.pullPage})`,
    `${(wire / 1e6).toFixed(2)} MB on the wire (${(plain / 1e6).toFixed(1)} MB of JSON)`,
    '≤ 1.0 MB',
  )
} finally {
  await browser.close()
  await server.app.close()
}

console.log('\n| Measure | Result | Floor |\n| --- | --- | --- |')
for (const [what, value, floor] of rows) console.log(`| ${what} | ${value} | ${floor || '—'} |`)
