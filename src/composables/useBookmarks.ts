import { toValue, type MaybeRefOrGetter } from 'vue'
import { bookmarkedTaskNumbers, isBookmarked, toggleBookmark } from '@/db/bookmarks'
import { db } from '@/db/db'
import { forgetHomeSnapshot } from './useHomeSnapshot'
import { useLiveQuery } from './useLiveQuery'

/** Whether the task is bookmarked on this phone, and the way to change that. */
export function useBookmark(taskNumber: MaybeRefOrGetter<number>) {
  const { value: saved } = useLiveQuery(
    () => isBookmarked(db, toValue(taskNumber)),
    () => toValue(taskNumber),
  )
  const toggle = (): Promise<boolean> => {
    forgetHomeSnapshot() // the home page shows bookmarks above its list: it must not start from a list without them
    return toggleBookmark(db, toValue(taskNumber))
  }
  return { saved, toggle }
}

/** The bookmarked tasks' numbers, the latest bookmark first. */
export function useBookmarks() {
  const { value: taskNumbers } = useLiveQuery(() => bookmarkedTaskNumbers(db))
  return { taskNumbers }
}
