import 'fake-indexeddb/auto'
import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { db } from '../../src/db/db'
import { replaceDataset } from '../../src/db/dataset'
import * as searchModule from '../../src/search/search'
import { useDatasetStore } from '../../src/stores/dataset'
import { realDataset } from '../helpers/seed'

beforeEach(async () => {
  setActivePinia(createPinia())
  await db.delete()
  await db.open()
})

describe('the dataset store', () => {
  it('says when there is no dataset yet, then follows the one imported, with its lookups', async () => {
    const store = useDatasetStore()
    await vi.waitFor(() => expect(store.loaded).toBe(true))
    expect(store.dataset).toBeUndefined()
    expect(store.taskByNumber.size).toBe(0)

    await replaceDataset(db, realDataset)

    await vi.waitFor(() => expect(store.dataset?.version).toBe(realDataset.version))
    expect(store.taskByNumber.get(153)?.number).toBe(153)
    expect(store.sectionById.size).toBe(realDataset.sections.length)
    expect(store.departmentByName.has('省知识产权局')).toBe(true)
    expect(store.importedAt).toBeTypeOf('number')
    expect(store.error).toBeUndefined()
  })

  it('builds the search index only when a page first asks for it', async () => {
    await replaceDataset(db, realDataset)
    const build = vi.spyOn(searchModule, 'buildSearchIndex')
    const store = useDatasetStore()
    await vi.waitFor(() => expect(store.dataset).toBeDefined())
    expect(build).not.toHaveBeenCalled()
    expect(store.index).toBeDefined()
    expect(build).toHaveBeenCalledTimes(1)
    build.mockRestore()
  })
})
