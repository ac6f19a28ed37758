import { RETENTION_DAYS } from '@/kernel/retention'
import type { Inspection } from '@/kernel/sync-schema'
import type { LocalInspection, LocalReview, RecordState, ZhixunDB } from './db'

export { RETENTION_DAYS } from '@/kernel/retention'

const DAY_MS = 86_400_000

/** States in which the server holds the record as this phone does: nothing of it is waiting to go up. */
const SETTLED: ReadonlySet<RecordState | 'draft'> = new Set(['sent', 'verified'])

/** Records open on screen, by id, with how many pages hold each: never let go while shown. */
const held = new Map<string, number>()

/** Keeps the record `id` on the phone while it is shown; call what it returns when the page lets it go. */
export function holdRecord(id: string): () => void {
  held.set(id, (held.get(id) ?? 0) + 1)
  let released = false
  return () => {
    if (released) return
    released = true
    const n = (held.get(id) ?? 1) - 1
    if (n > 0) held.set(id, n)
    else held.delete(id)
  }
}

export interface PruneOptions {
  now?: number
  days?: number
  /** Ids of records open on screen (by default those held with holdRecord). */
  open?: ReadonlySet<string>
}

export interface PruneReport {
  checkIns: number
  inspections: number
  reviews: number
  photos: number
}

const SHA_RE = /[0-9a-f]{64}/g

/** The photos and drawn signatures an inspection record names, signed or still a draft. */
function inspectionShas(r: LocalInspection): string[] {
  const data = r.data as Inspection | undefined
  const signed = data ? [...data.photos.map((p) => p.sha256), ...data.signatures.map((s) => s.sha256)] : []
  return r.draft === undefined ? signed : [...signed, ...(JSON.stringify(r.draft).match(SHA_RE) ?? [])]
}

/** The latest review of each check-in: the last in time; at one time the later id (uuidv7). */
function latestReviews(reviews: LocalReview[]): Map<string, LocalReview> {
  const latest = new Map<string, LocalReview>()
  for (const r of reviews) {
    const seen = latest.get(r.checkInId)
    if (!seen || r.at > seen.at || (r.at === seen.at && r.id > seen.id)) latest.set(r.checkInId, r)
  }
  return latest
}

/**
 * Lets go of the check-ins that happened more than `days` (RETENTION_DAYS) ago and that the server holds as this
 * phone does, with their inspection records, reviews and photos; the server keeps them, and "my records" lists and
 * opens them from there when online. Kept whatever their age: a record with anything unsent (an outbox entry, a
 * state other than sent or verified: waiting, rejected, conflict, mismatch), one open on screen, one with a draft
 * (a correction being written, an inspection record not yet signed) or an inspection record still to send, one
 * returned by a supervisor and not yet corrected here; and every photo not yet verified or that anything kept
 * still names. Parked records (another user's, set aside) are rows of their own and never touched.
 *
 * Let go whatever their age, on the same terms: check-ins pulled here of another author than the phone's user
 * (an admin's phone pulled everyone's before server/sync/pull.ts sent each user their own: no change of them comes
 * any more, so the copy here would show a stale review), and inspection records and reviews of a check-in that is
 * not on the phone (pulled after it was let go): the check-in's page opens it with them from the server.
 *
 * Run after a sync, in one transaction: a save made meanwhile waits for it, and sees either all or none of it.
 */
