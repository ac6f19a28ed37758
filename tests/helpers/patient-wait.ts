/**
 * `vi.waitFor` gives up after one second unless told otherwise. A component test whose page waits on the test
 * server (an account made or signed in: a password hashed on purpose slowly) takes longer than that when the
 * suite runs on a busy 2-core machine, and failed by the clock, not by what it checks. Every test file runs this
 * first (vitest.config.ts `setupFiles`): the default becomes ten seconds; a timeout a test gives stays its own.
 * What it waits for is still required: a page that never shows it fails the test.
 */
import { vi } from 'vitest'

const PATIENCE_MS = 10_000
const waitFor = vi.waitFor.bind(vi)
vi.waitFor = ((callback, options) =>
  waitFor(callback, typeof options === 'number' ? options : { timeout: PATIENCE_MS, ...options })) as typeof vi.waitFor
