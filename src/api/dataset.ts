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

/** The version of the dataset this phone stored last, kept beside IndexedDB, which takes longer to open. */
const VERSION_HINT_KEY = 'zhixun.datasetVersion'
let early: { version: string | undefined; answer: Promise<DatasetFetch> } | undefined

/**
 * Asks the server at once, as the app starts, with the version the phone last stored: on a first visit the
 * dataset is on its way while the scripts of the page still run and IndexedDB opens (LCP), and a later start's
 * check is answered by the time the app reads its own copy. `checkDataset` takes the answer.
 */
export function checkDatasetEarly(): void {
  // Offline (a phone in the field, most starts): no request that would fail while the first list is being read.
  if (typeof navigator !== 'undefined' && navigator.onLine === false) return
  let version: string | undefined
  try {
    version = localStorage.getItem(VERSION_HINT_KEY) ?? undefined
  } catch {
    return // no storage to read the hint from: the check waits for IndexedDB, as it always did
  }
  const answer = fetchDataset(version)
  answer.catch(() => undefined) // taken (and its failure handled) by checkDataset
  early = { version, answer }
}

/**
 * Whether `currentVersion` (the version in IndexedDB) is still current: the early check's answer when it was
 * asked with that version or brought the dataset itself, otherwise a request of its own.
 */
export async function checkDataset(currentVersion: string | undefined): Promise<DatasetFetch> {
  const asked = early
  early = undefined
  if (!asked) return fetchDataset(currentVersion)
  const answer = await asked.answer.catch(() => undefined)
  if (answer && asked.version === currentVersion) return answer
  if (answer?.changed) return answer.dataset.version === currentVersion ? { changed: false } : answer
  return fetchDataset(currentVersion) // asked with another version than the phone holds, or failed: ask again
}

/** Remembers the version now stored, for the next start's early check. */
export function rememberDatasetVersion(version: string): void {
  try {
    localStorage.setItem(VERSION_HINT_KEY, version)
  } catch {
    // Only a hint: without it the next start asks without a version and gets the dataset again.
  }
}

/** The copy the service worker precached with the app, for a first start when the API is out of reach. */
export async function fetchBundledDataset(): Promise<Dataset> {
  const res = await apiFetch('/data/dataset.json')
  return assertDataset(await res.json())
}
