import { defineStore } from 'pinia'
import { shallowRef } from 'vue'
import { checkDataset, fetchBundledDataset, rememberDatasetVersion } from '@/api/dataset'
import { ApiError } from '@/api/http'
import { DatasetShapeError } from '@/kernel/dataset-validate'
import { db } from '@/db/db'
import { useDatasetStore } from '@/stores/dataset'
import { cachedDatasetCheckedAt, cachedDatasetVersion, markDatasetChecked, replaceDataset } from '@/db/dataset'

/** Why the last check failed, in terms the UI can explain: a message key, not an exception. */
export type DatasetCheckFailure = 'offline' | 'server' | 'invalid' | 'storage'

function classify(err: unknown): DatasetCheckFailure {
  if (err instanceof DatasetShapeError) return 'invalid'
  if (err instanceof ApiError) return 'server'
  if (err instanceof TypeError || (err instanceof DOMException && err.name === 'TimeoutError')) return 'offline'
  return 'storage'
}

/** Keeps the cached task dataset current: asks the server with the cached version, swaps it when it changed. */
export const useDatasetSyncStore = defineStore('datasetSync', () => {
  const checking = shallowRef(false)
  const lastCheckedAt = shallowRef<number>()
  const failure = shallowRef<DatasetCheckFailure>()
  // Kept with the dataset, so "last checked" survives a reload; a check made meanwhile is newer.
  void cachedDatasetCheckedAt(db)
    .then((at) => {
      if (lastCheckedAt.value === undefined) lastCheckedAt.value = at
    })
    .catch(() => undefined)

  async function refresh(): Promise<void> {
    if (checking.value) return
    checking.value = true
    let current: string | undefined
    try {
      current = await cachedDatasetVersion(db)
      // Known to be offline: no request that can only fail (the check says offline, as a failed request would).
      if (typeof navigator !== 'undefined' && navigator.onLine === false) throw new TypeError('offline')
      const result = await checkDataset(current)
      if (result.changed) {
        if (current === undefined) useDatasetStore().showWhileStoring(result.dataset)
        await replaceDataset(db, result.dataset)
      }
      const stored = result.changed ? result.dataset.version : current
      if (stored !== undefined) rememberDatasetVersion(stored)
      const at = Date.now()
      await markDatasetChecked(db, at)
      lastCheckedAt.value = at
      failure.value = undefined
    } catch (err) {
      failure.value = classify(err)
      // First start with the API out of reach: the app shell came with a copy of the dataset.
      if (current === undefined) {
        try {
          const bundled = await fetchBundledDataset()
          useDatasetStore().showWhileStoring(bundled)
          await replaceDataset(db, bundled)
          rememberDatasetVersion(bundled.version)
        } catch {
          // Nothing cached and nothing reachable; the home page says so and offers a retry.
        }
      }
    } finally {
      checking.value = false
    }
  }

  return { checking, lastCheckedAt, failure, refresh }
})
