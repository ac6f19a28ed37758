import { shallowRef } from 'vue'

export interface StorageInfo {
  supported: boolean
  persisted?: boolean
  usage?: number
  quota?: number
}

/** Whether the browser promised to keep this app's data, and how much it uses. */
export function useStorageInfo() {
  const info = shallowRef<StorageInfo>({ supported: typeof navigator !== 'undefined' && 'storage' in navigator })

  async function refresh(): Promise<void> {
    if (!info.value.supported) return
    const [persisted, estimate] = await Promise.all([navigator.storage.persisted?.(), navigator.storage.estimate?.()])
    info.value = { supported: true, persisted, usage: estimate?.usage, quota: estimate?.quota }
  }

  async function requestPersist(): Promise<void> {
    await navigator.storage?.persist?.()
    await refresh()
  }

  void refresh()
  return { info, refresh, requestPersist }
}
