import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import {
  backoffDelay,
  IDLE_INTERVAL_MS,
  MAX_DELAY_MS,
  SyncScheduler,
  type SchedulerState,
} from '../../src/sync/scheduler'
import { ApiError } from '../../src/api/http'

describe('backoffDelay', () => {
  it('doubles from 1 s to a 5 min ceiling, jittered between half and all of it', () => {
    expect(backoffDelay(1, 0)).toBe(500)
    expect(backoffDelay(1, 1)).toBe(1000)
    expect(backoffDelay(2, 1)).toBe(2000)
    expect(backoffDelay(5, 1)).toBe(16_000)
    expect(backoffDelay(30, 1)).toBe(MAX_DELAY_MS)
    expect(backoffDelay(30, 0)).toBe(MAX_DELAY_MS / 2)
  })

  it('never retries sooner than Retry-After', () => {
    expect(backoffDelay(1, 0.5, 30)).toBe(30_000)
    expect(backoffDelay(10, 1, 2)).toBe(MAX_DELAY_MS)
  })
})

describe('SyncScheduler', () => {
  beforeEach(() => vi.useFakeTimers())
  afterEach(() => vi.useRealTimers())

  function setup(outcomes: (Error | null)[], online = { value: true }) {
    const states: SchedulerState[] = []
    let calls = 0
    const run = vi.fn(async () => {
      const outcome = outcomes[calls++] ?? null
      if (outcome) throw outcome
    })
    const scheduler = new SyncScheduler({
      run,
      online: () => online.value,
      random: () => 1,
      onChange: (s) => states.push(s),
    })
    return { scheduler, run, states, online }
  }

  it('retries with growing delays while it fails, and forever', async () => {
    const fail = new TypeError('Failed to fetch')
    const { scheduler, run } = setup(Array(12).fill(fail))
    scheduler.trigger()
    await vi.advanceTimersByTimeAsync(0)
    expect(run).toHaveBeenCalledTimes(1)
    await vi.advanceTimersByTimeAsync(999)
    expect(run).toHaveBeenCalledTimes(1)
    await vi.advanceTimersByTimeAsync(1)
    expect(run).toHaveBeenCalledTimes(2)
    await vi.advanceTimersByTimeAsync(2000)
    expect(run).toHaveBeenCalledTimes(3)
    await vi.advanceTimersByTimeAsync(4000)
    expect(run).toHaveBeenCalledTimes(4)
    await vi.advanceTimersByTimeAsync(60 * 60_000)
    expect(run.mock.calls.length).toBeGreaterThan(12)
    scheduler.stop()
  })

  it('waits as long as the server asks', async () => {
    const { scheduler, run } = setup([new ApiError(503, { error: 'unavailable' }, 20)])
    scheduler.trigger()
    await vi.advanceTimersByTimeAsync(19_999)
    expect(run).toHaveBeenCalledTimes(1)
    await vi.advanceTimersByTimeAsync(1)
    expect(run).toHaveBeenCalledTimes(2)
    scheduler.stop()
  })

  it('starts over after a success and then looks again every few minutes', async () => {
    const { scheduler, run, states } = setup([new Error('x'), null])
    scheduler.trigger()
    await vi.advanceTimersByTimeAsync(1000)
    expect(run).toHaveBeenCalledTimes(2)
    expect(states.at(-1)).toBe('idle')
    await vi.advanceTimersByTimeAsync(IDLE_INTERVAL_MS)
    expect(run).toHaveBeenCalledTimes(3)
    scheduler.stop()
  })

  it('does not run offline, and runs once more when triggered during a run', async () => {
    const online = { value: false }
    const { scheduler, run, states } = setup([], online)
    scheduler.trigger()
    await vi.advanceTimersByTimeAsync(10_000)
    expect(run).not.toHaveBeenCalled()
    expect(states).toEqual(['offline'])
    online.value = true
    scheduler.trigger()
    scheduler.trigger()
    scheduler.trigger()
    await vi.advanceTimersByTimeAsync(0)
    expect(run).toHaveBeenCalledTimes(2)
    scheduler.stop()
  })

  it('leaves the work to the tab holding the lock', async () => {
    const run = vi.fn(async () => undefined)
    const scheduler = new SyncScheduler({ run, online: () => true, withLock: async () => false })
    scheduler.trigger()
    await vi.advanceTimersByTimeAsync(0)
    expect(run).not.toHaveBeenCalled()
    scheduler.stop()
  })
})
