import { shallowRef } from 'vue'
import { registerSW } from 'virtual:pwa-register'

/** True when a new version is installed and waiting; the app asks before switching to it. */
export const updateWaiting = shallowRef(false)
/** True once the service worker has cached the app for offline use. */
export const offlineReady = shallowRef(false)
let updateSW: ((reload?: boolean) => Promise<void>) | undefined

export function install(): void {
  if (!('serviceWorker' in navigator)) return
  updateSW = registerSW({
    onNeedRefresh: () => (updateWaiting.value = true),
    onOfflineReady: () => (offlineReady.value = true),
  })
  // A worker already active (installed on an earlier visit) has the app cached too: its install precached it.
  void navigator.serviceWorker.ready.then(() => (offlineReady.value = true))
}

export function applyUpdate(): Promise<void> {
  return updateSW?.(true) ?? Promise.resolve()
}
