import { defineConfig } from 'vitest/config'

// Browser tests drive Debian's Chromium (tests/e2e) and WebKitGTK through WebDriver (tests/webkit)
// against the built app served by the real server.
export default defineConfig({
  test: {
    include: ['tests/e2e/**/*.test.ts', 'tests/webkit/**/*.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
})
