import 'fake-indexeddb/auto'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ZhixunDB } from '../../src/db/db'
import { deleteNote, saveCheckIn, saveNote, unsentSummary } from '../../src/db/records'
import { dexieSyncStorage } from '../../src/db/syncStorage'
import { SyncEngine } from '../../src/sync/engine'
import { httpTransport } from '../../src/sync/transport'
import type { Change } from '../../src/kernel/sync-schema'
import type { CheckIn } from '../../src/kernel/sync-schema'
import { makeCheckIn as anyCheckIn, photoBytes, sha256 } from '../helpers/records'
import { makeServer, signedIn, type TestServer } from '../helpers/server'
import { faultyFetch, injectFetch, makePhone, type Fault } from '../helpers/sync'

let s: TestServer
let me: { user: { id: string }; cookie: string }
const makeCheckIn = (o: Partial<CheckIn> = {}) => anyCheckIn({ authorId: me.user.id, ...o })
// A server of each test's own: what one test pushed, another does not pull.
beforeEach(async () => {
  s = await makeServer('sqlite')
  me = await signedIn(s)
})
afterEach(() => s.close())

async function serverChanges(): Promise<Change[]> {
  const out: Change[] = []
  let cursor = 0
  for (;;) {
    const page = (
      await s.app.inject({ url: `/api/sync/pull?cursor=${cursor}&limit=500`, headers: { cookie: me.cookie } })
    ).json()
    out.push(...page.changes)
    cursor = page.cursor
    if (!page.more) return out
  }
}
const onServer = async (id: string) => (await serverChanges()).filter((c) => c.id === id)

function photo(seed: number) {
  const bytes = photoBytes(seed, 50_000)
  return {
    sha256: sha256(bytes),
    size: bytes.length,
    type: 'image/jpeg' as const,
    bytes: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer,
  }
}

