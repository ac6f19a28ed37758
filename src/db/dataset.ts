import type { Dataset } from '@/kernel/dataset'
import type { ZhixunDB } from './db'

/** Replaces the whole dataset in one transaction: a reader sees the old one or the new one, never a mix. */
export async function replaceDataset(db: ZhixunDB, dataset: Dataset): Promise<void> {
  await db.transaction('rw', [db.meta, db.sections, db.tasks, db.departments], async () => {
    await Promise.all([db.sections.clear(), db.tasks.clear(), db.departments.clear()])
    await db.sections.bulkPut(dataset.sections)
    await db.tasks.bulkPut(dataset.tasks)
    await db.departments.bulkPut(dataset.departments)
    await db.meta.put({
      key: 'dataset',
      version: dataset.version,
      document: dataset.document,
      importedAt: Date.now(),
      ...(dataset.readings !== undefined && { readings: dataset.readings }),
    })
  })
}

/** The cached dataset, read in one transaction, or undefined before the first import. */
export async function readCachedDataset(db: ZhixunDB): Promise<Dataset | undefined> {
  return db.transaction('r', [db.meta, db.sections, db.tasks, db.departments], async () => {
    const meta = await db.meta.get('dataset')
    if (!meta) return undefined
    const [sections, tasks, departments] = await Promise.all([
      db.sections.orderBy('id').toArray(),
      db.tasks.orderBy('number').toArray(),
      db.departments.toArray(),
    ])
    const { version, document, readings } = meta
    return { version, document, sections, tasks, departments, ...(readings !== undefined && { readings }) }
  })
}

export async function cachedDatasetVersion(db: ZhixunDB): Promise<string | undefined> {
  return (await db.meta.get('dataset'))?.version
}

export async function cachedDatasetImportedAt(db: ZhixunDB): Promise<number | undefined> {
  return (await db.meta.get('dataset'))?.importedAt
}

export async function cachedDatasetCheckedAt(db: ZhixunDB): Promise<number | undefined> {
  return (await db.meta.get('dataset'))?.checkedAt
}

/** Notes that the server confirmed the cached dataset (or sent the one now cached) at `at`. */
export async function markDatasetChecked(db: ZhixunDB, at: number): Promise<void> {
  await db.meta.update('dataset', { checkedAt: at })
}
