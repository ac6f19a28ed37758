/**
 * `npm run bench:idb`: how much an inspector's phone stores in IndexedDB with 5,000 check-ins, keeping them all and
 * keeping what the retention rule keeps (src/db/retention.ts: the last 180 days and everything unsent).
 *
 * Headless Chromium, with a profile on disk (an incognito context would keep IndexedDB in memory), opens a blank
 * page of a local origin; the app's own saveCheckIn() (bundled into the page) saves the check-ins one by one,
 * signed and chained, evenly over four years up to now (25 a week is about four years' work), each with
 * PHOTOS photos of PHOTO_KB KB of bytes that do not compress (as a JPEG's: the phone makes ~300 KB ones). Every 100
 * saves a sync ends: the app's own acknowledge marks them verified, photos verified. Measured with
 * navigator.storage.estimate() (usageDetails.indexedDB) and by the size of the profile's IndexedDB folder:
 * - all: nothing pruned (the app before retention);
 * - pruned once: the same phone right after one pruning (what an old phone sees after updating);
 * - pruning all along: a fresh profile that prunes after every sync, as the app does.
 * Each with and without photos. N, PHOTOS and PHOTO_KB set the sizes.
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium } from 'playwright-core'
import { bundleForPage } from './bundle'
import { CHROMIUM, CHROMIUM_ARGS } from '../tests/helpers/browser'
import type { counts, estimate, fill, FillOptions, prune } from './idb-usage-entry'

const N = Number(process.env.N ?? 5000)
const PHOTOS = Number(process.env.PHOTOS ?? 2)
const PHOTO_KB = Number(process.env.PHOTO_KB ?? 300)
const SPAN_DAYS = 4 * 365
const SYNC_EVERY = 100

type Bench = { fill: typeof fill; prune: typeof prune; estimate: typeof estimate; counts: typeof counts }

const mb = (bytes: number | null) => (bytes === null ? 'n/a' : `${(bytes / 1024 / 1024).toFixed(1)} MB`)
function folderBytes(dir: string): number {
  let total = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    total += entry.isDirectory() ? folderBytes(path) : statSync(path).size
  }
  return total
}
/** The profile's IndexedDB folder (Default/IndexedDB in Chromium's profile layout). */
const idbFolderBytes = (profile: string) => {
  const dir = join(profile, 'Default', 'IndexedDB')
  try {
    return folderBytes(dir)
  } catch {
    return 0
  }
}

// A blank page on a local origin: a secure context (WebCrypto, storage estimates), with nothing else stored.
const http = createServer((_req, res) => res.writeHead(200, { 'Content-Type': 'text/html' }).end('<!doctype html>'))
await new Promise<void>((ok) => http.listen(0, '127.0.0.1', ok))
const address = http.address()
const origin = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`
const script = await bundleForPage('bench/idb-usage-entry.ts', 'ZhixunIdbBench', '.bench/idb-usage')

const rows: string[][] = []
function report(
  label: string,
  c: { checkIns: number; photos: number },
  e: { usage: number; indexedDB: number | null },
  disk: number,
) {
  rows.push([label, String(c.checkIns), String(c.photos), mb(e.indexedDB), mb(disk)])
  console.log(
    `${label}: ${c.checkIns} check-ins, ${c.photos} photos; estimate ${mb(e.indexedDB)} (all ${mb(e.usage)}); folder ${mb(disk)}`,
  )
}

async function run(photos: number, pruneAllAlong: boolean): Promise<void> {
  const profile = mkdtempSync(join(tmpdir(), 'zhixun-idb-bench-'))
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: CHROMIUM_ARGS })
  try {
    const page = context.pages()[0] ?? (await context.newPage())
    await page.goto(origin)
    await page.addScriptTag({ path: script })
    const options: FillOptions = {
      n: N,
      authorId: '0190a000-0000-7000-8000-000000000001',
      photosPerCheckIn: photos,
      photoBytes: PHOTO_KB * 1024,
      spanDays: SPAN_DAYS,
      syncEvery: SYNC_EVERY,
      prune: pruneAllAlong,
    }
    const t0 = performance.now()
    const filled = await page.evaluate(
      (o) => (window as unknown as { ZhixunIdbBench: Bench }).ZhixunIdbBench.fill(o),
      options,
    )
    const what = photos ? `${N} check-ins, ${photos} photos of ${PHOTO_KB} KB each` : `${N} check-ins, no photos`
    console.log(`(${what}: saved in ${((performance.now() - t0) / 1000).toFixed(0)} s)`)
    const e1 = await page.evaluate(() => (window as unknown as { ZhixunIdbBench: Bench }).ZhixunIdbBench.estimate())
    report(`${what}: ${pruneAllAlong ? 'pruning after every sync' : 'all kept'}`, filled, e1, idbFolderBytes(profile))
    if (!pruneAllAlong) {
      await page.evaluate(() => (window as unknown as { ZhixunIdbBench: Bench }).ZhixunIdbBench.prune())
      const c = await page.evaluate(() => (window as unknown as { ZhixunIdbBench: Bench }).ZhixunIdbBench.counts())
      const e2 = await page.evaluate(() => (window as unknown as { ZhixunIdbBench: Bench }).ZhixunIdbBench.estimate())
      report(`${what}: right after pruning once`, c, e2, idbFolderBytes(profile))
    }
  } finally {
    await context.close()
    rmSync(profile, { recursive: true, force: true })
  }
}

try {
  for (const photos of PHOTOS ? [0, PHOTOS] : [0]) {
    await run(photos, false)
    await run(photos, true)
  }
} finally {
  http.close()
}

console.log('\n| Phone | Check-ins kept | Photos kept | storage.estimate() IndexedDB | IndexedDB folder |')
console.log('| --- | --- | --- | --- | --- |')
for (const r of rows) console.log(`| ${r.join(' | ')} |`)
