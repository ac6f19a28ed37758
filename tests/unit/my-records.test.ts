import 'fake-indexeddb/auto'
import { Dexie, liveQuery } from 'dexie'
import { afterEach, beforeEach, describe, expect, it, onTestFinished, vi } from 'vitest'
import { myCheckInCountForTask, myCheckIns } from '../../src/db/checkins'
import { ZhixunDB, type LocalCheckIn } from '../../src/db/db'
import { myNotes } from '../../src/db/notes'
import { unsentSummary } from '../../src/db/outbox'
import { saveCheckIn, saveNote } from '../../src/db/records'
import { dexieSyncStorage } from '../../src/db/syncStorage'
import type { CheckIn } from '../../src/kernel/sync-schema'
import { uuidv7 } from '../../src/kernel/uuid'
import { makeCheckIn, makeNote } from '../helpers/records'

const ME = uuidv7()
const COLLEAGUE = uuidv7()

let db: ZhixunDB
beforeEach(async () => {
  db = new ZhixunDB(`my-records-${Math.random()}`)
  await db.session.put({
    key: 'me',
    user: { id: ME, username: 'li', displayName: '李', department: '省知识产权局', role: 'supervisor' },
    expiresAt: '2099-01-01T00:00:00Z',
  })
})
afterEach(async () => {
  await db.delete()
})

/** A check-in as the sync engine stores one it pulled from the server (made on another phone, or by someone else). */
function pulled(data: CheckIn, savedAt: number): LocalCheckIn {
  return { id: data.id, data, taskNumbers: data.taskNumbers, hash: 'h', state: 'verified', origin: 'server', savedAt }
}

const venues = (r: { checkIns: LocalCheckIn[] }) => r.checkIns.map((c) => c.data.venueName)

