import 'fake-indexeddb/auto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ZhixunDB } from '../../src/db/db'
import type { SessionUser } from '../../src/kernel/users'
import { saveCheckIn } from '../../src/db/records'
import { deleteParked, endSession, markExported, startSession, unexportedCount } from '../../src/db/session'
import { dexieSyncStorage } from '../../src/db/syncStorage'
import { SyncEngine } from '../../src/sync/engine'
import { httpTransport } from '../../src/sync/transport'
import { makeCheckIn } from '../helpers/records'
import { makeServer, signedIn, type TestServer } from '../helpers/server'
import { injectFetch } from '../helpers/sync'

/** One phone, two inspectors one after the other, against the real server. */
describe('a phone that changes hands', () => {
  let s: TestServer
  beforeAll(async () => {
    s = await makeServer('sqlite')
  })
  afterAll(() => s.close())

  it('numbers the next user’s records from 1 under their new client id, so the server takes them', async () => {
    const a = await signedIn(s, 'inspector')
    const b = await signedIn(s, 'inspector')
    const db = new ZhixunDB(`shared-${Math.random()}`)
    const asUser = (u: { user: SessionUser | { id: string } }) => u.user as SessionUser
    const engineFor = (cookie: string) =>
      new SyncEngine(dexieSyncStorage(db), httpTransport('', injectFetch(s.app, cookie)))

    await startSession(db, asUser(a), '2099-01-01T00:00:00Z')
    for (let i = 0; i < 3; i++) await saveCheckIn(db, makeCheckIn({ authorId: a.user.id }))
    await engineFor(a.cookie).sync()
    expect(await db.outbox.count()).toBe(0)
    await endSession(db)

    await startSession(db, asUser(b), '2099-01-01T00:00:00Z')
    const mine = makeCheckIn({ authorId: b.user.id })
    await saveCheckIn(db, mine)
    expect((await db.outbox.toArray()).map((e) => e.wireSeq)).toEqual([1])
    await engineFor(b.cookie).sync()
    expect(await db.outbox.count()).toBe(0)
    expect((await db.checkins.get(mine.id))?.state).toBe('verified')
    await db.delete()
  })
})

describe('upgrading a phone from before per-client sequence numbers', () => {
  it('keeps each queued entry’s number and carries on after the highest one ever handed out', async () => {
    const { Dexie } = await import('dexie')
    const name = `upgrade-${Math.random()}`
    // The database as version 4 of the app left it: entries 1–3 sent and gone, 4 and 5 waiting.
    const old = new Dexie(name)
    old.version(4).stores({
      meta: 'key',
      sections: 'id',
      tasks: 'number, sectionId',
      departments: 'name',
      bookmarks: 'taskNumber, createdAt',
      checkins: 'id, savedAt, state, *taskNumbers',
      notes: 'id, taskNumber, state, savedAt',
      outbox: '++seq, recordId',
      photos: 'sha256, state',
      drafts: 'key',
      syncMeta: 'key',
      session: 'key',
      campaigns: 'id, startDate',
    })
    await old.table('syncMeta').put({ key: 'sync', clientId: 'old-client-0001', pullCursor: 0 })
    for (let i = 1; i <= 5; i++)
      await old.table('outbox').add({ name: 'checkin.create', args: {}, recordId: `r${i}`, queuedAt: i })
    await old.table('outbox').bulkDelete([1, 2, 3])
    old.close()

    const db = new ZhixunDB(name)
    expect((await db.outbox.toArray()).map((e) => [e.seq, e.wireSeq])).toEqual([
      [4, 4],
      [5, 5],
    ])
    expect((await db.syncMeta.get('sync'))?.nextSeq).toBe(6)
    await saveCheckIn(db, makeCheckIn())
    expect((await db.outbox.toArray()).map((e) => e.wireSeq)).toEqual([4, 5, 6])
    await db.delete()
  })
})

