import Dexie, { liveQuery, type ObservabilitySet, type Subscription } from 'dexie'
import { shallowRef, watch, type ShallowRef, type WatchSource } from 'vue'
import { tryOnScopeDispose } from './scope'

export interface LiveQuery<T> {
  value: ShallowRef<T | undefined>
  error: ShallowRef<unknown>
  /** False until the first result (or error) has arrived. */
  loaded: ShallowRef<boolean>
}

/**
 * Follows an IndexedDB query: re-runs it whenever a table it read from changes, in this tab or another.
 * A live query sees tables, not Vue state: when the query depends on props or refs (a page the router
 * reuses for another id), name them in `deps` and the query starts again whenever they change.
 */
export function useLiveQuery<T>(querier: () => Promise<T> | T, deps?: WatchSource): LiveQuery<T> {
  const value = shallowRef<T>()
  const error = shallowRef<unknown>()
  const loaded = shallowRef(false)
  let subscription: Subscription | undefined
  const subscribe = () => {
    subscription?.unsubscribe()
    subscription = liveQuery(querier).subscribe({
      next: (v) => {
        value.value = v
        error.value = undefined
        loaded.value = true
      },
      error: (e: unknown) => {
        error.value = e
        loaded.value = true
      },
    })
  }
  if (deps) watch(deps, subscribe, { immediate: true })
  else subscribe()
  tryOnScopeDispose(() => subscription?.unsubscribe())
  return { value, error, loaded }
}

/**
 * Like `useLiveQuery`, for a list that must not cost every save its own re-read: the query runs again when
 * one of `tables` changes (in this tab or another), at once for a change on its own, and at most once every
 * `settleMs` while changes keep coming — one re-read for a burst of saves, a sync's writes or an import,
 * rather than one each. Every save of a burst is then as quick as on a quiet page; the list catches up
 * `settleMs` after the last. The querier needs no live-query zone: it may await anything.
 */
export function useSettledQuery<T>(
  querier: () => Promise<T>,
  options: { tables: readonly string[]; settleMs: number; deps?: WatchSource },
): LiveQuery<T> {
  const value = shallowRef<T>()
  const error = shallowRef<unknown>()
  const loaded = shallowRef(false)
  let generation = 0
  let running: Promise<void> | undefined
  let lastRun = -Infinity
  let timer: ReturnType<typeof setTimeout> | undefined

  const run = (): Promise<void> => {
    const mine = ++generation
    lastRun = performance.now()
    running = querier().then(
      (v) => {
        if (mine !== generation) return
        value.value = v
        error.value = undefined
        loaded.value = true
      },
      (e: unknown) => {
        if (mine !== generation) return
        error.value = e
        loaded.value = true
      },
    )
    return running
  }
  const schedule = () => {
    if (timer !== undefined) return
    const wait = Math.max(0, lastRun + options.settleMs - performance.now())
    timer = setTimeout(() => {
      timer = undefined
      // One read at a time: a change during a read is read once that one is done.
      void (running ?? Promise.resolve()).then(run)
    }, wait)
  }
  // Parts are named "idb://<database>/<table>/…" (Dexie's observability sets).
  const touches = (parts: ObservabilitySet) =>
    Object.keys(parts).some((part) => options.tables.some((t) => part.includes(`/${t}/`)))
  const onMutated = (parts: ObservabilitySet) => {
    if (touches(parts)) schedule()
  }
  Dexie.on('storagemutated', onMutated)
  if (options.deps) watch(options.deps, () => void run(), { immediate: true })
  else void run()
  tryOnScopeDispose(() => {
    Dexie.on('storagemutated').unsubscribe(onMutated)
    if (timer !== undefined) clearTimeout(timer)
    generation++
  })
  return { value, error, loaded }
}
