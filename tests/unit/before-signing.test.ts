import 'fake-indexeddb/auto'
import { Dexie } from 'dexie'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { confirmKey } from '../../src/api/keys'
import { ZhixunDB } from '../../src/db/db'
import { saveCheckIn } from '../../src/db/records'
import { startSession } from '../../src/db/session'
import { dexieSyncStorage } from '../../src/db/syncStorage'
import type { SessionUser } from '../../src/kernel/users'
import { importRecords } from '../../src/records/import'
import { registerSigningKey } from '../../src/signing/register'
import { SyncEngine } from '../../src/sync/engine'
import { httpTransport } from '../../src/sync/transport'
import exportBeforeSigning from '../fixtures/export-before-signing.json'
import phoneBeforeSigning from '../fixtures/phone-before-signing.json'
import { makeCheckIn } from '../helpers/records'
import { makeServer, signedIn, type TestServer } from '../helpers/server'
import { injectFetch } from '../helpers/sync'

// The fixtures were made by the app as it was before phones signed (tests/fixtures/README.md): an export file,
// and a phone's IndexedDB with three records queued. Neither is ever refused under the new rule.

/** The fixtures' inspector. */
const AUTHOR = exportBeforeSigning.checkIns[0]!.authorId

/** IndexedDB as that app version left it (version 7 of src/db/db.ts), with the fixture's rows. */
async function phoneAsItWas(name: string): Promise<void> {
  const old = new Dexie(name)
  old.version(7).stores({
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
  })
  const f = phoneBeforeSigning
  await old.table('syncMeta').bulkPut(f.syncMeta)
  await old.table('session').bulkPut(f.session)
  await old.table('checkins').bulkPut(f.checkins)
  await old.table('notes').bulkPut(f.notes)
  await old.table('outbox').bulkPut(f.outbox)
  await old
    .table('photos')
    .bulkPut(f.photos.map((p) => ({ ...p, bytes: new Uint8Array(Buffer.from(p.bytes, 'base64')).buffer })))
  old.close()
}

describe('files and queues from before phones signed', () => {
  let s: TestServer
  let cookie: string
  const fetchAs = () => injectFetch(s.app, cookie)
  const sync = (db: ZhixunDB) => new SyncEngine(dexieSyncStorage(db), httpTransport('', fetchAs())).sync()
  const serverStatuses = async (ids: string[]) =>
    (await s.store.db.selectFrom('records').select(['id', 'signature_status']).where('id', 'in', ids).execute())
      .map((r) => r.signature_status)
      .sort()

  // A server each: both fixtures hold the same records, and each test sends them.
  beforeEach(async () => {
    s = await makeServer('sqlite')
    // An account whose id is the fixtures' author, signed in.
    const signed = await signedIn(s)
    await s.store.db.updateTable('users').set({ id: AUTHOR }).where('id', '=', signed.user.id).execute()
    await s.store.db.updateTable('sessions').set({ user_id: AUTHOR }).where('user_id', '=', signed.user.id).execute()
    cookie = signed.cookie
  })
  afterEach(() => s.close())

  it('imports an export file of the old app, its records marked unsigned, and the server takes them, flagged unsigned', async () => {
    const user: SessionUser = { ...phoneBeforeSigning.session[0]!.user, role: 'inspector' }
    const phone = new ZhixunDB(`before-import-${Math.random()}`)
    await startSession(phone, user, '2099-01-01T00:00:00Z')
    const options = { confirmKey: (keyId: string) => confirmKey(keyId, { fetch: fetchAs() }) }
    expect(await importRecords(phone, JSON.stringify(exportBeforeSigning), AUTHOR, options)).toEqual({
      queued: 3,
      alreadyHere: 0,
      onServer: 0,
      unsigned: 3,
      unconfirmed: 0,
    })
    const rows = [...(await phone.checkins.toArray()), ...(await phone.notes.toArray())]
    expect(rows.map((r) => r.signature)).toEqual([undefined, undefined, undefined])
    await sync(phone)
    expect(await phone.outbox.count()).toBe(0)
    const after = [...(await phone.checkins.toArray()), ...(await phone.notes.toArray())]
    expect(after.map((r) => [r.state, r.signature])).toEqual([
      ['verified', undefined],
      ['verified', undefined],
      ['verified', undefined],
    ])
    expect(await serverStatuses(after.map((r) => r.id))).toEqual(['unsigned', 'unsigned', 'unsigned'])
    await phone.delete()
  })

  it('keeps the queue of an old phone through the upgrade and sends it unsigned; what is saved after is signed', async () => {
    const name = `before-queue-${Math.random()}`
    await phoneAsItWas(name)
    const phone = new ZhixunDB(name)
    expect(await phone.outbox.count()).toBe(3)
    expect((await phone.outbox.toArray()).map((e) => e.signature)).toEqual([undefined, undefined, undefined])
    // What the app does before each sync: the phone's key, made now for its existing client id, is registered.
    await registerSigningKey(phone, { fetch: fetchAs() })
    const fresh = makeCheckIn({ authorId: AUTHOR, venueName: '升级后保存的市场' })
    await saveCheckIn(phone, fresh)
    await sync(phone)
    expect(await phone.outbox.count()).toBe(0)
    const old = phoneBeforeSigning.outbox.map((e) => e.recordId)
    expect(await serverStatuses(old)).toEqual(['unsigned', 'unsigned', 'unsigned'])
    expect(await serverStatuses([fresh.id])).toEqual(['valid'])
    expect((await phone.checkins.get(fresh.id))?.serverSignature).toBe('valid')
    await phone.delete()
  })
})
