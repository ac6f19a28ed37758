import { toValue, type MaybeRefOrGetter } from 'vue'
import { db } from '@/db/db'
import { taskNotes } from '@/db/notes'
import { deleteNote, saveNote } from '@/db/records'
import { useLiveQuery } from './useLiveQuery'

// What `save` throws when the schema refuses the note, for the component to explain.
export { RecordInvalidError } from '@/db/records'

/** A task's field notes (not deleted, newest first), and writing them: each write is queued for the server. */
export function useTaskNotes(taskNumber: MaybeRefOrGetter<number>) {
  const { value: notes } = useLiveQuery(
    () => taskNotes(db, toValue(taskNumber)),
    () => toValue(taskNumber),
  )
  /** A new note without `id`, otherwise an edit; the draft under `draftKey` goes in the same transaction. */
  const save = (note: { id?: string; text: string; authorId: string }, draftKey?: string) =>
    saveNote(db, { ...note, taskNumber: toValue(taskNumber) }, draftKey)
  const remove = (id: string): Promise<void> => deleteNote(db, id)
  return { notes, save, remove }
}
