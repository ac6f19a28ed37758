import { defineStore } from 'pinia'
import { computed } from 'vue'
import { useLiveQuery } from '@/composables/useLiveQuery'
import { db } from '@/db/db'
import { cachedDatasetImportedAt, readCachedDataset } from '@/db/dataset'
import { buildSearchIndex } from '@/search/search'

/**
 * The cached task dataset as every page reads it: followed in IndexedDB for the life of the app (an update
 * swaps it in place), with the lookups pages need. Keeping it current is the datasetSync store's job.
 */
export const useDatasetStore = defineStore('dataset', () => {
  const { value: dataset, loaded, error } = useLiveQuery(() => readCachedDataset(db))
  const { value: importedAt } = useLiveQuery(() => cachedDatasetImportedAt(db))
  const tasks = () => dataset.value?.tasks ?? []

  // Computed, so built the first time a page asks (the search page), not whenever the dataset loads.
  const index = computed(() => (dataset.value ? buildSearchIndex(dataset.value) : undefined))
  const taskByNumber = computed(() => new Map(tasks().map((t) => [t.number, t])))
  const sectionById = computed(() => new Map((dataset.value?.sections ?? []).map((s) => [s.id, s])))
  const departmentByName = computed(() => new Map((dataset.value?.departments ?? []).map((d) => [d.name, d])))

  return { dataset, loaded, error, importedAt, index, taskByNumber, sectionById, departmentByName }
})
