import type { LocalCheckIn, ZhixunDB } from './db'

export async function getCheckIn(db: ZhixunDB, id: string): Promise<LocalCheckIn | undefined> {
  return db.checkins.get(id)
}

/** The check-ins that correct `id`, by the index on what they correct: a phone may hold thousands. */
export async function correctionsOf(db: ZhixunDB, id: string): Promise<LocalCheckIn[]> {
  return db.checkins.where('data.correctionOf').equals(id).toArray()
}

/** How many check-ins on this phone (the inspector's and those pulled from the server) name the task. */
export async function checkInCountForTask(db: ZhixunDB, taskNumber: number): Promise<number> {
  return db.checkins.where('taskNumbers').equals(taskNumber).count()
}

/** The inspector's own check-ins, newest first, the first `limit` of them (of `task`, when given), and how many in all. */
export async function myCheckIns(
  db: ZhixunDB,
  { task, limit }: { task?: number; limit: number },
): Promise<{ checkIns: LocalCheckIn[]; total: number }> {
  const mine = db.checkins
    .orderBy('savedAt')
    .reverse()
    .filter((c) => c.origin === 'mine' && (task === undefined || c.taskNumbers.includes(task)))
  const [checkIns, total] = await Promise.all([mine.clone().limit(limit).toArray(), mine.count()])
  return { checkIns, total }
}
