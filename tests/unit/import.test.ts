import 'fake-indexeddb/auto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ZhixunDB } from '../../src/db/db'
import type { SessionUser } from '../../src/kernel/users'
import { saveCheckIn, saveNote } from '../../src/db/records'
import { startSession } from '../../src/db/session'
import { exportRecords } from '../../src/records/export'
import { importRecords, ImportError } from '../../src/records/import'
import { dexieSyncStorage } from '../../src/db/syncStorage'
import { SyncEngine } from '../../src/sync/engine'
import { httpTransport } from '../../src/sync/transport'
import { confirmKey } from '../../src/api/keys'
import { registerSigningKey } from '../../src/signing/register'
import { makeCheckIn, photoBytes, sha256 } from '../helpers/records'
import { makeServer, signedIn, type TestServer } from '../helpers/server'
import { injectFetch } from '../helpers/sync'

/** An inspector's old phone broke with records unsent; the exported file goes onto a new phone. */
describe('importing an export file on another phone', () => {
  let s: TestServer
  let me: { user: SessionUser; cookie: string }
  let file: string
  let oldPhone: ZhixunDB
  const bytes = photoBytes(3, 50_000)
  const photo = {
    sha256: sha256(bytes),
    size: bytes.length,
    type: 'image/jpeg' as const,
    bytes: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer,
  }
  const engine = (db: ZhixunDB, cookie: string) =>
    new SyncEngine(dexieSyncStorage(db), httpTransport('', injectFetch(s.app, cookie)))
  const count = async (kind: string) =>
    (await s.store.db.selectFrom('records').select('id').where('kind', '=', kind).execute()).length

  beforeAll(async () => {
    s = await makeServer('sqlite')
    const signed = await signedIn(s, 'inspector')
    me = { user: signed.user as SessionUser, cookie: signed.cookie }
    oldPhone = new ZhixunDB(`old-${Math.random()}`)
    await startSession(oldPhone, me.user, '2099-01-01T00:00:00Z')
    // What signing in does: the old phone's signing key is registered as this inspector's.
    await registerSigningKey(oldPhone, { fetch: injectFetch(s.app, me.cookie) })
    await saveCheckIn(oldPhone, makeCheckIn({ authorId: me.user.id, venueName: '已上传的市场' }))
    await engine(oldPhone, me.cookie).sync()
    // Then offline: a check-in with a photo, one without, and a note.
    await saveCheckIn(
      oldPhone,
      makeCheckIn({
        authorId: me.user.id,
        venueName: '带照片的市场',
        photos: [{ sha256: photo.sha256, size: photo.size, type: photo.type }],
      }),
      [photo],
    )
    await saveCheckIn(oldPhone, makeCheckIn({ authorId: me.user.id, venueName: '第二个市场' }))
    await saveNote(oldPhone, { taskNumber: 28, text: '展会主办方答应提供名单。', authorId: me.user.id })
    file = JSON.stringify(await exportRecords(oldPhone))
  })
  afterAll(() => s.close())

  it('queues the unsent records with their photos, and they reach the server once, whichever phone sends first', async () => {
    const newPhone = new ZhixunDB(`new-${Math.random()}`)
    await startSession(newPhone, me.user, '2099-01-01T00:00:00Z')
    // The new phone asks the server whose key signed the file: this inspector's.
    const options = { confirmKey: (keyId: string) => confirmKey(keyId, { fetch: injectFetch(s.app, me.cookie) }) }
    expect(await importRecords(newPhone, file, me.user.id, options)).toEqual({
      queued: 3,
      alreadyHere: 0,
      onServer: 1,
      unsigned: 0,
      unconfirmed: 0,
    })
    expect((await newPhone.photos.get(photo.sha256))?.size).toBe(photo.size)
    // The same file again adds nothing.
    expect(await importRecords(newPhone, file, me.user.id, options)).toEqual({
      queued: 0,
      alreadyHere: 3,
      onServer: 1,
      unsigned: 0,
      unconfirmed: 0,
    })

    await engine(newPhone, me.cookie).sync()
    expect(await newPhone.outbox.count()).toBe(0)
    expect((await newPhone.checkins.toArray()).map((c) => c.state)).toEqual(['verified', 'verified', 'verified'])
    // The old phone's signatures travelled with the records, and the server verified them.
    const statuses = await s.store.db.selectFrom('records').select('signature_status').execute()
    expect(statuses.map((r) => r.signature_status)).toEqual(['valid', 'valid', 'valid', 'valid'])
    // The old phone turns out to work after all, and sends the same records: still one copy of each.
    await engine(oldPhone, me.cookie).sync()
    expect(await oldPhone.outbox.count()).toBe(0)
    expect(await count('checkin')).toBe(3)
    expect(await count('note')).toBe(1)
    const states = [...(await oldPhone.checkins.toArray()), ...(await oldPhone.notes.toArray())].map((r) => r.state)
    expect(states.every((x) => x === 'verified' || x === 'sent')).toBe(true)
    await newPhone.delete()
  })

  it('refuses a file it cannot trust, and changes nothing', async () => {
    const phone = new ZhixunDB(`bad-${Math.random()}`)
    await startSession(phone, me.user, '2099-01-01T00:00:00Z')
    const parsed = JSON.parse(file)
    const tampered = {
      ...parsed,
      photos: parsed.photos.map((p: { base64: string }) => ({
        ...p,
        base64: Buffer.from('not the photo').toString('base64'),
      })),
    }
    const broken = { ...parsed, checkIns: parsed.checkIns.map((c: object) => ({ ...c, venueName: '' })) }
    const cases: [string, string][] = [
      ['{not json', 'not_json'],
      [JSON.stringify({ format: 'something-else' }), 'not_export'],
      [JSON.stringify(broken), 'invalid'],
      [JSON.stringify(tampered), 'photo_damaged'],
    ]
    for (const [text, code] of cases) {
      await expect(importRecords(phone, text, me.user.id)).rejects.toMatchObject({ code })
    }
    await expect(importRecords(phone, file, '01900000-0000-7000-8000-00000000ffff')).rejects.toBeInstanceOf(ImportError)
    expect(await phone.outbox.count()).toBe(0)
    expect(await phone.checkins.count()).toBe(0)
    expect(await phone.photos.count()).toBe(0)
    await phone.delete()
  })
})
