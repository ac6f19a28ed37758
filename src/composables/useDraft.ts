import { shallowRef, toValue, type MaybeRefOrGetter } from 'vue'
import { db } from '@/db/db'
import { deleteDraft, hasDraft, readDraft, saveDraft } from '@/db/drafts'
import { useLiveQuery } from './useLiveQuery'

/** A form's unfinished input, kept on the phone under `key` so a reload, a call or a dead battery loses nothing. */
export function useDraft<T>(key: MaybeRefOrGetter<string>) {
  const savedAt = shallowRef<number>()
  async function load(): Promise<T | undefined> {
    const draft = await readDraft<T>(db, toValue(key))
    savedAt.value = draft?.savedAt
    return draft?.data
  }
  async function save(data: T): Promise<void> {
    savedAt.value = await saveDraft(db, toValue(key), data)
  }
  async function discard(): Promise<void> {
    await deleteDraft(db, toValue(key))
    savedAt.value = undefined
  }
  return { savedAt, load, save, discard }
}

/** Whether a draft is kept under `key`, followed as it is saved and discarded. */
export function useDraftExists(key: MaybeRefOrGetter<string>) {
  const { value: exists } = useLiveQuery(
    () => hasDraft(db, toValue(key)),
    () => toValue(key),
  )
  return { exists }
}
