/**
 * `npm run bench`: sizes of the build, offline reload to first list, IndexedDB import (search speed is
 * bench/search.ts, in a process of its own so nothing else's garbage collection lands in its timings).
 * Prints a Markdown table; BENCHMARKS.md keeps the last run's figures.
 */
import { readFileSync, readdirSync } from 'node:fs'
import { gzipSync } from 'node:zlib'
import { bundleForPage } from './bundle'
import type { Dataset } from '../src/kernel/dataset'
import { launchChromium, startServer } from '../tests/helpers/browser'
import { scaleDataset } from './synthetic'

const rows: [string, string, string][] = []
const report = (what: string, value: string, floor = '') => {
  rows.push([what, value, floor])
  console.log(`${what}: ${value}${floor ? ` (floor ${floor})` : ''}`)
}
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const gz = (path: string) => gzipSync(readFileSync(path), { level: 9 }).length

// 1. What the first visit downloads before anything shows: the entry, its preloads and stylesheets.
const html = readFileSync('dist/index.html', 'utf8')
const initial = [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.(?:js|css))"/g)].map((m) => m[1]!)
const initialGz = initial.reduce((sum, f) => sum + gz(`dist/${f}`), 0)
report('Initial JS+CSS, gzipped', `${kb(initialGz)} (${initial.length} files)`, '≤ 100 KB')
const real = JSON.parse(readFileSync('dist/data/dataset.json', 'utf8')) as Dataset
const allAssets = readdirSync('dist/assets').filter((f) => /\.(js|css)$/.test(f))
report('All JS+CSS incl. lazy pages, gzipped', kb(allAssets.reduce((s, f) => s + gz(`dist/assets/${f}`), 0)))
report(
  'Dataset, gzipped',
  `${kb(gz('dist/data/dataset.json'))} (raw ${kb(readFileSync('dist/data/dataset.json').length)})`,
  '≤ 20 KB',
)

// 3 and 4 run in headless Chromium against the real server.
const server = await startServer()
const browser = await launchChromium()
try {
  // bypassCSP: the benchmark injects its own script into the page; the app itself runs under the CSP.
  const context = await browser.newContext({ viewport: { width: 360, height: 740 }, bypassCSP: true })
  // Records when a selector first has content, then waits a frame so the time is after a paint.
  await context.addInitScript(() => {
    const w = window as unknown as { __firstList?: number }
    const obs = new MutationObserver(() => {
      if (
        w.__firstList === undefined &&
        document.querySelector('[data-testid="task-list"] li, [data-testid="section-list"] li')
      ) {
        requestAnimationFrame(() => (w.__firstList = performance.now()))
        obs.disconnect()
      }
    })
    obs.observe(document, { childList: true, subtree: true })
  })
  const page = await context.newPage()
  await page.goto(server.url)
  await page.waitForSelector('[data-testid="section-list"] li')
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null)
  await context.setOffline(true)
  await page.reload()
  /**
   * Resolves once the page has settled (what the app does after its first screen done: the service worker, the rest
   * of the messages, sync), as a phone whose app has been open a moment has. A reload the instant the list has
   * painted times the previous page's start-up as well, still running beside the new one's.
   */
  const settled = async () => {
    await page.waitForLoadState('networkidle')
    await page.evaluate(() => new Promise<void>((resolve) => requestIdleCallback(() => resolve(), { timeout: 3000 })))
  }
  /** Times from a reload (navigation start) to the frame after the first row of a list exists. */
  const reloads = async (path: string, settle: boolean) => {
    const times: number[] = []
    await page.goto(`${server.url}${path}`)
    for (let i = 0; i < 15; i++) {
      if (settle) await settled()
      await page.reload()
      await page.waitForFunction(() => (window as unknown as { __firstList?: number }).__firstList !== undefined)
      times.push(await page.evaluate(() => (window as unknown as { __firstList: number }).__firstList))
    }
    return times
  }
  for (const [path, label] of [
    ['/sections/2', 'task list of section 二 (36 tasks)'],
    ['/', 'home section list'],
  ] as const) {
    const times = await reloads(path, false)
    report(
      `Offline reload → first ${label} painted (median / max of 15)`,
      `${median(times).toFixed(0)} / ${Math.max(...times).toFixed(0)} ms`,
      '≤ 500 ms',
    )
  }
  // The same on a slow phone: Chromium's CPU slowed down 4× (DevTools' own throttling), home list.
  const cdp = await context.newCDPSession(page)
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 })
  // A CDP session of its own brings navigator.onLine back to true (Playwright's offline is said on its session): the
  // app, believing itself online, then asked for the dataset on every start, a request that could only fail, made
  // while the list was still to paint. Offline, said again on this session, as the unthrottled runs above are.
  await cdp.send('Network.emulateNetworkConditions', {
    offline: true,
    latency: 0,
    downloadThroughput: -1,
    uploadThroughput: -1,
  })
  // As it has always been measured, each reload the instant the list has painted; then with the page settled first.
  const slow = await reloads('/', false)
  const settledSlow = await reloads('/', true)
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: 1 })
  report(
    'Offline reload → first home section list painted, CPU throttled 4× (median / max of 15)',
    `${median(slow).toFixed(0)} / ${Math.max(...slow).toFixed(0)} ms`,
    '≤ 200 ms',
  )
  report(
    'The same, each reload once the page has settled (median / max of 15)',
    `${median(settledSlow).toFixed(0)} / ${Math.max(...settledSlow).toFixed(0)} ms`,
  )

  await page.addScriptTag({ path: await bundleForPage('bench/idb-entry.ts', 'ZhixunBench', '.bench/idb') })
  for (const [label, dataset] of [
    ['160 tasks', real],
    ['16,000 tasks', scaleDataset(real, 100)],
  ] as const) {
    const runs: { importMs: number; loadMs: number }[] = []
    for (let i = 0; i < 5; i++) {
      runs.push(
        await page.evaluate(
          ([d, name]) =>
            (
              window as unknown as {
                ZhixunBench: { timeImport: (d: unknown, n: string) => Promise<{ importMs: number; loadMs: number }> }
              }
            ).ZhixunBench.timeImport(d, name),
          [dataset, `bench-${label}-${i}`] as const,
        ),
      )
    }
    report(
      `IndexedDB import (one transaction) / full read, ${label} (median of 5)`,
      `${median(runs.map((r) => r.importMs)).toFixed(0)} / ${median(runs.map((r) => r.loadMs)).toFixed(0)} ms`,
    )
  }
} finally {
  await browser.close()
  await server.app.close()
}

console.log('\n| Measure | Result | Floor |\n| --- | --- | --- |')
for (const [what, value, floor] of rows) console.log(`| ${what} | ${value} | ${floor || '—'} |`)