export async function pruneOldRecords(db: ZhixunDB, options: PruneOptions = {}): Promise<PruneReport> {
  const now = options.now ?? Date.now()
  const cutoff = now - (options.days ?? RETENTION_DAYS) * DAY_MS
  const open = options.open ?? new Set(held.keys())
  const tables = [db.checkins, db.inspections, db.reviews, db.photos, db.outbox, db.drafts, db.session, db.syncMeta]
  return db.transaction('rw', tables, async () => {
    const [queuedKeys, drafts, inspections, reviews, session, meta] = await Promise.all([
      db.outbox.orderBy('recordId').uniqueKeys(),
      db.drafts.toArray(),
      db.inspections.toArray(),
      db.reviews.toArray(),
      db.session.get('me'),
      db.syncMeta.get('sync'),
    ])
    // Whose records the phone holds (as "my records" decides it, src/db/checkins.ts); unknown: nobody's let go.
    const owner = session?.user.id ?? meta?.userId
    const queued = new Set(queuedKeys as string[])
    // Whatever a draft names (the check-in it corrects, photos it holds) is kept with it.
    const draftText = JSON.stringify(drafts.map((d) => [d.key, d.data]))
    const inDraft = (id: string) => draftText.includes(id)
    const byCheckIn = new Map<string, LocalInspection[]>()
    for (const r of inspections) byCheckIn.set(r.checkInId, [...(byCheckIn.get(r.checkInId) ?? []), r])
    const settled = (r: { id: string; state: RecordState | 'draft' }) =>
      SETTLED.has(r.state) && !queued.has(r.id) && !open.has(r.id)

    const candidates = new Map<string, string[]>()
    const candidateShas = new Set<string>()
    const keptShas = new Set<string>()
    const corrected = new Set<string>()
    const present = new Set<string>()
    const foreign = new Set<string>()
    await db.checkins.each((c) => {
      present.add(c.id)
      if (c.data.correctionOf) corrected.add(c.data.correctionOf)
      const occurred = Date.parse(c.data.occurredAt)
      const others = owner !== undefined && c.origin === 'server' && c.data.authorId !== owner
      if (others) foreign.add(c.id)
      const old = others || (Number.isFinite(occurred) && occurred < cutoff)
      const keep = !old || !settled(c) || inDraft(c.id) || (byCheckIn.get(c.id) ?? []).some((r) => !settled(r))
      const shas = c.data.photos.map((p) => p.sha256)
      if (keep) shas.forEach((s) => keptShas.add(s))
      else candidates.set(c.id, shas)
    })
    // A check-in a supervisor returned stays until a correction of it is on the phone: the inspector answers it.
    for (const [id, r] of latestReviews(reviews)) {
      const shas = candidates.get(id)
      if (shas && r.action === 'returned' && !corrected.has(id) && !foreign.has(id)) {
        candidates.delete(id)
        shas.forEach((s) => keptShas.add(s))
      }
    }
    for (const shas of candidates.values()) shas.forEach((s) => candidateShas.add(s))
    const prunedSet = new Set(candidates.keys())
    const goneInspections: string[] = []
    /** Of a check-in not on the phone: nothing here shows it, and its page opens it from the server. */
    const orphan = (checkInId: string) => !present.has(checkInId) && !inDraft(checkInId) && !open.has(checkInId)
    for (const r of inspections) {
      if (prunedSet.has(r.checkInId) || (orphan(r.checkInId) && settled(r))) {
        goneInspections.push(r.id)
        inspectionShas(r).forEach((s) => candidateShas.add(s))
      } else inspectionShas(r).forEach((s) => keptShas.add(s))
    }
    for (const s of draftText.match(SHA_RE) ?? []) keptShas.add(s)
    const photoCandidates = [...candidateShas].filter((s) => !keptShas.has(s))
    const photos = await db.photos.bulkGet(photoCandidates)
    const gonePhotos = photos.flatMap((p) => (p && p.state === 'verified' ? [p.sha256] : []))

    const ids = [...prunedSet]
    const goneReviews = reviews.flatMap((r) => (prunedSet.has(r.checkInId) || orphan(r.checkInId) ? [r.id] : []))
    await db.checkins.bulkDelete(ids)
    await db.inspections.bulkDelete(goneInspections)
    await db.reviews.bulkDelete(goneReviews)
    await db.photos.bulkDelete(gonePhotos)
    return {
      checkIns: ids.length,
      inspections: goneInspections.length,
      reviews: goneReviews.length,
      photos: gonePhotos.length,
    }
  })
}
