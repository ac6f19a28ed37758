import type { ZhixunDB } from './db'

/** A form's unfinished input and when it was last kept. */
export interface SavedDraft<T> {
  data: T
  savedAt: number
}

export async function readDraft<T>(db: ZhixunDB, key: string): Promise<SavedDraft<T> | undefined> {
  const row = await db.drafts.get(key)
  return row && { data: row.data as T, savedAt: row.savedAt }
}

/** Keeps `data` under `key`, replacing what was there; resolves with when. */
export async function saveDraft(db: ZhixunDB, key: string, data: unknown): Promise<number> {
  const savedAt = Date.now()
  await db.drafts.put({ key, data, savedAt })
  return savedAt
}

export async function deleteDraft(db: ZhixunDB, key: string): Promise<void> {
  await db.drafts.delete(key)
}

export async function hasDraft(db: ZhixunDB, key: string): Promise<boolean> {
  return (await db.drafts.get(key)) !== undefined
}
