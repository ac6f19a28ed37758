import 'fake-indexeddb/auto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ZhixunDB } from '../../src/db/db'
import { saveCheckIn } from '../../src/db/records'
import { startSession } from '../../src/db/session'
import { dexieSyncStorage } from '../../src/db/syncStorage'
import { canonicalJson, recordHash, sha256Hex } from '../../src/kernel/canonical'
import type { Change, CheckIn, PushMutation } from '../../src/kernel/sync-schema'
import type { SessionUser } from '../../src/kernel/users'
import { SyncEngine } from '../../src/sync/engine'
import { httpTransport, type SyncTransport } from '../../src/sync/transport'
import { MemorySyncStorage } from '../helpers/memory-storage'
import { makeCheckIn } from '../helpers/records'
import { makeServer, signedIn, describeStores, type TestServer } from '../helpers/server'
import { injectFetch } from '../helpers/sync'

/**
 * A server that takes every check-in and, when asked, stores something else than it was sent: what a
 * bug, a bad restore or someone editing the database would leave.
 */
function alteringServer() {
  let version = 0
  const records = new Map<string, Change>()
  const alter = { next: (c: CheckIn): CheckIn => c }
  const transport: SyncTransport = {
    startPhoto: async () => ({ offset: 0, complete: true }),
    sendPhotoChunk: async () => ({ offset: 0, complete: true }),
    async push(req) {
      const results = []
      for (const m of req.mutations as PushMutation[]) {
        const data = alter.next(m.args as CheckIn)
        records.set(data.id, {
          version: ++version,
          kind: 'checkin',
          id: data.id,
          deleted: false,
          hash: await recordHash(data),
          data,
        })
        results.push({ seq: m.seq, status: 'applied' as const })
      }
      return { lastProcessedSeq: req.mutations.at(-1)?.seq ?? 0, results }
    },
    async pull(cursor) {
      const changes = [...records.values()].filter((c) => c.version > cursor).sort((a, b) => a.version - b.version)
      return { changes, cursor: changes.at(-1)?.version ?? cursor, more: false }
    },
  }
  /** The server's copy changed afterwards, under a new version. */
  async function rewrite(id: string, data: CheckIn) {
    records.set(id, { version: ++version, kind: 'checkin', id, deleted: false, hash: await recordHash(data), data })
  }
  return { transport, alter, rewrite, records }
}

describe('a check-in whose copy on the server is not the one sent', () => {
  it('shows mismatch with the server’s hash, keeps this phone’s copy, and turns verified once the copies agree', async () => {
    const storage = new MemorySyncStorage()
    const server = alteringServer()
    const engine = new SyncEngine(storage, server.transport)
    const checkIn = makeCheckIn({ itemsSeized: 3 })
    await storage.saveCheckIn(checkIn)
    server.alter.next = (c) => ({ ...c, itemsSeized: 300 })
    await engine.sync()

    const mine = storage.checkIns.get(checkIn.id)!
    const serverHash = server.records.get(checkIn.id)!.hash!
    expect(serverHash).not.toBe(mine.hash)
    expect(mine).toMatchObject({ state: 'mismatch', code: 'mismatch', detail: serverHash })
    expect(mine.reason).toContain(serverHash)
    expect(mine.data.itemsSeized).toBe(3)
    // It stays so, sync after sync: never "sent" in silence, never overwritten.
    await engine.sync()
    expect(storage.checkIns.get(checkIn.id)!.state).toBe('mismatch')

    // Put right on the server: the copies agree again.
    await server.rewrite(checkIn.id, checkIn)
    await engine.sync()
    const fixed = storage.checkIns.get(checkIn.id)!
    expect(fixed.state).toBe('verified')
    expect([fixed.code, fixed.detail, fixed.reason]).toEqual([undefined, undefined, undefined])
  })

  it('turns a verified check-in to mismatch when the server’s copy changes later', async () => {
    const storage = new MemorySyncStorage()
    const server = alteringServer()
    const engine = new SyncEngine(storage, server.transport)
    const checkIn = makeCheckIn()
    await storage.saveCheckIn(checkIn)
    await engine.sync()
    expect(storage.checkIns.get(checkIn.id)!.state).toBe('verified')
    await server.rewrite(checkIn.id, { ...checkIn, venueName: '别处' })
    await engine.sync()
    expect(storage.checkIns.get(checkIn.id)!.state).toBe('mismatch')
  })

  it('leaves a check-in the server has not taken as it is, and someone else’s as the server has it', async () => {
    const storage = new MemorySyncStorage()
    const server = alteringServer()
    const engine = new SyncEngine(storage, server.transport)
    const theirs = makeCheckIn()
    await server.rewrite(theirs.id, theirs)
    await engine.sync()
    await server.rewrite(theirs.id, { ...theirs, note: 'changed' })
    await engine.sync()
    // Pulled, not made here: nothing of this phone's to compare with.
    expect(storage.checkIns.get(theirs.id)).toMatchObject({ origin: 'server', state: 'verified' })
  })
})

describeStores('mismatch against the real server on %s', (kind) => {
  let s: TestServer
  let me: { user: SessionUser; cookie: string }
  beforeAll(async () => {
    s = await makeServer(kind)
    const signed = await signedIn(s)
    me = { user: signed.user as SessionUser, cookie: signed.cookie }
  })
  afterAll(() => s.close())

  it('shows mismatch when the server stores something else than the phone sent', async () => {
    const phone = new ZhixunDB(`mismatch-${kind}-${Math.random()}`)
    await startSession(phone, me.user, '2099-01-01T00:00:00Z')
    const engine = new SyncEngine(dexieSyncStorage(phone), httpTransport('', injectFetch(s.app, me.cookie)))
    const checkIn = makeCheckIn({ authorId: me.user.id, itemsSeized: 3 })
    await saveCheckIn(phone, checkIn)
    await engine.sync()
    expect((await phone.checkins.get(checkIn.id))?.state).toBe('verified')

    // Someone with the database's password makes it 300, as a new version, hash and all.
    const data = canonicalJson({ ...checkIn, itemsSeized: 300 })
    const hash = await sha256Hex(data)
    await s.store.db.transaction().execute(async (tx) => {
      const { value } = await tx
        .updateTable('counters')
        .set((eb) => ({ value: eb('value', '+', 1) }))
        .where('name', '=', 'version')
        .returning('value')
        .executeTakeFirstOrThrow()
      await tx.updateTable('records').set({ data, hash, version: value }).where('id', '=', checkIn.id).execute()
    })
    await engine.sync()
    const row = await phone.checkins.get(checkIn.id)
    expect(row).toMatchObject({ state: 'mismatch', code: 'mismatch', detail: hash })
    expect(row!.data.itemsSeized).toBe(3)
    await phone.delete()
  })
})
