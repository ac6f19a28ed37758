import type { LocalNote, ZhixunDB } from './db'

/** A task's notes that are not deleted, newest first. */
export async function taskNotes(db: ZhixunDB, taskNumber: number): Promise<LocalNote[]> {
  return (await db.notes.where('taskNumber').equals(taskNumber).sortBy('savedAt')).filter((n) => !n.deleted).reverse()
}

/** The inspector's own notes that are not deleted, newest first. */
export async function myNotes(db: ZhixunDB): Promise<LocalNote[]> {
  return (await db.notes.orderBy('savedAt').reverse().toArray()).filter((n) => n.origin === 'mine' && !n.deleted)
}
