import { computed, toValue, type MaybeRefOrGetter } from 'vue'
import { myCheckIns } from '@/db/checkins'
import { db } from '@/db/db'
import { myNotes } from '@/db/notes'
import { useLiveQuery } from './useLiveQuery'

/** The inspector's own check-ins, newest first, the first `limit` of them (of `task`, when given), and how many in all. */
export function useMyCheckIns(options: {
  task?: MaybeRefOrGetter<number | undefined>
  limit: MaybeRefOrGetter<number>
}) {
  const { value } = useLiveQuery(
    () => myCheckIns(db, { task: toValue(options.task), limit: toValue(options.limit) }),
    () => [toValue(options.task), toValue(options.limit)],
  )
  const checkIns = computed(() => value.value?.checkIns ?? [])
  const total = computed(() => value.value?.total ?? 0)
  return { checkIns, total }
}

/** The inspector's own notes that are not deleted, newest first. */
export function useMyNotes() {
  const { value: notes } = useLiveQuery(() => myNotes(db))
  return { notes }
}
