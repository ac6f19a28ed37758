import { tryOnScopeDispose } from './scope'

export interface DebouncedFn<A extends unknown[]> {
  /** Calls `fn` with these arguments once `wait` ms pass without another call. */
  (...args: A): void
  /** Drops the waiting call, if any. */
  cancel(): void
  /** Makes the waiting call now, if any. */
  flush(): void
}

export interface DebounceOptions {
  /**
   * What becomes of a waiting call when the component (or effect scope) that made it goes away: dropped, or
   * made at once, say for a last edit that must not be lost.
   */
  onDispose?: 'cancel' | 'flush'
}

/** `fn`, called only once calls to it have paused for `wait` ms; its timer never outlives the component. */
export function useDebouncedFn<A extends unknown[]>(
  fn: (...args: A) => unknown,
  wait: number,
  options: DebounceOptions = {},
): DebouncedFn<A> {
  let timer: ReturnType<typeof setTimeout> | undefined
  let waiting: { args: A } | undefined

  function cancel(): void {
    clearTimeout(timer)
    timer = undefined
    waiting = undefined
  }

  function flush(): void {
    if (!waiting) return
    const { args } = waiting
    cancel()
    void fn(...args)
  }

  function debounced(...args: A): void {
    clearTimeout(timer)
    waiting = { args }
    timer = setTimeout(flush, wait)
  }

  tryOnScopeDispose(options.onDispose === 'flush' ? flush : cancel)
  return Object.assign(debounced, { cancel, flush })
}
