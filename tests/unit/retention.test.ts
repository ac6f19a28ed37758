import 'fake-indexeddb/auto'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ZhixunDB, type LocalCheckIn, type LocalInspection, type LocalPhoto } from '../../src/db/db'
import { newSyncMeta } from '../../src/db/outbox'
import { saveCheckIn } from '../../src/db/records'
import { holdRecord, pruneOldRecords, RETENTION_DAYS } from '../../src/db/retention'
import type { CheckIn, PhotoRef } from '../../src/kernel/sync-schema'
import { uuidv7 } from '../../src/kernel/uuid'
import { makeCheckIn } from '../helpers/records'

const ME = uuidv7()
const DAY = 86_400_000
const NOW = Date.parse('2026-11-28T12:00:00.000Z')
/** When something happened, `days` before NOW. */
const ago = (days: number) => new Date(NOW - days * DAY).toISOString()

let db: ZhixunDB
beforeEach(() => {
  db = new ZhixunDB(`retention-${Math.random()}`)
})
afterEach(async () => {
  await db.delete()
})

let photoNo = 0
function photo(state: LocalPhoto['state'] = 'verified'): LocalPhoto {
  const sha256 = (++photoNo).toString(16).padStart(64, 'a')
  return { sha256, size: 3, type: 'image/jpeg', bytes: new Uint8Array([1, 2, 3]).buffer, state, savedAt: NOW }
}
const ref = ({ sha256, size, type }: LocalPhoto): PhotoRef => ({ sha256, size, type })

/** A check-in the server holds as this phone does (pushed and verified, or pulled). */
async function synced(daysAgo: number, extra: Partial<CheckIn> = {}, state: LocalCheckIn['state'] = 'verified') {
  const data = makeCheckIn({ authorId: ME, occurredAt: ago(daysAgo), ...extra })
  const row: LocalCheckIn = {
    id: data.id,
    data,
    taskNumbers: data.taskNumbers,
    hash: 'h',
    state,
    origin: 'mine',
    savedAt: NOW - daysAgo * DAY,
  }
  await db.checkins.put(row)
  return data.id
}

const ids = async () => new Set(await db.checkins.toCollection().primaryKeys())
const prune = (open?: ReadonlySet<string>) => pruneOldRecords(db, { now: NOW, ...(open ? { open } : {}) })

describe('pruning old records after a sync', () => {
  it('lets go of synced check-ins older than 180 days and keeps the rest, to the millisecond', async () => {
    expect(RETENTION_DAYS).toBe(180)
    const recent = await synced(10)
    const edge = await synced(RETENTION_DAYS) // exactly 180 days ago: kept
    const justOver = await synced(RETENTION_DAYS + 1 / 86_400_000) // a millisecond older: let go
    const old = await synced(400)
    const sent = await synced(300, {}, 'sent')
    const report = await prune()
    expect(report.checkIns).toBe(3)
    const left = await ids()
    expect([recent, edge].every((id) => left.has(id))).toBe(true)
    expect([justOver, old, sent].some((id) => left.has(id))).toBe(false)
  })

  it('never lets go of a record with anything unsent, whatever its age', async () => {
    // Saved on this phone and queued (as if the phone's clock, or the inspector, dated it long ago).
    const queued = await saveCheckIn(db, makeCheckIn({ authorId: ME, occurredAt: ago(500) }))
    const states = await Promise.all(
      (['waiting', 'rejected', 'conflict', 'mismatch'] as const).map((s) => synced(500, {}, s)),
    )
    // Verified, yet an outbox entry names it still.
    const stillQueued = await synced(500)
    await db.outbox.add({
      wireSeq: 99,
      name: 'checkin.create',
      args: makeCheckIn(),
      recordId: stillQueued,
      queuedAt: NOW,
    })
    expect((await prune()).checkIns).toBe(0)
    const left = await ids()
    for (const id of [queued.id, ...states, stillQueued]) expect(left.has(id)).toBe(true)
    expect(await db.outbox.count()).toBe(2)
  })

  it('keeps a record open on screen, one with a draft, and one whose inspection record is a draft', async () => {
    const shown = await synced(400)
    const heldOne = await synced(400)
    const corrected = await synced(400)
    const inspected = await synced(400)
    await db.drafts.put({ key: `checkin:correct:${corrected}`, data: { note: '补拍' }, savedAt: NOW })
    await db.inspections.put({
      id: uuidv7(),
      checkInId: inspected,
      draft: { text: '…' },
      state: 'draft',
      origin: 'mine',
      savedAt: NOW,
    } satisfies LocalInspection)
    const release = holdRecord(heldOne)
    expect((await prune(new Set([shown]))).checkIns).toBe(1) // the held one is not in `open`: let go
    expect(await ids()).toEqual(new Set([shown, corrected, inspected]))
    release()
    const again = await synced(400)
    const release2 = holdRecord(again)
    expect((await pruneOldRecords(db, { now: NOW })).checkIns).toBe(1) // by default, what pages hold: `shown` goes
    expect(await ids()).toEqual(new Set([corrected, inspected, again]))
    release2()
    release2() // twice is once
    expect((await pruneOldRecords(db, { now: NOW })).checkIns).toBe(1)
  })

  it('keeps a returned check-in until a correction of it is on the phone', async () => {
    const returned = await synced(400)
    await db.reviews.put({
      id: uuidv7(),
      checkInId: returned,
      action: 'returned',
      comment: '补拍',
      reviewerName: '王',
      at: ago(399),
    })
    expect((await prune()).checkIns).toBe(0)
    await synced(1, { correctionOf: returned })
    const report = await prune()
    expect(report).toMatchObject({ checkIns: 1, reviews: 1 })
    expect(await db.reviews.count()).toBe(0)
  })

  it('lets go of the photos, inspection records and reviews of what it lets go, and nothing anything kept names', async () => {
    const [gone, shared, unsent, drafted] = [photo(), photo(), photo('local'), photo()]
    await db.photos.bulkPut([gone, shared, unsent, drafted])
    const old = await synced(400, { photos: [ref(gone), ref(shared), ref(unsent), ref(drafted)] })
    await synced(5, { photos: [ref(shared)] })
    await db.drafts.put({ key: 'checkin:new', data: { photos: [drafted.sha256] }, savedAt: NOW })
    const inspection = uuidv7()
    await db.inspections.put({
      id: inspection,
      checkInId: old,
      state: 'verified',
      origin: 'mine',
      savedAt: NOW,
    } satisfies LocalInspection)
    await db.reviews.put({
      id: uuidv7(),
      checkInId: old,
      action: 'reviewed',
      comment: '',
      reviewerName: '王',
      at: ago(1),
    })
    const report = await prune()
    expect(report).toEqual({ checkIns: 1, inspections: 1, reviews: 1, photos: 1 })
    expect(await db.photos.toCollection().primaryKeys()).toEqual(
      expect.arrayContaining([shared.sha256, unsent.sha256, drafted.sha256]),
    )
    expect(await db.photos.get(gone.sha256)).toBeUndefined()
    expect(await db.inspections.get(inspection)).toBeUndefined()
  })

  it('keeps an old check-in whose inspection record is still to send', async () => {
    const old = await synced(400)
    await db.inspections.put({
      id: uuidv7(),
      checkInId: old,
      state: 'waiting',
      origin: 'mine',
      savedAt: NOW,
    } satisfies LocalInspection)
    expect((await prune()).checkIns).toBe(0)
    expect((await ids()).has(old)).toBe(true)
  })
})

