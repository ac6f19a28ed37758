// Bundled into the benchmark page: the app's own database, saveCheckIn(), the sync storage that acknowledges a
// push, and the pruning that runs after a sync.
import { db } from '../src/db/db'
import { saveCheckIn } from '../src/db/records'
import { pruneOldRecords } from '../src/db/retention'
import { dexieSyncStorage } from '../src/db/syncStorage'
import { VENUE_TYPES, type PhotoRef } from '../src/kernel/sync-schema'
import { uuidv7 } from '../src/kernel/uuid'

const DAY_MS = 86_400_000
const NOTES = [
  '例行巡查，未见明显侵权商品。',
  '发现疑似假冒注册商标的运动鞋 12 双，已拍照取证，责令下架并登记保存。',
  '展会期间对 3 号馆 40 个展位进行知识产权巡查，向参展商发放宣传资料。',
  '',
]

/** Bytes that do not compress, as a JPEG's do not: a fast pseudo-random fill. */
function photoBytes(size: number, seed: number): ArrayBuffer {
  const words = new Uint32Array(Math.ceil(size / 4))
  let x = seed * 2654435761 || 1
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    words[i] = x >>> 0
  }
  return words.buffer.slice(0, size)
}

export interface FillOptions {
  n: number
  authorId: string
  photosPerCheckIn: number
  photoBytes: number
  /** The check-ins happen evenly over this many days, up to now. */
  spanDays: number
  /** Every this many saves the phone syncs: everything so far is acknowledged (verified) by the server. */
  syncEvery: number
  /** Prune after each sync, as the app does (else nothing is let go). */
  prune: boolean
}

/**
 * Saves `n` check-ins one after another through the app's saveCheckIn (signed, chained, queued with their
 * photos), and every `syncEvery` of them plays a sync's end: the server takes the queued ones (the app's own
 * acknowledge, which verifies them and lets their outbox entries go), photos verified, then pruning if asked.
 */
export async function fill(o: FillOptions): Promise<{ checkIns: number; photos: number; outbox: number }> {
  const storage = dexieSyncStorage(db)
  const now = Date.now()
  let version = 0
  let photoNo = 0
  const sync = async () => {
    const done = await db.outbox.orderBy('seq').toArray()
    if (!done.length) return
    const shas = done.flatMap((e) => (e.name === 'checkin.create' ? (e.args as { photos: PhotoRef[] }).photos : []))
    await storage.setPhotoState(
      shas.map((p) => p.sha256),
      'verified',
    )
    await storage.acknowledge(done, () => ({
      checkIns: done.map((e) => ({
        key: e.recordId,
        changes: { state: 'verified' as const, serverVersion: ++version },
      })),
      newCheckIns: [],
      notes: [],
    }))
    if (o.prune) await pruneOldRecords(db, { now })
  }
  for (let i = 0; i < o.n; i++) {
    // Evenly over the span, the newest now; in working hours, Guangdong time.
    const at = now - Math.round(((o.n - 1 - i) * o.spanDays * DAY_MS) / Math.max(1, o.n - 1))
    const iso = new Date(at).toISOString()
    const photos = Array.from({ length: o.photosPerCheckIn }, () => {
      const sha256 = (++photoNo).toString(16).padStart(64, '0')
      return { sha256, size: o.photoBytes, type: 'image/jpeg' as const, bytes: photoBytes(o.photoBytes, photoNo) }
    })
    await saveCheckIn(
      db,
      {
        id: uuidv7(at),
        authorId: o.authorId,
        venueName: `越秀区批发市场 ${i % 300} 号档口`,
        venueType: VENUE_TYPES[i % VENUE_TYPES.length]!,
        occurredAt: iso,
        location: { lat: 23.1 + (i % 100) / 1000, lng: 113.25 + (i % 77) / 1000, accuracy: 8 + (i % 20) },
        outcome: i % 4 ? 'no_problem' : 'suspected',
        premisesInspected: 1 + (i % 12),
        itemsSeized: i % 4 ? 0 : 3 + (i % 40),
        note: NOTES[i % NOTES.length]!,
        taskNumbers: i % 3 ? [28] : [28, 37],
        campaignId: i % 2 ? null : uuidv7(now - 30 * DAY_MS),
        photos: photos.map(({ sha256, size, type }) => ({ sha256, size, type })),
        correctionOf: null,
        createdAt: new Date(at + 60_000).toISOString(),
      },
      photos,
    )
    if ((i + 1) % o.syncEvery === 0) await sync()
  }
  await sync()
  return { checkIns: await db.checkins.count(), photos: await db.photos.count(), outbox: await db.outbox.count() }
}

/** Prunes now, as after a sync, and says what went. */
export const prune = () => pruneOldRecords(db)

export async function counts(): Promise<{ checkIns: number; photos: number; outbox: number }> {
  return { checkIns: await db.checkins.count(), photos: await db.photos.count(), outbox: await db.outbox.count() }
}

/** What the browser says this origin stores: in all, and in IndexedDB (Chromium's usageDetails). */
export async function estimate(): Promise<{ usage: number; indexedDB: number | null }> {
  const e = (await navigator.storage.estimate()) as StorageEstimate & { usageDetails?: { indexedDB?: number } }
  return { usage: e.usage ?? 0, indexedDB: e.usageDetails?.indexedDB ?? null }
}
