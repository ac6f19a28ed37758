export const MIN_DELAY_MS = 1_000
export const MAX_DELAY_MS = 5 * 60_000
/** While online and nothing failed, look for others' changes this often. */
export const IDLE_INTERVAL_MS = 5 * 60_000

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

export type SchedulerState = 'idle' | 'syncing' | 'retrying' | 'offline'

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

/** Decides when to sync: on every trigger, and after a failure on a backoff timer that never gives up. */
export class SyncScheduler {
  private running = false
  private again = false
  private attempt = 0
  private timer: unknown
  private stopped = false

  constructor(private readonly deps: SchedulerDeps) {}

  /** Start-up, coming online, the app becoming visible, a record saved, "sync now". */
  trigger(): void {
    if (this.stopped) return
    if (!this.deps.online()) {
      this.clear()
      this.deps.onChange?.('offline', { attempt: this.attempt })
      return
    }
    if (this.running) {
      this.again = true
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
      this.trigger()
    }, ms)
  }

  private async runOnce(): Promise<void> {
    this.running = true
    this.again = false
    this.clear()
    this.deps.onChange?.('syncing', { attempt: this.attempt })
    const withLock = this.deps.withLock ?? (async (fn) => (await fn(), true))
    try {
      const got = await withLock(async () => {
        await this.deps.run()
      })
      this.attempt = 0
      // Another tab is syncing: look again shortly, it may finish without this tab's latest records.
      const next = got ? IDLE_INTERVAL_MS : 2 * MIN_DELAY_MS
      this.schedule(next)
      this.deps.onChange?.('idle', { attempt: 0, nextAt: (this.deps.now ?? Date.now)() + next })
    } catch (error) {
      this.attempt++
      const retryAfter = (error as { retryAfter?: number }).retryAfter
      const delay = backoffDelay(this.attempt, (this.deps.random ?? Math.random)(), retryAfter)
      this.schedule(delay)
      this.deps.onChange?.(this.deps.online() ? 'retrying' : 'offline', {
        attempt: this.attempt,
        nextAt: (this.deps.now ?? Date.now)() + delay,
        error,
      })
    } finally {
      this.running = false
      if (this.again) this.trigger()
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
