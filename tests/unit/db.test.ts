import 'fake-indexeddb/auto'
import { afterEach, beforeEach, describe, expect, it, onTestFinished, vi } from 'vitest'
import type { Dataset } from '../../src/kernel/dataset'
import { ZhixunDB } from '../../src/db/db'
import { bookmarkedTaskNumbers, isBookmarked, toggleBookmark } from '../../src/db/bookmarks'
import { cachedDatasetVersion, readCachedDataset, replaceDataset } from '../../src/db/dataset'
import { realDataset } from '../helpers/seed'

let db: ZhixunDB
let n = 0
beforeEach(() => {
  db = new ZhixunDB(`test-${++n}`)
})
afterEach(async () => {
  await db.delete()
})

function smaller(version: string): Dataset {
  return { ...realDataset, version, tasks: realDataset.tasks.slice(0, 10), sections: realDataset.sections.slice(0, 1) }
}

describe('the dataset cache', () => {
  it('is empty before the first import, then holds exactly what was imported', async () => {
    expect(await readCachedDataset(db)).toBeUndefined()
    await replaceDataset(db, realDataset)
    const loaded = await readCachedDataset(db)
    expect(loaded?.version).toBe(realDataset.version)
    expect(loaded?.tasks).toEqual(realDataset.tasks)
    expect(loaded?.departments.map((d) => d.name).sort()).toEqual(realDataset.departments.map((d) => d.name).sort())
    expect(loaded?.document).toEqual(realDataset.document)
  })

  it('replaces the whole dataset, leaving nothing of the old one', async () => {
    await replaceDataset(db, realDataset)
    await replaceDataset(db, smaller('v2'))
    const loaded = await readCachedDataset(db)
    expect(loaded?.version).toBe('v2')
    expect(loaded?.tasks).toHaveLength(10)
    expect(await db.tasks.count()).toBe(10)
  })

  it('keeps the old dataset whole when a replacement fails halfway', async () => {
    await replaceDataset(db, realDataset)
    const broken = smaller('v-broken')
    // A task without its key makes bulkPut fail after the tables were cleared inside the transaction.
    broken.tasks = [...broken.tasks, { ...broken.tasks[0]!, number: undefined as unknown as number }]
    await expect(replaceDataset(db, broken)).rejects.toThrow()
    expect(await cachedDatasetVersion(db)).toBe(realDataset.version)
    expect(await db.tasks.count()).toBe(160)
    expect(await db.sections.count()).toBe(9)
  })
})

describe('bookmarks', () => {
  it('toggles and lists the newest first', async () => {
    // The clock says when each was bookmarked: one second apart, rather than waiting for it to tick.
    const clock = vi.spyOn(Date, 'now').mockReturnValue(Date.parse('2026-11-20T08:00:00Z'))
    onTestFinished(() => clock.mockRestore())
    expect(await toggleBookmark(db, 28)).toBe(true)
    clock.mockReturnValue(Date.parse('2026-11-20T08:00:01Z'))
    expect(await toggleBookmark(db, 153)).toBe(true)
    expect(await bookmarkedTaskNumbers(db)).toEqual([153, 28])
    expect(await toggleBookmark(db, 28)).toBe(false)
    expect(await isBookmarked(db, 28)).toBe(false)
    expect(await bookmarkedTaskNumbers(db)).toEqual([153])
  })
})
