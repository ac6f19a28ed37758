import { liveQuery } from 'dexie'
import { shallowRef, type ShallowRef } from 'vue'
import { tryOnScopeDispose } from './scope'

export interface LiveQuery<T> {
  value: ShallowRef<T | undefined>
  error: ShallowRef<unknown>
  /** False until the first result (or error) has arrived. */
  loaded: ShallowRef<boolean>
}

/** Follows an IndexedDB query: re-runs it whenever a table it read from changes, in this tab or another. */
export function useLiveQuery<T>(querier: () => Promise<T> | T): LiveQuery<T> {
  const value = shallowRef<T>()
  const error = shallowRef<unknown>()
  const loaded = shallowRef(false)
  const subscription = liveQuery(querier).subscribe({
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
  tryOnScopeDispose(() => subscription.unsubscribe())
  return { value, error, loaded }
}
