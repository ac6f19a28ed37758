// Bundled for the benchmark page: the app's own Dexie schema and import function, nothing else.
import { ZhixunDB } from '../src/db/db'
import { readCachedDataset, replaceDataset } from '../src/db/dataset'
import type { Dataset } from '../src/kernel/dataset'

export async function timeImport(dataset: Dataset, name: string): Promise<{ importMs: number; loadMs: number }> {
  const db = new ZhixunDB(name)
  const t0 = performance.now()
  await replaceDataset(db, dataset)
  const t1 = performance.now()
  const loaded = await readCachedDataset(db)
  const t2 = performance.now()
  if (loaded?.tasks.length !== dataset.tasks.length) throw new Error('import lost tasks')
  await db.delete()
  return { importMs: t1 - t0, loadMs: t2 - t1 }
}