describe('pruning what no pull keeps up to date', () => {
  /** A check-in pulled from the server, `daysAgo` old, of `authorId`. */
  async function pulled(daysAgo: number, authorId: string) {
    const data = makeCheckIn({ authorId, occurredAt: ago(daysAgo) })
    await db.checkins.put({
      id: data.id,
      data,
      taskNumbers: data.taskNumbers,
      hash: 'h',
      state: 'verified',
      origin: 'server',
      savedAt: NOW,
    } satisfies LocalCheckIn)
    return data.id
  }
  const review = (checkInId: string, action: 'reviewed' | 'returned' = 'reviewed') =>
    db.reviews.put({ id: uuidv7(), checkInId, action, comment: '', reviewerName: '王', at: ago(1) })
  const inspection = (checkInId: string, state: LocalInspection['state']) =>
    db.inspections.put({ id: uuidv7(), checkInId, state, origin: 'server', savedAt: NOW } satisfies LocalInspection)

  it('lets go of recent check-ins of others an admin’s phone pulled before it was sent only its own', async () => {
    await db.syncMeta.put(newSyncMeta(ME))
    const own = await synced(10)
    const ownPulled = await pulled(10, ME)
    const others = await pulled(10, uuidv7())
    const othersReturned = await pulled(20, uuidv7())
    const shown = await pulled(10, uuidv7())
    await review(others)
    await review(othersReturned, 'returned')
    await inspection(others, 'verified')
    const report = await prune(new Set([shown]))
    expect(report).toMatchObject({ checkIns: 2, inspections: 1, reviews: 2 })
    expect(await ids()).toEqual(new Set([own, ownPulled, shown]))
    // Nobody known to own the phone's records: nothing is let go for its author.
    await db.syncMeta.clear()
    expect((await prune()).checkIns).toBe(0)
  })

  it('lets go of inspection records and reviews pulled for a check-in no longer on the phone', async () => {
    const here = await synced(10)
    const gone = uuidv7()
    await review(here)
    await review(gone, 'returned')
    await inspection(here, 'verified')
    await inspection(gone, 'verified')
    // What is still to send, or a draft, stays whatever its check-in.
    await inspection(gone, 'waiting')
    await inspection(gone, 'draft')
    const report = await prune()
    expect(report).toMatchObject({ checkIns: 0, inspections: 1, reviews: 1 })
    expect((await db.reviews.toArray()).map((r) => r.checkInId)).toEqual([here])
    expect((await db.inspections.toArray()).map((r) => [r.checkInId, r.state]).sort()).toEqual(
      [
        [here, 'verified'],
        [gone, 'waiting'],
        [gone, 'draft'],
      ].sort(),
    )
  })
})
