/**
 * `npm run bench:save`: what saving a check-in costs while the records page is open, at the first record and
 * at the thousandth. Headless Chromium signs in through the app, opens the records page and goes offline (so
 * sync stays out of the timings); the app's own saveCheckIn() (bundled into the page, on the app's database)
 * then saves 1,000 check-ins one after another while the page follows every change, as it does on a phone.
 */
import { bundleForPage } from './bundle'
import { launchChromium, signInThroughUi, startServer } from '../tests/helpers/browser'

const N = 1000
const WINDOW = 50
const rows: [string, string, string][] = []
const report = (what: string, value: string, floor = '') => {
  rows.push([what, value, floor])
  console.log(`${what}: ${value}${floor ? ` (floor ${floor})` : ''}`)
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
type Bench = { timeSaves(n: number, authorId: string): Promise<number[]> }

const server = await startServer()
const browser = await launchChromium()
try {
  const script = await bundleForPage('bench/save-entry.ts', 'ZhixunSaveBench', '.bench/save')
  async function run(path: string, label: string): Promise<void> {
    // bypassCSP: the benchmark injects its own script into the page; the app itself runs under the CSP.
    const context = await browser.newContext({ viewport: { width: 360, height: 740 }, bypassCSP: true })
    const page = await context.newPage()
    await page.goto(server.url)
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null)
    const user = await signInThroughUi(page, server)
    await page.goto(`${server.url}${path}`)
    await page.getByTestId('sync-panel').or(page.locator('h1')).first().waitFor()
    await context.setOffline(true)
    await page.addScriptTag({ path: script })
    const times = await page.evaluate(
      ([n, id]) => (window as unknown as { ZhixunSaveBench: Bench }).ZhixunSaveBench.timeSaves(n, id),
      [N, user.id] as const,
    )
    if (path === '/records') {
      // The page kept up: it counts every one of them.
      await page.getByRole('heading', { name: new RegExp(`[(（]${N}[)）]`) }).waitFor({ timeout: 60_000 })
    }
    const first = median(times.slice(0, WINDOW))
    const last = median(times.slice(-WINDOW))
    report(
      `Save a check-in, ${label}: median of saves 1–${WINDOW} / ${N - WINDOW + 1}–${N} / all ${N}`,
      `${first.toFixed(1)} / ${last.toFixed(1)} / ${median(times).toFixed(1)} ms`,
      path === '/records' ? '≤ 15 ms' : '',
    )
    await context.close()
  }
  await run('/records', 'records page open')
  await run('/about', 'quiet page (about)')
} finally {
  await browser.close()
  await server.app.close()
}

console.log('\n| Measure | Result | Floor |\n| --- | --- | --- |')
for (const [what, value, floor] of rows) console.log(`| ${what} | ${value} | ${floor || '—'} |`)