describe('handing the phone on with unsent records that were exported', () => {
  let s: TestServer
  beforeAll(async () => {
    s = await makeServer('sqlite')
  })
  afterAll(() => s.close())

  it('parks them for their author, lets the next user work, and sends them exactly once when the author is back', async () => {
    const a = await signedIn(s, 'inspector')
    const b = await signedIn(s, 'inspector')
    const db = new ZhixunDB(`handover-${Math.random()}`)
    const engineFor = (cookie: string) =>
      new SyncEngine(dexieSyncStorage(db), httpTransport('', injectFetch(s.app, cookie)))
    const userA = a.user as SessionUser
    const userB = b.user as SessionUser

    await startSession(db, userA, '2099-01-01T00:00:00Z')
    await saveCheckIn(db, makeCheckIn({ authorId: a.user.id }))
    await engineFor(a.cookie).sync()
    // Offline now: two more check-ins stay on the phone.
    const unsent = [makeCheckIn({ authorId: a.user.id }), makeCheckIn({ authorId: a.user.id })]
    for (const c of unsent) await saveCheckIn(db, c)
    await expect(endSession(db)).rejects.toMatchObject({ count: 2 })
    await expect(startSession(db, userB, '2099-01-01T00:00:00Z')).rejects.toMatchObject({ count: 2 })

    // Exported: signing out is allowed and the records stay, queued.
    await markExported(db, (await db.outbox.orderBy('seq').last())!.seq!)
    expect(await endSession(db)).toEqual({ keptUnsent: 2 })
    expect(await db.outbox.count()).toBe(2)
    // A record made after the export would hold the phone again; none was.
    expect(await unexportedCount(db)).toBe(0)

    // B signs in: A's records are set aside; B sees none of them and starts a client of their own.
    await startSession(db, userB, '2099-01-01T00:00:00Z')
    expect(await db.checkins.count()).toBe(0)
    expect(await db.outbox.count()).toBe(0)
    expect((await db.parked.get(a.user.id))?.checkins.map((c) => c.id).sort()).toEqual(unsent.map((c) => c.id).sort())
    const mine = makeCheckIn({ authorId: b.user.id })
    await saveCheckIn(db, mine)
    await engineFor(b.cookie).sync()
    expect((await db.checkins.get(mine.id))?.state).toBe('verified')
    await endSession(db)

    // A is back: the parked records return with their numbers and go up exactly once.
    await startSession(db, userA, '2099-01-01T00:00:00Z')
    expect(await db.parked.count()).toBe(0)
    expect((await db.outbox.toArray()).map((e) => e.wireSeq)).toEqual([2, 3])
    // They are still in the file they were exported to: A may sign out again without a new export.
    expect(await unexportedCount(db)).toBe(0)
    await engineFor(a.cookie).sync()
    expect(await db.outbox.count()).toBe(0)
    for (const c of unsent) expect((await db.checkins.get(c.id))?.state).toBe('verified')
    const onServer = await s.store.db.selectFrom('records').select('id').where('author_id', '=', a.user.id).execute()
    expect(onServer).toHaveLength(3)
    // And A's synced check-in came back from the server too.
    expect(await db.checkins.count()).toBe(3)
    await db.delete()
  })

  it('deletes parked records only when asked', async () => {
    const db = new ZhixunDB(`parked-${Math.random()}`)
    const wang = {
      id: '01900000-0000-7000-8000-000000000011',
      username: 'wang',
      displayName: '王',
      department: '省知识产权局',
      role: 'inspector',
    } as const
    const li = { ...wang, id: '01900000-0000-7000-8000-000000000012', username: 'li', displayName: '李' }
    await startSession(db, wang, '2099-01-01T00:00:00Z')
    await saveCheckIn(db, makeCheckIn({ authorId: wang.id }))
    await markExported(db, (await db.outbox.orderBy('seq').last())!.seq!)
    await startSession(db, li, '2099-01-01T00:00:00Z')
    expect((await db.parked.get(wang.id))?.displayName).toBe('王')
    await deleteParked(db, wang.id)
    expect(await db.parked.count()).toBe(0)
    await db.delete()
  })
})
