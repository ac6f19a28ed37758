/**
 * `npm run bench`: sizes of the build, search speed, offline reload to first list, IndexedDB import.
 * Prints a Markdown table; BENCHMARKS.md keeps the last run's figures.
 */
import { readFileSync, readdirSync } from 'node:fs'
import { gzipSync } from 'node:zlib'
import { build } from 'vite'
import { buildSearchIndex, search } from '../src/search/search'
import type { Dataset } from '../src/dataset/types'
import { launchChromium, startServer } from '../tests/helpers/browser'
import { scaleDataset } from './synthetic'

const rows: [string, string, string][] = []
const report = (what: string, value: string, floor = '') => {
  rows.push([what, value, floor])
  console.log(`${what}: ${value}${floor ? ` (floor ${floor})` : ''}`)
}
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.95))]!
const gz = (path: string) => gzipSync(readFileSync(path), { level: 9 }).length

// 1. What the first visit downloads before anything shows: the entry, its preloads and stylesheets.
const html = readFileSync('dist/index.html', 'utf8')
const initial = [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.(?:js|css))"/g)].map((m) => m[1]!)
const initialGz = initial.reduce((sum, f) => sum + gz(`dist/${f}`), 0)
report('Initial JS+CSS, gzipped', `${kb(initialGz)} (${initial.length} files)`, '≤ 120 KB')
const allAssets = readdirSync('dist/assets').filter((f) => /\.(js|css)$/.test(f))
report('All JS+CSS incl. lazy pages, gzipped', kb(allAssets.reduce((s, f) => s + gz(`dist/assets/${f}`), 0)))
report('Dataset, gzipped', `${kb(gz('dist/data/dataset.json'))} (raw ${kb(readFileSync('dist/data/dataset.json').length)})`, '≤ 20 KB')

// 2. Search, in Node's V8 (the engine of Chrome on Android), over the real and a 100× dataset.
const real = JSON.parse(readFileSync('dist/data/dataset.json', 'utf8')) as Dataset
const big = scaleDataset(real, 100)
const queries = ['展会', '知识产权', '侵权假冒', 'gsj', '28', '不存在的词']
for (const [label, dataset, floor] of [
  ['160 tasks', real, '≤ 5 ms'],
  ['16,000 tasks', big, '≤ 30 ms'],
] as const) {
  const index = buildSearchIndex(dataset)
  for (let i = 0; i < 20; i++) for (const q of queries) search(index, q) // warm up the JIT
  const times: number[] = []
  for (let i = 0; i < 50; i++) {
    for (const q of queries) {
      const t0 = performance.now()
      search(index, q, i % 2 ? { role: 'lead' } : {})
      times.push(performance.now() - t0)
    }
  }
  report(`Search, ${label} (median / p95 / max of ${times.length})`, `${median(times).toFixed(2)} / ${p95(times).toFixed(2)} / ${Math.max(...times).toFixed(2)} ms`, floor)
}

// 3 and 4 run in headless Chromium against the real server.
const server = await startServer()
const browser = await launchChromium()
try {
  const context = await browser.newContext({ viewport: { width: 360, height: 740 } })
  // Records when a selector first has content, then waits a frame so the time is after a paint.
  await context.addInitScript(() => {
    const w = window as unknown as { __firstList?: number }
    const obs = new MutationObserver(() => {
      if (w.__firstList === undefined && document.querySelector('[data-testid="task-list"] li, [data-testid="section-list"] li')) {
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
  for (const [path, label] of [
    ['/sections/2', 'task list of section 二 (36 tasks)'],
    ['/', 'home section list'],
  ] as const) {
    const times: number[] = []
    await page.goto(`${server.url}${path}`)
    for (let i = 0; i < 15; i++) {
      await page.reload()
      await page.waitForFunction(() => (window as unknown as { __firstList?: number }).__firstList !== undefined)
      times.push(await page.evaluate(() => (window as unknown as { __firstList: number }).__firstList))
    }
    report(`Offline reload → first ${label} painted (median / max of 15)`, `${median(times).toFixed(0)} / ${Math.max(...times).toFixed(0)} ms`, '≤ 500 ms')
  }

  await build({
    configFile: false,
    logLevel: 'warn',
    resolve: { alias: { '@': new URL('../src', import.meta.url).pathname } },
    build: { outDir: '.bench/idb', emptyOutDir: true, lib: { entry: 'bench/idb-entry.ts', formats: ['iife'], name: 'ZhixunBench', fileName: () => 'idb.js' } },
  })
  await page.addScriptTag({ path: '.bench/idb/idb.js' })
  for (const [label, dataset] of [
    ['160 tasks', real],
    ['16,000 tasks', big],
  ] as const) {
    const runs: { importMs: number; loadMs: number }[] = []
    for (let i = 0; i < 5; i++) {
      runs.push(
        await page.evaluate(
          ([d, name]) => (window as unknown as { ZhixunBench: { timeImport: (d: unknown, n: string) => Promise<{ importMs: number; loadMs: number }> } }).ZhixunBench.timeImport(d, name),
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
