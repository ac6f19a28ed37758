/**
 * `npm run bench:lighthouse`: Lighthouse (pinned in package.json) with its default settings (mobile, simulated
 * throttling, a fresh profile every run) against the production server (`server/main.ts` over the built app, on
 * SQLite in a fresh folder), for `/` and `/tasks/28`, three runs each; prints the medians. Chromium is Debian's
 * (CHROME_PATH to use another). Not part of `npm test`: these are timings.
 */
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import lighthouse from 'lighthouse'
import { CHROMIUM } from '../tests/helpers/browser'
import { serverArgs } from './server-process'

const PORT = 18190
const RUNS = 3
const base = `http://127.0.0.1:${PORT}`
const server = spawn(process.execPath, serverArgs(), {
  env: { ...process.env, PORT: String(PORT), HOST: '127.0.0.1', DATA_DIR: mkdtempSync(join(tmpdir(), 'zhixun-lh-')) },
  stdio: ['ignore', 'ignore', 'inherit'],
})
for (let i = 0; ; i++) {
  try {
    if ((await fetch(`${base}/api/health`)).ok) break
  } catch {
    if (i === 100) throw new Error('server did not start')
    await new Promise((r) => setTimeout(r, 100))
  }
}

interface Run {
  performance: number
  accessibility: number
  bestPractices: number
  lcp: number
  tbt: number
  cls: number
  failed: string[]
}

const DEBUG_PORT = 18191

/** Chromium with a profile of its own, nothing cached, listening for DevTools on DEBUG_PORT. */
async function freshChromium() {
  const chrome = spawn(
    process.env.CHROME_PATH ?? CHROMIUM,
    [
      '--headless=new',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      `--remote-debugging-port=${DEBUG_PORT}`,
      `--user-data-dir=${mkdtempSync(join(tmpdir(), 'zhixun-lh-profile-'))}`,
      'about:blank',
    ],
    { stdio: 'ignore' },
  )
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${DEBUG_PORT}/json/version`)).ok) return chrome
    } catch {
      if (i === 100) throw new Error('Chromium did not start')
      await new Promise((r) => setTimeout(r, 100))
    }
  }
}

async function audit(url: string): Promise<Run> {
  const chrome = await freshChromium()
  try {
    const result = await lighthouse(url, {
      port: DEBUG_PORT,
      output: 'json',
      logLevel: 'error',
      onlyCategories: ['performance', 'accessibility', 'best-practices'],
    })
    if (!result) throw new Error('Lighthouse gave no result')
    // The whole report of every run, to see what a figure is made of (the last run of each page is kept).
    mkdirSync('.bench/lighthouse', { recursive: true })
    writeFileSync(
      `.bench/lighthouse/${new URL(url).pathname.replaceAll('/', '_') || '_'}.json`,
      JSON.stringify(result.lhr),
    )
    const { categories, audits } = result.lhr
    const score = (id: string) => Math.round((categories[id]?.score ?? 0) * 100)
    return {
      performance: score('performance'),
      accessibility: score('accessibility'),
      bestPractices: score('best-practices'),
      lcp: audits['largest-contentful-paint']?.numericValue ?? NaN,
      tbt: audits['total-blocking-time']?.numericValue ?? NaN,
      cls: audits['cumulative-layout-shift']?.numericValue ?? NaN,
      // What cost points in accessibility and best practices, to say what to fix.
      failed: Object.values(audits)
        .filter((a) => a.score !== null && a.score < 1 && a.scoreDisplayMode === 'binary')
        .map((a) => a.id),
    }
  } finally {
    chrome.kill()
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const rows: [string, string, string][] = []
try {
  for (const path of ['/', '/tasks/28']) {
    const runs: Run[] = []
    for (let i = 0; i < RUNS; i++) {
      const run = await audit(`${base}${path}`)
      console.log(`${path} run ${i + 1}:`, JSON.stringify(run))
      runs.push(run)
    }
    const m = (k: keyof Omit<Run, 'failed'>) => median(runs.map((r) => r[k]))
    rows.push(
      [`Lighthouse ${path}: performance`, String(m('performance')), '≥ 95'],
      [`Lighthouse ${path}: LCP`, `${(m('lcp') / 1000).toFixed(2)} s`, '≤ 2.0 s'],
      [`Lighthouse ${path}: TBT`, `${m('tbt').toFixed(0)} ms`, '≤ 150 ms'],
      [`Lighthouse ${path}: CLS`, m('cls').toFixed(3), '0'],
      [
        `Lighthouse ${path}: accessibility / best practices`,
        `${m('accessibility')} / ${m('bestPractices')}`,
        '100 / 100',
      ],
    )
  }
} finally {
  server.kill()
}
console.log(`\nMedians of ${RUNS} runs each (Lighthouse defaults: mobile, simulated throttling)`)
console.log('\n| Measure | Result | Floor |\n| --- | --- | --- |')
for (const [what, value, floor] of rows) console.log(`| ${what} | ${value} | ${floor} |`)
