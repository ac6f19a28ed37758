import { Dexie } from 'dexie'
import { computed, shallowRef, toValue, watch, type MaybeRefOrGetter } from 'vue'
import { useI18n } from 'vue-i18n'
import { errorMessageKey } from '@/api/http'
import { fetchMyCheckIns } from '@/api/records'
import { myCheckIns, recordsOwner } from '@/db/checkins'
import { db, type LocalCheckIn, type LocalReview, type ZhixunDB } from '@/db/db'
import { myNotes } from '@/db/notes'
import { retentionCutoff, type MyCheckInsPage, type ServerCheckIn } from '@/kernel/retention'
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

/**
 * Of `reviews`, the latest of each check-in when it returned the check-in and no check-in on this phone corrects
 * it (`corrected`: the ids corrections name). The latest is the last in time; at one time the later id (uuidv7).
 */
function awaitingCorrection(reviews: LocalReview[], corrected: readonly unknown[]): Map<string, LocalReview> {
  const latest = new Map<string, LocalReview>()
  for (const r of reviews) {
    const seen = latest.get(r.checkInId)
    if (!seen || r.at > seen.at || (r.at === seen.at && r.id > seen.id)) latest.set(r.checkInId, r)
  }
  const done = new Set(corrected)
  for (const [id, r] of latest) if (r.action !== 'returned' || done.has(id)) latest.delete(id)
  return latest
}

/** Of the check-ins `ids`, those returned and not yet corrected, with the review that returned them: two indexed reads. */
export function returnedOf(db: ZhixunDB, ids: string[]): Promise<Map<string, LocalReview>> {
  if (!ids.length) return Promise.resolve(new Map())
  return db.transaction('r', [db.reviews, db.checkins], () =>
    Dexie.Promise.all([
      db.reviews.where('checkInId').anyOf(ids).toArray(),
      db.checkins.where('data.correctionOf').anyOf(ids).keys(),
    ]).then(([reviews, corrected]) => awaitingCorrection(reviews, corrected)),
  )
}

/**
 * The inspector's own check-ins (of `task`, when given) that a supervisor returned and no check-in on this phone
 * corrects yet, newest first, with the reviews that returned them. Reviews have no index on their action: this
 * reads them all (one small row per reviewed check-in), then only the check-ins returned.
 */
export function myReturnedCheckIns(
  db: ZhixunDB,
  { task }: { task?: number },
): Promise<{ checkIns: LocalCheckIn[]; reviews: Map<string, LocalReview> }> {
  return db.transaction('r', [db.session, db.syncMeta, db.checkins, db.reviews], () =>
    Dexie.Promise.all([recordsOwner(db), db.reviews.toArray()]).then(([owner, all]) => {
      const candidates = [...awaitingCorrection(all, []).keys()]
      return Dexie.Promise.all([
        db.checkins.bulkGet(candidates),
        db.checkins.where('data.correctionOf').anyOf(candidates).keys(),
      ]).then(([found, corrected]) => {
        const reviews = awaitingCorrection(all, corrected)
        const checkIns = found
          .filter((c): c is LocalCheckIn => !!c && reviews.has(c.id))
          .filter((c) => (owner ? c.data.authorId === owner : c.origin === 'mine'))
          .filter((c) => task === undefined || c.taskNumbers.includes(task))
          .sort((a, b) => b.savedAt - a.savedAt)
        return { checkIns, reviews }
      })
    }),
  )
}

/** The reviews that returned the check-ins `ids` (a page of the list) and await a correction, by check-in id. */
export function useReturnedReviews(ids: MaybeRefOrGetter<string[]>) {
  const { value } = useSettledQuery(() => returnedOf(db, toValue(ids)), {
    tables: ['reviews', 'checkins'],
    settleMs: SETTLE_MS,
    deps: () => toValue(ids).join(','),
  })
  return { returned: computed(() => value.value ?? new Map<string, LocalReview>()) }
}

/** The inspector's own returned check-ins awaiting a correction (of `task`, when given), newest first. */
export function useMyReturned(task: MaybeRefOrGetter<number | undefined>) {
  const { value } = useSettledQuery(() => myReturnedCheckIns(db, { task: toValue(task) }), {
    tables: ['reviews', 'checkins', 'syncMeta', 'session'],
    settleMs: SETTLE_MS,
    deps: () => toValue(task),
  })
  return { returnedCheckIns: computed(() => value.value?.checkIns ?? []) }
}

/** How many older check-ins one read from the server brings. */
const OLDER_PAGE = 50

/**
 * The inspector's own check-ins older than the phone keeps (src/db/retention.ts), read from the server a page at a
 * time when `loadMore` is called (of `task`, when given), newest first. Those still on this phone (unsent, or not
 * yet let go) are left out: the list of the phone's own shows them. `problem` is a locale key.
 */
export function useOlderCheckIns(task: MaybeRefOrGetter<number | undefined>) {
  const { te } = useI18n()
  const checkIns = shallowRef<ServerCheckIn[]>([])
  /** The query of the next page; null once the last was read; undefined before the first. */
  const next = shallowRef<MyCheckInsPage['next'] | undefined>()
  const loading = shallowRef(false)
  const problem = shallowRef<string>()
  let generation = 0

  async function loadMore(): Promise<void> {
    if (loading.value || next.value === null) return
    const call = generation
    loading.value = true
    problem.value = undefined
    try {
      const from = next.value ?? { before: retentionCutoff(Date.now()) }
      const page = await fetchMyCheckIns({ ...from, task: toValue(task), limit: OLDER_PAGE })
      const here = await db.checkins.bulkGet(page.checkIns.map((c) => c.id))
      if (call !== generation) return
      checkIns.value = [...checkIns.value, ...page.checkIns.filter((_, i) => !here[i])]
      next.value = page.next
    } catch (err) {
      if (call === generation) problem.value = errorMessageKey(err, te)
    } finally {
      if (call === generation) loading.value = false
    }
  }

  // Another task's list starts again from the top.
  watch(
    () => toValue(task),
    () => {
      generation++
      checkIns.value = []
      next.value = undefined
      loading.value = false
      problem.value = undefined
    },
  )

  const started = computed(() => next.value !== undefined)
  const more = computed(() => next.value !== null)
  return { checkIns, loading, problem, started, more, loadMore }
}