describe('my records', () => {
  it('lists the inspector’s own check-ins made here and on another phone, newest first, and no one else’s', async () => {
    await saveCheckIn(db, makeCheckIn({ authorId: ME, venueName: '这部手机', taskNumbers: [28] }))
    // Pulled by a sync, as the storage the sync engine writes through stores them.
    await dexieSyncStorage(db).applyPulled({ checkIns: [], notes: [] }, () => ({
      checkIns: [],
      newCheckIns: [
        pulled(makeCheckIn({ authorId: ME, venueName: '另一部手机', taskNumbers: [28, 11] }), Date.now() + 1),
        // A supervisor's phone also pulls the department's records: not theirs.
        pulled(makeCheckIn({ authorId: COLLEAGUE, venueName: '同事', taskNumbers: [28] }), Date.now() + 2),
      ],
      notes: [],
      pullCursor: 3,
    }))
    const all = await myCheckIns(db, { limit: 50 })
    expect(venues(all)).toEqual(['另一部手机', '这部手机'])
    expect(all.total).toBe(2)
    expect(all.checkIns.map((c) => c.origin)).toEqual(['server', 'mine'])
    const task28 = await myCheckIns(db, { task: 28, limit: 50 })
    expect(venues(task28)).toEqual(['另一部手机', '这部手机'])
    expect(task28.total).toBe(2)
    // The task page's count is the number its link lists.
    expect(await myCheckInCountForTask(db, 28)).toBe(2)
    expect(await myCheckInCountForTask(db, 11)).toBe((await myCheckIns(db, { task: 11, limit: 50 })).total)
    expect(await myCheckInCountForTask(db, 11)).toBe(1)
    expect(await myCheckInCountForTask(db, 12)).toBe(0)
  })

  it('reads a page at a time and counts them all', async () => {
    // A millisecond apart, so newest first is one order (saves in the same millisecond may come in any).
    let now = Date.parse('2026-11-20T08:00:00Z')
    const clock = vi.spyOn(Date, 'now').mockImplementation(() => ++now)
    onTestFinished(() => clock.mockRestore())
    for (let i = 0; i < 60; i++)
      await saveCheckIn(db, makeCheckIn({ authorId: ME, venueName: `市场 ${i}`, taskNumbers: [i % 3 ? 28 : 17] }))
    const first = await myCheckIns(db, { limit: 50 })
    expect(first.total).toBe(60)
    expect(first.checkIns).toHaveLength(50)
    expect(first.checkIns[0]!.data.venueName).toBe('市场 59')
    const of17 = await myCheckIns(db, { task: 17, limit: 5 })
    expect(of17.total).toBe(20)
    expect(venues(of17)).toEqual(['市场 57', '市场 54', '市场 51', '市场 48', '市场 45'])
    expect(await myCheckInCountForTask(db, 28)).toBe(40)
  })

  it('keeps the index by task right through updates: a state change, a re-put, a changed task list', async () => {
    const c = await saveCheckIn(db, makeCheckIn({ authorId: ME, taskNumbers: [5] }))
    await db.checkins.update(c.id, { state: 'sent' })
    await db.checkins.bulkUpdate([{ key: c.id, changes: { state: 'verified' } }])
    expect(await myCheckInCountForTask(db, 5)).toBe(1)
    await db.checkins.put({ ...c, taskNumbers: [6], data: { ...c.data, taskNumbers: [6] } })
    expect(await myCheckInCountForTask(db, 5)).toBe(0)
    expect(await myCheckInCountForTask(db, 6)).toBe(1)
    await db.checkins.delete(c.id)
    expect(await myCheckInCountForTask(db, 6)).toBe(0)
  })

  it('lists the last user’s records after they signed out, and with no user known, those made on this phone', async () => {
    await saveCheckIn(db, makeCheckIn({ authorId: ME, venueName: '我的' }))
    await db.checkins.put(pulled(makeCheckIn({ authorId: COLLEAGUE, venueName: '同事' }), Date.now() + 1))
    await db.session.clear()
    await db.syncMeta.update('sync', { userId: ME })
    expect(venues(await myCheckIns(db, { limit: 50 }))).toEqual(['我的'])
    await db.syncMeta.update('sync', { userId: undefined })
    expect(venues(await myCheckIns(db, { limit: 50 }))).toEqual(['我的'])
    expect(await myCheckInCountForTask(db, 28)).toBe(1)
  })

  it('lists the inspector’s own notes from another phone too, not a colleague’s', async () => {
    await saveNote(db, { taskNumber: 28, text: '这部手机的笔记', authorId: ME })
    const mineElsewhere = makeNote({ authorId: ME, text: '另一部手机的笔记' })
    const theirs = makeNote({ authorId: COLLEAGUE, text: '同事的笔记' })
    for (const [data, savedAt] of [
      [mineElsewhere, Date.now() + 1],
      [theirs, Date.now() + 2],
    ] as const)
      await db.notes.put({
        id: data.id,
        taskNumber: data.taskNumber,
        data,
        hash: 'h',
        state: 'verified',
        serverVersion: 1,
        deleted: 0,
        origin: 'server',
        savedAt,
      })
    expect((await myNotes(db)).map((n) => n.data.text)).toEqual(['另一部手机的笔记', '这部手机的笔记'])
  })
})

describe('following changes (what the records and task pages show, through useLiveQuery)', () => {
  it('updates the list, its count, the task count and the notes when a record is saved or pulled', async () => {
    const list: number[] = []
    const count: number[] = []
    const notes: number[] = []
    const subscriptions = [
      liveQuery(() => myCheckIns(db, { task: 28, limit: 50 })).subscribe((v) => list.push(v.checkIns.length)),
      liveQuery(() => myCheckInCountForTask(db, 28)).subscribe((v) => count.push(v)),
      liveQuery(() => myNotes(db)).subscribe((v) => notes.push(v.length)),
    ]
    onTestFinished(() => subscriptions.forEach((s) => s.unsubscribe()))
    await expect.poll(() => [list.at(-1), count.at(-1), notes.at(-1)]).toEqual([0, 0, 0])
    await saveCheckIn(db, makeCheckIn({ authorId: ME, taskNumbers: [28] }))
    await expect.poll(() => [list.at(-1), count.at(-1)]).toEqual([1, 1])
    await db.checkins.put(pulled(makeCheckIn({ authorId: ME, taskNumbers: [28] }), Date.now() + 1))
    await expect.poll(() => [list.at(-1), count.at(-1)]).toEqual([2, 2])
    await saveNote(db, { taskNumber: 28, text: '新笔记', authorId: ME })
    await expect.poll(() => notes.at(-1)).toBe(1)
  })
})

