import type { ZhixunDB } from './db'

export async function isBookmarked(db: ZhixunDB, taskNumber: number): Promise<boolean> {
  return (await db.bookmarks.get(taskNumber)) !== undefined
}

export async function toggleBookmark(db: ZhixunDB, taskNumber: number): Promise<boolean> {
  return db.transaction('rw', db.bookmarks, async () => {
    if (await db.bookmarks.get(taskNumber)) {
      await db.bookmarks.delete(taskNumber)
      return false
    }
    await db.bookmarks.put({ taskNumber, createdAt: Date.now() })
    return true
  })
}

export async function bookmarkedTaskNumbers(db: ZhixunDB): Promise<number[]> {
  return (await db.bookmarks.orderBy('createdAt').reverse().toArray()).map((b) => b.taskNumber)
}
