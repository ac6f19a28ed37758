import { defineConfig, mergeConfig } from 'vitest/config'
import viteConfig from './vite.config'

export default mergeConfig(
  viteConfig,
  defineConfig({
    test: {
      include: ['tests/unit/**/*.test.ts', 'tests/component/**/*.test.ts', 'tests/server/**/*.test.ts'],
      environment: 'node',
      // Files and the tests in each run in a new order every time, so no test leans on another's leftovers.
      // Vitest prints the seed ("Running tests with seed …"); `--sequence.seed=<seed>` replays that order.
      sequence: { shuffle: true },
    },
  }),
)
