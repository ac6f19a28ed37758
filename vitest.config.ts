import { availableParallelism } from 'node:os'
import { defineConfig, mergeConfig } from 'vitest/config'
import viteConfig from './vite.config'

export default mergeConfig(
  viteConfig,
  defineConfig({
    test: {
      include: ['tests/unit/**/*.test.ts', 'tests/component/**/*.test.ts', 'tests/server/**/*.test.ts'],
      environment: 'node',
      // Component tests that mount whole pages over IndexedDB take seconds on a busy 2-core machine.
      testTimeout: 20_000,
      // One file per core, not Vitest's cores − 1: the server tests spend much of their time waiting on SQLite and
      // PostgreSQL, so a 2-core machine runs the suite in about 4 minutes instead of 6.
      maxWorkers: Math.max(2, availableParallelism()),
      // A server test's beforeAll makes a fresh PostgreSQL schema and runs every migration (ten now, with
      // triggers): a few seconds on a busy 2-core machine, more than the 10 s default allows when all run at once.
      hookTimeout: 30_000,
      // vi.waitFor waits ten seconds, not one, unless a test says otherwise (tests/helpers/patient-wait.ts).
      setupFiles: ['tests/helpers/patient-wait.ts'],
      // Files and the tests in each run in a new order every time, so no test leans on another's leftovers.
      // Vitest prints the seed ("Running tests with seed …"); `--sequence.seed=<seed>` replays that order.
      sequence: { shuffle: true },
    },
  }),
)
