import { liveQuery, type Subscription } from 'dexie'
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
