import { computed, effectScope, type ComputedRef, type ShallowRef } from 'vue'
import type { Dataset, Department, Section, Task } from '@/kernel/dataset'
import { db } from '@/db/db'
import { readCachedDataset } from '@/db/dataset'
import { buildSearchIndex, type SearchIndex } from '@/search/search'
import { useLiveQuery } from './useLiveQuery'

export interface DatasetView {
  dataset: ShallowRef<Dataset | undefined>
  loaded: ShallowRef<boolean>
  error: ShallowRef<unknown>
  index: ComputedRef<SearchIndex | undefined>
  taskByNumber: ComputedRef<Map<number, Task>>
  sectionById: ComputedRef<Map<number, Section>>
  departmentByName: ComputedRef<Map<string, Department>>
}

let shared: DatasetView | undefined

function create(): DatasetView {
  const { value: dataset, loaded, error } = useLiveQuery(() => readCachedDataset(db))
  const tasks = () => dataset.value?.tasks ?? []
  return {
    dataset,
    loaded,
    error,
    index: computed(() => (dataset.value ? buildSearchIndex(dataset.value) : undefined)),
    taskByNumber: computed(() => new Map(tasks().map((t) => [t.number, t]))),
    sectionById: computed(() => new Map((dataset.value?.sections ?? []).map((s) => [s.id, s]))),
    departmentByName: computed(() => new Map((dataset.value?.departments ?? []).map((d) => [d.name, d]))),
  }
}

/** The cached dataset, read once from IndexedDB and followed for the life of the app by every page. */
export function useDataset(): DatasetView {
  // A detached scope: the query outlives the component that first asked for it.
  shared ??= effectScope(true).run(create)!
  return shared
}
