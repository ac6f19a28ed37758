import { toValue, type MaybeRefOrGetter } from 'vue'
import { myCheckInCountForTask } from '@/db/checkins'
import { db } from '@/db/db'
import { useLiveQuery } from './useLiveQuery'

/**
 * How many of the inspector's own check-ins (made here or elsewhere) name the task: what its "my records" lists.
 * A module of its own: a task's page, often the first page opened from a link, needs nothing else of check-ins.
 */
export function useTaskCheckInCount(taskNumber: MaybeRefOrGetter<number>) {
  const { value: count } = useLiveQuery(
    () => myCheckInCountForTask(db, toValue(taskNumber)),
    () => toValue(taskNumber),
  )
  return { count }
}
