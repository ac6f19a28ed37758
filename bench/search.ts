/**
 * Search speed: `search()` from src/search/search.ts in Node's V8 (the engine of Chrome on Android), over
 * the real dataset and over the real tasks repeated 100 times. Run by `npm run bench`.
 */
import { readFileSync } from 'node:fs'
import type { Dataset } from '../src/kernel/dataset'
import { buildSearchIndex, search } from '../src/search/search'
import { scaleDataset } from './synthetic'

const rows: [string, string, string][] = []
const report = (what: string, value: string, floor = '') => {
  rows.push([what, value, floor])
  console.log(`${what}: ${value}${floor ? ` (floor ${floor})` : ''}`)
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.95))]!
const real = JSON.parse(readFileSync('dist/data/dataset.json', 'utf8')) as Dataset

// 1. Search (first, before the size measurements leave garbage for the collector to pause on), in Node's V8 (the engine of Chrome on Android), over the real and a 100× dataset.
const queries = ['展会', '知识产权', '侵权假冒', 'gsj', '28', '不存在的词']
for (const [label, makeDataset, floor] of [
  ['160 tasks', () => real, '≤ 5 ms'],
  ['16,000 tasks', () => scaleDataset(real, 100), '≤ 30 ms'],
] as const) {
  // Built right before its own runs, so building the large one cannot leave garbage for the small one's.
  const index = buildSearchIndex(makeDataset())
  for (let i = 0; i < 50; i++) for (const q of queries) search(index, q, i % 2 ? { role: 'lead' } : {}) // warm up the JIT
  const times: number[] = []
  for (let i = 0; i < 50; i++) {
    for (const q of queries) {
      const t0 = performance.now()
      search(index, q, i % 2 ? { role: 'lead' } : {})
      times.push(performance.now() - t0)
    }
  }
  report(
    `Search, ${label} (median / p95 / max of ${times.length})`,
    `${median(times).toFixed(2)} / ${p95(times).toFixed(2)} / ${Math.max(...times).toFixed(2)} ms`,
    floor,
  )
}

console.log('\n| Measure | Result | Floor |\n| --- | --- | --- |')
for (const [what, value, floor] of rows) console.log(`| ${what} | ${value} | ${floor || '—'} |`)
