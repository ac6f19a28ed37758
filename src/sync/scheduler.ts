import { isServerBug } from '@/api/http'
import { ZhixunError } from '@/kernel/errors'

/**
 * The parts of one sync run apart from the records themselves: the campaign list refreshed after the records
 * went up. The dataset check runs on its own (the datasetSync store) and keeps its own failure.
 */
export type SyncPart = 'campaigns'

/**
 * A part of a sync run other than the records failed after the records went up: it is retried like any
 * failure (its cause decides the wait), but the screen names the part, not the records, as what failed.
 */
export class SyncPartFailure extends ZhixunError<'part_failed'> {
  constructor(
    readonly part: SyncPart,
    readonly cause: unknown,
  ) {
    super('part_failed', `${part}: ${cause instanceof Error ? cause.message : String(cause)}`)
    // Spelled out: a minified build renames classes, and the sync store goes by the name.
    this.name = 'SyncPartFailure'
  }
}

/** The failure itself, out of the part that failed: what decides the wait before the next try. */
export const failureCause = (error: unknown): unknown => (error instanceof SyncPartFailure ? error.cause : error)

export const MIN_DELAY_MS = 1_000
export const MAX_DELAY_MS = 5 * 60_000
/** While online and nothing failed, look for others' changes this often. */
export const IDLE_INTERVAL_MS = 5 * 60_000
/** After the server failed with a bug (a 500), the first retry waits this long, doubling up to an hour. */
export const BUG_MIN_DELAY_MS = 5 * 60_000
export const BUG_MAX_DELAY_MS = 60 * 60_000

/**
 * The wait before retry number `attempt` (1, 2, …): doubling from 1 s up to 5 min, with jitter so a room
 * of phones coming back online together does not hit the server together, and never sooner than the
 * server's Retry-After.
 */
export function backoffDelay(attempt: number, random: number, retryAfterS?: number): number {
  const ceiling = Math.min(MAX_DELAY_MS, MIN_DELAY_MS * 2 ** Math.max(0, attempt - 1))
  const jittered = ceiling / 2 + (ceiling / 2) * random
  return Math.min(MAX_DELAY_MS, Math.max(jittered, (retryAfterS ?? 0) * 1000))
}

/**
 * The wait before retry number `attempt` (1, 2, …) after the server failed with a bug: 5 min doubling to
 * 1 h, jittered between 80 % and all of it. A bug does not go away in seconds; asking again soon only adds
 * load (and log lines) while nobody has fixed it yet.
 */
export function bugDelay(attempt: number, random: number, retryAfterS?: number): number {
  const ceiling = Math.min(BUG_MAX_DELAY_MS, BUG_MIN_DELAY_MS * 2 ** Math.max(0, attempt - 1))
  return Math.max(ceiling * (0.8 + 0.2 * random), (retryAfterS ?? 0) * 1000)
}

export type SchedulerState = 'idle' | 'syncing' | 'retrying' | 'offline'

/**
 * What asks for a sync. After a server bug only its slow timer and `manual` ("sync now", the inspector's
 * own choice) sync before the wait is over; a record saved, the app shown again or the network back do not.
 */
export type SyncTrigger = 'startup' | 'network' | 'visible' | 'saved' | 'manual'

export interface SchedulerDeps {
  run: () => Promise<unknown>
  online: () => boolean
  /** Runs `fn` holding the one sync lock across tabs; resolves false when another tab holds it. */
  withLock?: (fn: () => Promise<void>) => Promise<boolean>
  random?: () => number
  setTimer?: (fn: () => void, ms: number) => unknown
  clearTimer?: (handle: unknown) => void
  now?: () => number
  onChange?: (state: SchedulerState, info: { attempt: number; nextAt?: number; error?: unknown }) => void
}

/**
 * Decides when to sync: on every trigger, and after a failure on a backoff timer that never gives up. After
 * a server bug the timer is slow (`bugDelay`) and only it or "sync now" end the wait.
 */
