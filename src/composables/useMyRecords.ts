import { computed, toValue, type MaybeRefOrGetter } from 'vue'
import { myCheckIns } from '@/db/checkins'
import { db } from '@/db/db'
import { myNotes } from '@/db/notes'
import { useSettledQuery } from './useLiveQuery'

/** How long the lists wait, at most, to catch up with a burst of changes (see useSettledQuery). */
const SETTLE_MS = 1000

/** The inspector's own check-ins, newest first, the first `limit` of them (of `task`, when given), and how many in all. */
export function useMyCheckIns(options: {
  task?: MaybeRefOrGetter<number | undefined>
  limit: MaybeRefOrGetter<number>
}) {
  const { value } = useSettledQuery(
    () => myCheckIns(db, { task: toValue(options.task), limit: toValue(options.limit) }),
    {
      tables: ['checkins', 'syncMeta', 'session'],
      settleMs: SETTLE_MS,
      deps: () => [toValue(options.task), toValue(options.limit)],
    },
  )
  const checkIns = computed(() => value.value?.checkIns ?? [])
  const total = computed(() => value.value?.total ?? 0)
  return { checkIns, total }
}

/** The inspector's own notes that are not deleted, newest first. */
export function useMyNotes() {
  const { value: notes } = useSettledQuery(() => myNotes(db), {
    tables: ['notes', 'syncMeta', 'session'],
    settleMs: SETTLE_MS,
  })
  return { notes }
}
