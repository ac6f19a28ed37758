import { defineStore } from 'pinia'
import { computed, shallowRef } from 'vue'
import { useLiveQuery } from '@/composables/useLiveQuery'
import { db } from '@/db/db'
import { cachedDatasetImportedAt, readCachedDataset } from '@/db/dataset'
import type { Dataset } from '@/kernel/dataset'
import { buildSearchIndex } from '@/search/search'

/**
 * The cached task dataset as every page reads it: followed in IndexedDB for the life of the app (an update
 * swaps it in place), with the lookups pages need. Keeping it current is the datasetSync store's job.
 */
export const useDatasetStore = defineStore('dataset', () => {
  const { value: stored, loaded, error } = useLiveQuery(() => readCachedDataset(db))
  /**
   * A first start's dataset, shown as soon as it arrives while it is written to IndexedDB: the first list need
   * not wait for the write and the read back (a slow phone's first visit). The stored copy wins once it is read.
   */
  const arrived = shallowRef<Dataset>()
  const dataset = computed(() => stored.value ?? arrived.value)
  function showWhileStoring(fetched: Dataset): void {
    // In the order IndexedDB gives them back (by primary key), so nothing reorders when the stored copy is read.
    const byKey =
      <T>(key: (x: T) => string | number) =>
      (a: T, b: T) =>
        key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0
    arrived.value = {
      ...fetched,
      sections: [...fetched.sections].sort(byKey((x) => x.id)),
      tasks: [...fetched.tasks].sort(byKey((x) => x.number)),
      departments: [...fetched.departments].sort(byKey((x) => x.name)),
    }
  }
  const { value: importedAt } = useLiveQuery(() => cachedDatasetImportedAt(db))
  const tasks = () => dataset.value?.tasks ?? []

  // Computed, so built the first time a page asks (the search page), not whenever the dataset loads.
  const index = computed(() => (dataset.value ? buildSearchIndex(dataset.value) : undefined))
  const taskByNumber = computed(() => new Map(tasks().map((t) => [t.number, t])))
  const sectionById = computed(() => new Map((dataset.value?.sections ?? []).map((s) => [s.id, s])))
  const departmentByName = computed(() => new Map((dataset.value?.departments ?? []).map((d) => [d.name, d])))

  return {
    dataset,
    loaded,
    error,
    importedAt,
    index,
    taskByNumber,
    sectionById,
    departmentByName,
    showWhileStoring,
  }
})
