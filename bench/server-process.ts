/**
 * How the benchmarks start the server: as `npm start` runs it, bundled into one file with plain Node
 * (scripts/bundle-server.ts), bundled afresh from the sources now, so a stale bundle is never measured.
 * BENCH_PROF=<dir> writes each server process's CPU profile there (`--cpu-prof`) when it stops.
 */
import { execFileSync } from 'node:child_process'

let bundled = false

export function serverArgs(): string[] {
  if (!bundled) {
    execFileSync(process.execPath, ['--import', 'tsx', 'scripts/bundle-server.ts'], { stdio: 'ignore' })
    bundled = true
  }
  const prof = process.env.BENCH_PROF
  return [...(prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : []), 'dist-server/server/main.mjs']
}