describe('how many records are unsent', () => {
  it('counts each record once, however many edits of a note are queued behind each other', async () => {
    await saveCheckIn(db, makeCheckIn({ authorId: ME }))
    await saveCheckIn(db, makeCheckIn({ authorId: ME }))
    const note = await saveNote(db, { taskNumber: 28, text: '一', authorId: ME })
    await saveNote(db, { id: note.id, taskNumber: 28, text: '二', authorId: ME })
    await saveNote(db, { taskNumber: 29, text: '另一条', authorId: ME })
    expect(await db.outbox.count()).toBe(5)
    expect(await unsentSummary(db)).toMatchObject({ count: 4 })
  })
})

describe('upgrading a phone from version 8 of the database', () => {
  it('indexes the check-ins it already holds, so my records and the task counts include them', async () => {
    const name = `upgrade-9-${Math.random()}`
    const old = new Dexie(name)
    old.version(8).stores({
      meta: 'key',
      sections: 'id',
      tasks: 'number, sectionId',
      departments: 'name',
      bookmarks: 'taskNumber, createdAt',
      checkins: 'id, savedAt, state, *taskNumbers, data.correctionOf',
      notes: 'id, taskNumber, state, savedAt',
      outbox: '++seq, recordId',
      photos: 'sha256, state',
      drafts: 'key',
      syncMeta: 'key',
      session: 'key',
      campaigns: 'id, startDate',
      parked: 'userId',
      signingKeys: 'keyId, clientId',
    })
    await old.table('syncMeta').put({ key: 'sync', clientId: 'old-client-0001', pullCursor: 0, nextSeq: 4, userId: ME })
    // Queued before the upgrade: a check-in, and a note edited twice.
    const queued = (name: string, recordId: string, wireSeq: number) => ({
      name,
      args: {},
      recordId,
      wireSeq,
      queuedAt: wireSeq,
    })
    await old
      .table('outbox')
      .bulkAdd([queued('note.put', 'n1', 1), queued('checkin.create', 'c1', 2), queued('note.put', 'n1', 3)])
    const made = makeCheckIn({ authorId: ME, venueName: '旧的', taskNumbers: [28, 3] })
    const fromElsewhere = makeCheckIn({ authorId: ME, venueName: '旧的，另一部手机', taskNumbers: [28] })
    await old.table('checkins').bulkPut([
      {
        id: made.id,
        data: made,
        taskNumbers: made.taskNumbers,
        hash: 'a',
        state: 'waiting',
        origin: 'mine',
        savedAt: 1,
      },
      pulled(fromElsewhere, 2),
    ])
    old.close()

    const upgraded = new ZhixunDB(name)
    expect(venues(await myCheckIns(upgraded, { limit: 50 }))).toEqual(['旧的，另一部手机', '旧的'])
    expect(await myCheckInCountForTask(upgraded, 28)).toBe(2)
    expect(await myCheckInCountForTask(upgraded, 3)).toBe(1)
    expect(await unsentSummary(upgraded)).toEqual({ count: 2, oldestQueuedAt: 1 })
    // The rows themselves are as they were, apart from the index keys.
    expect((await upgraded.checkins.get(made.id))?.data).toEqual(made)
    await upgraded.delete()
  })
})
