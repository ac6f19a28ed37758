import { shallowRef, type ShallowRef } from 'vue'
import { tryOnScopeDispose } from './scope'

/** navigator.onLine as a ref. "Online" only means a network is attached, not that the server answers. */
export function useOnline(): ShallowRef<boolean> {
  const online = shallowRef(typeof navigator === 'undefined' ? true : navigator.onLine)
  if (typeof window === 'undefined') return online
  const update = () => (online.value = navigator.onLine)
  window.addEventListener('online', update)
  window.addEventListener('offline', update)
  tryOnScopeDispose(() => {
    window.removeEventListener('online', update)
    window.removeEventListener('offline', update)
  })
  return online
}
