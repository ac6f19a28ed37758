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

  /** The browser's answer to the last request made here, and when; nothing before one is made. */
  const answer = shallowRef<{ granted: boolean; at: number }>()
  const asking = shallowRef(false)

  async function requestPersist(): Promise<void> {
    asking.value = true
    try {
      const granted = (await navigator.storage?.persist?.()) === true
      answer.value = { granted, at: Date.now() }
      await refresh()
    } finally {
      asking.value = false
    }
  }

  void refresh()
  return { info, refresh, requestPersist, answer, asking }
}
