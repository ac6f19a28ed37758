import { Dexie } from 'dexie'
import type { LocalCheckIn, ZhixunDB } from './db'

export async function getCheckIn(db: ZhixunDB, id: string): Promise<LocalCheckIn | undefined> {
  return db.checkins.get(id)
}

/** The check-ins that correct `id`, by the index on what they correct: a phone may hold thousands. */
export async function correctionsOf(db: ZhixunDB, id: string): Promise<LocalCheckIn[]> {
  return db.checkins.where('data.correctionOf').equals(id).toArray()
}

/**
 * Whose records "my records" are: the signed-in user's, or when nobody is signed in, the user whose records
 * the phone holds (its client id's; they stay on the phone after signing out).
 *
 * This and the reads below chain Dexie's own promises (then) rather than awaiting: a live query follows only
 * the tables read in its own zone, which a native await inside a nested async function loses, and then it
 * would never update (tests/unit/my-records.test.ts checks that it does).
 */
export function recordsOwner(db: ZhixunDB): Promise<string | undefined> {
  return db.session.get('me').then((s) => s?.user.id ?? db.syncMeta.get('sync').then((m) => m?.userId))
}

/**
 * The owner's check-ins (of `task`, when given), in the order they came to this phone, by index. With no owner
 * known (a phone nobody has signed in on since it kept its records), the ones made on this phone, by reading.
 */
function ownCheckIns(db: ZhixunDB, owner: string | undefined, task: number | undefined) {
  if (!owner)
    return db.checkins
      .orderBy('savedAt')
      .filter((c) => c.origin === 'mine' && (task === undefined || c.taskNumbers.includes(task)))
  return task === undefined
    ? db.checkins.where('[data.authorId+savedAt]').between([owner, Dexie.minKey], [owner, Dexie.maxKey])
    : db.checkins.where('authorTasks').between([owner, task, Dexie.minKey], [owner, task, Dexie.maxKey])
}

/** How many of the inspector's own check-ins (made here or on another phone) name the task: an indexed count. */
export function myCheckInCountForTask(db: ZhixunDB, taskNumber: number): Promise<number> {
  return recordsOwner(db).then((owner) => ownCheckIns(db, owner, taskNumber).count())
}

/**
 * The inspector's own check-ins, made on this phone or on another one (pulled from the server), newest first:
 * the first `limit` of them (of `task`, when given) and how many in all. Reads only what it returns, and
 * counts by index: a phone with thousands of records answers as fast as one with ten.
 */
export function myCheckIns(
  db: ZhixunDB,
  { task, limit }: { task?: number; limit: number },
): Promise<{ checkIns: LocalCheckIn[]; total: number }> {
  // One read transaction for all three reads: a save waits for reads of its tables, so the fewer the better.
  return db.transaction('r', [db.session, db.syncMeta, db.checkins], () =>
    recordsOwner(db).then((owner) => {
      const mine = ownCheckIns(db, owner, task)
      return Dexie.Promise.all([mine.clone().reverse().limit(limit).toArray(), mine.count()]).then(
        ([checkIns, total]) => ({ checkIns, total }),
      )
    }),
  )
}
