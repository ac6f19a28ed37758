import type { Dataset } from '@/kernel/dataset'
import { assertDataset } from '@/kernel/dataset-validate'
import { apiFetch } from './http'

export type DatasetFetch = { changed: false } | { changed: true; dataset: Dataset }

/** Asks the server whether `currentVersion` is still current; downloads the dataset when it is not. */
export async function fetchDataset(currentVersion: string | undefined): Promise<DatasetFetch> {
  const headers: HeadersInit = currentVersion ? { 'If-None-Match': `"${currentVersion}"` } : {}
  const res = await apiFetch('/api/dataset', { headers, cache: 'no-store' })
  if (res.status === 304) return { changed: false }
  const dataset = assertDataset(await res.json())
  return dataset.version === currentVersion ? { changed: false } : { changed: true, dataset }
}

/** The copy the service worker precached with the app, for a first start when the API is out of reach. */
export async function fetchBundledDataset(): Promise<Dataset> {
  const res = await apiFetch('/data/dataset.json')
  return assertDataset(await res.json())
}