describe('the sync engine against the real server', () => {
  it('sends a check-in with its photo, then sees it come back verified', async () => {
    const phone = makePhone(s.app, me.cookie)
    const p = photo(10)
    const checkIn = makeCheckIn({ photos: [{ sha256: p.sha256, size: p.size, type: p.type }] })
    await saveCheckIn(phone.db, checkIn, [p])
    expect(await unsentSummary(phone.db)).toMatchObject({ count: 1 })
    const report = await phone.engine.sync()
    expect(report).toMatchObject({ pushed: 1, photosUploaded: 1 })
    expect((await phone.db.checkins.get(checkIn.id))?.state).toBe('verified')
    expect((await phone.db.photos.get(p.sha256))?.state).toBe('verified')
    expect(await unsentSummary(phone.db)).toEqual({ count: 0, oldestQueuedAt: undefined })
    const served = await s.app.inject({ url: `/api/photos/${p.sha256}`, headers: { cookie: me.cookie } })
    expect(sha256(served.rawPayload)).toBe(p.sha256)
    expect(await onServer(checkIn.id)).toHaveLength(1)
  })

  it.each<[string, Fault]>([
    ['the server commits but the answer is lost', 'drop-answer'],
    ['the request never arrives', 'drop-request'],
    ['a 500 comes back', 'http-500'],
    ['the request times out', 'timeout'],
  ])('ends with exactly one copy when %s', async (_label, fault) => {
    let failing = true
    const phone = makePhone(s.app, me.cookie, (_n, url) => (failing && url.includes('/push') ? fault : 'none'))
    const checkIn = makeCheckIn()
    await saveCheckIn(phone.db, checkIn)
    await expect(phone.engine.sync()).rejects.toThrow()
    expect((await phone.db.checkins.get(checkIn.id))?.state).toBe('waiting')
    expect(await phone.db.outbox.count()).toBe(1)
    failing = false
    await phone.engine.sync()
    expect((await phone.db.checkins.get(checkIn.id))?.state).toBe('verified')
    expect(await onServer(checkIn.id)).toHaveLength(1)
  })

  it('gets through when every third request fails', async () => {
    const phone = makePhone(s.app, me.cookie, (n) => (n % 3 === 0 ? 'drop-answer' : 'none'))
    const ids = []
    for (let i = 0; i < 12; i++) {
      const c = makeCheckIn({ photos: [] })
      ids.push(c.id)
      await saveCheckIn(phone.db, c)
    }
    const p = photo(11)
    const withPhoto = makeCheckIn({ photos: [{ sha256: p.sha256, size: p.size, type: p.type }] })
    ids.push(withPhoto.id)
    await saveCheckIn(phone.db, withPhoto, [p])
    for (let attempt = 0; attempt < 30 && (await phone.db.outbox.count()) > 0; attempt++)
      await phone.engine.sync().catch(() => undefined)
    await phone.engine.sync().catch(() => undefined)
    expect(await phone.db.outbox.count()).toBe(0)
    for (const id of ids) expect(await onServer(id), id).toHaveLength(1)
  })

  it('survives a reload between any two steps', async () => {
    // Crash the phone (a new database handle and engine, as after a reload) at each request in turn.
    for (let crashAt = 1; crashAt <= 8; crashAt++) {
      const name = `reload-${crashAt}-${Math.random()}`
      const first = makePhone(
        s.app,
        me.cookie,
        (n) => (n === crashAt ? 'drop-answer' : n > crashAt ? 'drop-request' : 'none'),
        name,
      )
      const p = photo(100 + crashAt)
      const checkIn = makeCheckIn({ photos: [{ sha256: p.sha256, size: p.size, type: p.type }] })
      await saveCheckIn(first.db, checkIn, [p])
      await first.engine.sync().catch(() => undefined)
      first.db.close()
      const db = new ZhixunDB(name)
      await new SyncEngine(dexieSyncStorage(db), httpTransport('', injectFetch(s.app, me.cookie)), {
        chunkBytes: 16_000,
      }).sync()
      expect((await db.checkins.get(checkIn.id))?.state, `crash at request ${crashAt}`).toBe('verified')
      expect(await onServer(checkIn.id), `crash at request ${crashAt}`).toHaveLength(1)
      db.close()
    }
  })

  it('marks a poison record rejected with the reason, and the records after it still sync', async () => {
    const phone = makePhone(s.app, me.cookie)
    const poison = makeCheckIn({ taskNumbers: [999] })
    const good = makeCheckIn()
    await saveCheckIn(phone.db, poison)
    await saveCheckIn(phone.db, good)
    await phone.engine.sync()
    expect(await phone.db.checkins.get(poison.id)).toMatchObject({ state: 'rejected', reason: 'unknown task 999' })
    expect((await phone.db.checkins.get(good.id))?.state).toBe('verified')
    expect(await phone.db.outbox.count()).toBe(0)
  })

  it('keeps an offline edit made against a delete, on both phones of one inspector', async () => {
    const a = makePhone(s.app, me.cookie)
    const b = makePhone(s.app, me.cookie)
    const note = await saveNote(a.db, { taskNumber: 37, text: '清源行动线索：某批发市场。', authorId: me.user.id })
    await a.engine.sync()
    await b.engine.sync()
    expect((await b.db.notes.get(note.id))?.data.text).toBe('清源行动线索：某批发市场。')
    // A deletes it; meanwhile B, offline, adds to it.
    await deleteNote(a.db, note.id)
    await saveNote(b.db, {
      id: note.id,
      taskNumber: 37,
      text: '清源行动线索：某批发市场，周三到货。',
      authorId: me.user.id,
    })
    await a.engine.sync()
    await b.engine.sync()
    await a.engine.sync()
    const bCopy = (await b.db.notes.toArray()).find((n) => n.data.conflictOf === note.id)
    expect(bCopy).toMatchObject({ state: 'verified', origin: 'mine', reason: 'deleted on the server' })
    expect(bCopy!.data.text).toBe('清源行动线索：某批发市场，周三到货。')
    expect((await b.db.notes.get(note.id))?.deleted).toBe(1)
    expect((await a.db.notes.get(bCopy!.id))?.data.text).toBe('清源行动线索：某批发市场，周三到货。')
  })

  it('stops, touching nothing, when the session has ended, and marks it so', async () => {
    const phone = makePhone(s.app, 'zhixun_session=not-a-session')
    await phone.db.session.put({
      key: 'me',
      user: { id: me.user.id, username: 'x', displayName: 'x', department: '省知识产权局', role: 'inspector' },
      expiresAt: '2099-01-01T00:00:00Z',
    })
    const checkIn = makeCheckIn()
    await saveCheckIn(phone.db, checkIn)
    await expect(phone.engine.sync()).rejects.toMatchObject({ name: 'SyncFailure', code: 'signed_out' })
    expect((await phone.db.session.get('me'))?.expired).toBe(true)
    expect((await phone.db.checkins.get(checkIn.id))?.state).toBe('waiting')
    expect(await phone.db.outbox.count()).toBe(1)
  })

  it('pulls in pages and writes the cursor with the rows', async () => {
    const writer = makePhone(s.app, me.cookie)
    for (let i = 0; i < 30; i++) await saveCheckIn(writer.db, makeCheckIn())
    await writer.engine.sync()
    const reader = new ZhixunDB(`reader-${Math.random()}`)
    let pulls = 0
    const fetchFn = faultyFetch(injectFetch(s.app, me.cookie), (_n, url) =>
      url.includes('/pull') && ++pulls === 3 ? 'drop-request' : 'none',
    )
    const engine = new SyncEngine(dexieSyncStorage(reader), httpTransport('', fetchFn), { pullPage: 7 })
    await expect(engine.sync()).rejects.toThrow()
    const cursorAfterFailure = (await reader.syncMeta.get('sync'))!.pullCursor
    expect(await reader.checkins.count()).toBeGreaterThanOrEqual(14)
    const latest = Math.max(...(await reader.checkins.toArray()).map((c) => c.serverVersion!))
    expect(cursorAfterFailure).toBe(latest)
    await engine.sync()
    expect(await reader.checkins.count()).toBe((await serverChanges()).filter((c) => c.kind === 'checkin').length)
  })
})