export class SyncScheduler {
  private running = false
  private again: SyncTrigger | undefined
  private attempt = 0
  private timer: unknown
  private stopped = false
  /** Server bugs in a row, and until when (ms) nothing but the slow timer or "sync now" syncs. */
  private bugAttempt = 0
  private bugWaitUntil: number | undefined
  private lastError: unknown

  constructor(private readonly deps: SchedulerDeps) {}

  private now(): number {
    return (this.deps.now ?? Date.now)()
  }

  /** Start-up, coming online, the app becoming visible, a record saved, "sync now". */
  trigger(reason: SyncTrigger = 'saved'): void {
    this.request(reason)
  }

  private request(reason: SyncTrigger | 'timer'): void {
    if (this.stopped) return
    const waitingOutBug = this.bugWaitUntil !== undefined && this.now() < this.bugWaitUntil
    if (!this.deps.online()) {
      // Offline, a bug's slow timer keeps running: coming back online does not cut the wait short.
      if (!waitingOutBug) this.clear()
      this.deps.onChange?.('offline', { attempt: this.attempt })
      return
    }
    if (waitingOutBug && reason !== 'timer' && reason !== 'manual') {
      this.deps.onChange?.('retrying', { attempt: this.attempt, nextAt: this.bugWaitUntil, error: this.lastError })
      return
    }
    if (this.running) {
      if (this.again !== 'manual') this.again = reason === 'timer' ? 'saved' : reason
      return
    }
    void this.runOnce()
  }

  stop(): void {
    this.stopped = true
    this.clear()
  }

  private clear() {
    if (this.timer !== undefined) (this.deps.clearTimer ?? clearTimeout)(this.timer as ReturnType<typeof setTimeout>)
    this.timer = undefined
  }

  private schedule(ms: number) {
    this.clear()
    this.timer = (this.deps.setTimer ?? setTimeout)(() => {
      this.timer = undefined
      this.request('timer')
    }, ms)
  }

  private async runOnce(): Promise<void> {
    this.running = true
    this.again = undefined
    this.clear()
    this.deps.onChange?.('syncing', { attempt: this.attempt })
    const withLock = this.deps.withLock ?? (async (fn) => (await fn(), true))
    try {
      const got = await withLock(async () => {
        await this.deps.run()
      })
      this.attempt = 0
      if (got) {
        this.bugAttempt = 0
        this.bugWaitUntil = undefined
        this.lastError = undefined
      }
      // Another tab is syncing: look again shortly, it may finish without this tab's latest records.
      const next = got ? IDLE_INTERVAL_MS : 2 * MIN_DELAY_MS
      this.schedule(next)
      this.deps.onChange?.('idle', { attempt: 0, nextAt: this.now() + next })
    } catch (error) {
      this.attempt++
      this.lastError = error
      const cause = failureCause(error)
      const retryAfter = (cause as { retryAfter?: number } | undefined)?.retryAfter
      const random = (this.deps.random ?? Math.random)()
      let delay: number
      if (isServerBug(cause)) {
        this.bugAttempt++
        delay = bugDelay(this.bugAttempt, random, retryAfter)
        this.bugWaitUntil = this.now() + delay
      } else {
        // Tried again after a bug's wait and failed otherwise (no network, say): the usual backoff from here.
        this.bugWaitUntil = undefined
        delay = backoffDelay(this.attempt, random, retryAfter)
      }
      this.schedule(delay)
      this.deps.onChange?.(this.deps.online() ? 'retrying' : 'offline', {
        attempt: this.attempt,
        nextAt: this.now() + delay,
        error,
      })
    } finally {
      this.running = false
      const again = this.again
      this.again = undefined
      if (again) this.request(again)
    }
  }
}

/** The Web Locks API where the browser has it, so one tab syncs at a time; otherwise no lock. */
export function webLock(name: string): (fn: () => Promise<void>) => Promise<boolean> {
  return async (fn) => {
    if (typeof navigator === 'undefined' || !navigator.locks) {
      await fn()
      return true
    }
    return navigator.locks.request(name, { ifAvailable: true }, async (lock) => {
      if (!lock) return false
      await fn()
      return true
    })
  }
}
