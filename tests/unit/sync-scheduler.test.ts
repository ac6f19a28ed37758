import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import {
  backoffDelay,
  BUG_MAX_DELAY_MS,
  BUG_MIN_DELAY_MS,
  bugDelay,
  IDLE_INTERVAL_MS,
  MAX_DELAY_MS,
  SyncScheduler,
  type SchedulerState,
} from '../../src/sync/scheduler'
import { ApiError, isServerBug } from '../../src/api/http'

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

describe('after a server bug (a 500)', () => {
  beforeEach(() => vi.useFakeTimers())
  afterEach(() => vi.useRealTimers())

  const bug = () => new ApiError(500, { error: 'internal', message: 'The server failed unexpectedly' })
  const MIN = 60_000

  it('tells a bug from a temporary failure: 500 and 501 are bugs; 502, 503, 504, a 4xx and no network are not', () => {
    expect(isServerBug(bug())).toBe(true)
    expect(isServerBug(new ApiError(501))).toBe(true)
    for (const status of [502, 503, 504, 400, 409, 429]) expect(isServerBug(new ApiError(status))).toBe(false)
    expect(isServerBug(new TypeError('Failed to fetch'))).toBe(false)
  })

  it('waits 5 min, doubling to an hour, jittered between 80 % and all of it, and never less than Retry-After', () => {
    expect([1, 2, 3, 4, 5, 6, 20].map((n) => bugDelay(n, 1) / MIN)).toEqual([5, 10, 20, 40, 60, 60, 60])
    expect(bugDelay(1, 0)).toBe(4 * MIN)
    expect(bugDelay(30, 0)).toBe(0.8 * BUG_MAX_DELAY_MS)
    expect(bugDelay(1, 1, 3600)).toBe(3600_000)
    expect(BUG_MIN_DELAY_MS).toBe(5 * MIN)
  })

  function setup(outcomes: (Error | null)[], online = { value: true }) {
    const states: { state: SchedulerState; nextAt?: number }[] = []
    let calls = 0
    const run = vi.fn(async () => {
      const outcome = outcomes[calls++] ?? null
      if (outcome) throw outcome
    })
    const scheduler = new SyncScheduler({
      run,
      online: () => online.value,
      random: () => 1,
      onChange: (state, info) => states.push({ state, nextAt: info.nextAt }),
    })
    return { scheduler, run, states, online }
  }

  it('retries a bug on the slow schedule: 5, 10, 20, 40, 60, 60 min', async () => {
    const { scheduler, run } = setup(Array(7).fill(bug()))
    scheduler.trigger('startup')
    await vi.advanceTimersByTimeAsync(0)
    expect(run).toHaveBeenCalledTimes(1)
    let calls = 1
    for (const minutes of [5, 10, 20, 40, 60, 60]) {
      await vi.advanceTimersByTimeAsync(minutes * MIN - 1)
      expect(run).toHaveBeenCalledTimes(calls)
      await vi.advanceTimersByTimeAsync(1)
      expect(run).toHaveBeenCalledTimes(++calls)
    }
    scheduler.stop()
  })

  it('does not let a save, the app shown again or coming online cut the wait short; "sync now" does', async () => {
    const { scheduler, run, states } = setup([bug(), bug(), null])
    scheduler.trigger('startup')
    await vi.advanceTimersByTimeAsync(0)
    const nextAt = states.at(-1)!.nextAt!
    expect(states.at(-1)!.state).toBe('retrying')
    expect(nextAt).toBe(Date.now() + 5 * MIN)
    for (const reason of ['saved', 'visible', 'network', 'startup'] as const) {
      scheduler.trigger(reason)
      await vi.advanceTimersByTimeAsync(MIN)
      // Still waiting, and still saying until when.
      expect(states.at(-1)).toEqual({ state: 'retrying', nextAt })
    }
    expect(run).toHaveBeenCalledTimes(1)
    scheduler.trigger('manual')
    await vi.advanceTimersByTimeAsync(0)
    expect(run).toHaveBeenCalledTimes(2)
    // The second bug in a row waits 10 min, and saves do not cut that short either.
    scheduler.trigger('saved')
    await vi.advanceTimersByTimeAsync(10 * MIN - 1)
    expect(run).toHaveBeenCalledTimes(2)
    await vi.advanceTimersByTimeAsync(1)
    expect(run).toHaveBeenCalledTimes(3)
    expect(states.at(-1)!.state).toBe('idle')
    scheduler.stop()
  })

  it('keeps the wait through going offline and back online', async () => {
    const online = { value: true }
    const { scheduler, run, states } = setup([bug(), null], online)
    scheduler.trigger('startup')
    await vi.advanceTimersByTimeAsync(0)
    online.value = false
    scheduler.trigger('network')
    expect(states.at(-1)!.state).toBe('offline')
    await vi.advanceTimersByTimeAsync(MIN)
    online.value = true
    scheduler.trigger('network')
    await vi.advanceTimersByTimeAsync(0)
    expect(run).toHaveBeenCalledTimes(1)
    await vi.advanceTimersByTimeAsync(4 * MIN)
    expect(run).toHaveBeenCalledTimes(2)
    scheduler.stop()
  })

  it('runs on coming back online once the wait is over, if the slow timer went off while offline', async () => {
    const online = { value: true }
    const { scheduler, run } = setup([bug(), null], online)
    scheduler.trigger('startup')
    await vi.advanceTimersByTimeAsync(0)
    online.value = false
    await vi.advanceTimersByTimeAsync(6 * MIN)
    expect(run).toHaveBeenCalledTimes(1)
    online.value = true
    scheduler.trigger('network')
    await vi.advanceTimersByTimeAsync(0)
    expect(run).toHaveBeenCalledTimes(2)
    scheduler.stop()
  })

  it('goes back to the quick schedule for anything else, and starts over after a success', async () => {
    const offline = new TypeError('Failed to fetch')
    const { scheduler, run } = setup([bug(), offline, null, new ApiError(503, { error: 'unavailable' })])
    scheduler.trigger('startup')
    await vi.advanceTimersByTimeAsync(5 * MIN)
    expect(run).toHaveBeenCalledTimes(2)
    // No network after the bug's wait: the usual backoff, which a save may cut short again.
    await vi.advanceTimersByTimeAsync(0)
    scheduler.trigger('saved')
    await vi.advanceTimersByTimeAsync(0)
    expect(run).toHaveBeenCalledTimes(3)
    // After the success, a 503 is retried within seconds, as before.
    scheduler.trigger('saved')
    await vi.advanceTimersByTimeAsync(0)
    expect(run).toHaveBeenCalledTimes(4)
    await vi.advanceTimersByTimeAsync(1000)
    expect(run).toHaveBeenCalledTimes(5)
    scheduler.stop()
  })
})
