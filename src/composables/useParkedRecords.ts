import { db } from '@/db/db'
import { deleteParked, listParked } from '@/db/session'
import { useLiveQuery } from './useLiveQuery'

/** Other users' exported, unsent records set aside on this phone, and deleting them on purpose. */
export function useParkedRecords() {
  const { value: parked } = useLiveQuery(() => listParked(db))
  /** The last copy on this phone: ask first. */
  const remove = (userId: string): Promise<void> => deleteParked(db, userId)
  return { parked, remove }
}
