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
    // Not shuffled, on purpose: each browser file is one story told in order (offline, then back online, then
    // the server dies …), each test starting where the one before left the phone.
    sequence: { shuffle: false },
  },
})
