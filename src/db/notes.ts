import { recordsOwner } from './checkins'
import type { LocalNote, ZhixunDB } from './db'

/** A task's notes that are not deleted, newest first. */
export async function taskNotes(db: ZhixunDB, taskNumber: number): Promise<LocalNote[]> {
  return (await db.notes.where('taskNumber').equals(taskNumber).sortBy('savedAt')).filter((n) => !n.deleted).reverse()
}

/** The inspector's own notes that are not deleted, made here or on another phone, newest first. */
export function myNotes(db: ZhixunDB): Promise<LocalNote[]> {
  // Dexie's promises, chained: a live query follows what it reads (see recordsOwner).
  return recordsOwner(db).then((owner) =>
    db.notes
      .orderBy('savedAt')
      .reverse()
      .filter((n) => (owner ? n.data.authorId === owner : n.origin === 'mine') && !n.deleted)
      .toArray(),
  )
}
