import 'fake-indexeddb/auto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { confirmKey } from '../../src/api/keys'
import { ZhixunDB } from '../../src/db/db'
import { saveCheckIn, saveNote } from '../../src/db/records'
import { startSession } from '../../src/db/session'
import { dexieSyncStorage } from '../../src/db/syncStorage'
import { recordHash } from '../../src/kernel/canonical'
import {
  generateSigningKey,
  manifestSigningText,
  recordSigningText,
  signText,
  verifyText,
  type SignedKind,
} from '../../src/kernel/signature'
import type { SessionUser } from '../../src/kernel/users'
import {
  ENTRY_META_FIELDS,
  exportRecords,
  manifestHash,
  manifestOf,
  type RecordsExport,
} from '../../src/records/export'
import { importRecords, type ImportOptions } from '../../src/records/import'
import { registerSigningKey } from '../../src/signing/register'
import { SyncEngine } from '../../src/sync/engine'
import { httpTransport } from '../../src/sync/transport'
import { makeCheckIn, photoBytes, sha256 } from '../helpers/records'
import { makeServer, signedIn, type TestServer } from '../helpers/server'
import { injectFetch } from '../helpers/sync'

// What a person who edits an export file can do to it, step by step: change a record, redo its hash, redo the
// manifest, sign it all again with a key of their own. Each step is refused, and nothing is written.

type Entry = RecordsExport['checkIns'][number] | RecordsExport['notes'][number]

/** A record's data as the file holds it: the entry without the fields the file adds. */
function dataOf(entry: object): Record<string, unknown> {
  const data: Record<string, unknown> = { ...entry }
  for (const f of ENTRY_META_FIELDS) delete data[f]
  return data
}
const entries = (f: RecordsExport): [SignedKind, Entry][] => [
  ...f.checkIns.map((c): [SignedKind, Entry] => ['checkin', c]),
  ...f.notes.map((n): [SignedKind, Entry] => ['note', n]),
]
/** Every record's hash made again from what the file now holds. */
async function redoHashes(f: RecordsExport): Promise<void> {
  for (const [, e] of entries(f)) e.hash = await recordHash(dataOf(e))
}
/** The manifest made again from what the file now holds, the signer left as it was. */
function redoManifest(f: RecordsExport): void {
  f.manifest = manifestOf(f, f.manifest.keyId)
}
/** Everything signed again with someone else's key, which the file then names as the signer's. */
async function resignWith(f: RecordsExport, key: Awaited<ReturnType<typeof generateSigningKey>>): Promise<void> {
  for (const [kind, e] of entries(f))
    if (e.signature)
      e.signature = { keyId: key.keyId, value: await signText(key.privateKey, recordSigningText(kind, e.hash)) }
  f.keys = [{ keyId: key.keyId, clientId: 'forger-phone-0001', publicKey: key.publicKey }]
  f.manifest = manifestOf(f, key.keyId)
  f.signature = {
    keyId: key.keyId,
    value: await signText(key.privateKey, manifestSigningText(await manifestHash(f.manifest))),
  }
}

describe('evidence an inspector exports cannot be changed on the way to another phone', () => {
  let s: TestServer
  let me: { user: SessionUser; cookie: string }
  let phone: ZhixunDB
  let exported: RecordsExport
  const bytes = photoBytes(21, 20_000)
  const photo = {
    sha256: sha256(bytes),
    size: bytes.length,
    type: 'image/jpeg' as const,
    bytes: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer,
  }
  const fetchAs = () => injectFetch(s.app, me.cookie)
  /** Online: the server says whose keys they are. */
  const online: ImportOptions = { confirmKey: (keyId) => confirmKey(keyId, { fetch: fetchAs() }) }
  const offline: ImportOptions = { confirmKey: async () => 'unreachable' }
  const newPhone = async () => {
    const db = new ZhixunDB(`evidence-${Math.random()}`)
    await startSession(db, me.user, '2099-01-01T00:00:00Z')
    return db
  }
  const sync = (db: ZhixunDB) => new SyncEngine(dexieSyncStorage(db), httpTransport('', fetchAs())).sync()
  const serverStatus = async (id: string) =>
    (
      await s.store.db
        .selectFrom('records')
        .select(['signature_status', 'data'])
        .where('id', '=', id)
        .executeTakeFirstOrThrow()
    ).signature_status
  const copy = () => structuredClone(exported)

  beforeAll(async () => {
    s = await makeServer('sqlite')
    const signed = await signedIn(s)
    me = { user: signed.user as SessionUser, cookie: signed.cookie }
    phone = new ZhixunDB(`evidence-old-${Math.random()}`)
    await startSession(phone, me.user, '2099-01-01T00:00:00Z')
    await registerSigningKey(phone, { fetch: fetchAs() })
    await saveCheckIn(
      phone,
      makeCheckIn({
        authorId: me.user.id,
        venueName: '广交会展馆 A 区',
        itemsSeized: 3,
        photos: [{ sha256: photo.sha256, size: photo.size, type: photo.type }],
      }),
      [photo],
    )
    await saveCheckIn(phone, makeCheckIn({ authorId: me.user.id, venueName: '东门市场', itemsSeized: 0 }))
    await saveNote(phone, { taskNumber: 28, text: '展会主办方答应提供名单。', authorId: me.user.id })
    exported = await exportRecords(phone)
  })
  afterAll(() => s.close())

  it('signs each record as it is saved, with a key that cannot leave the phone, and queues the signature with it', async () => {
    const [key] = await phone.signingKeys.toArray()
    expect(key!.privateKey).toMatchObject({ extractable: false, type: 'private', usages: ['sign'] })
    expect(key!.confirmedAt).toBeTypeOf('number') // registered with the server at sign-in
    const checkIn = (await phone.checkins.toArray())[0]!
    expect(checkIn.signature?.keyId).toBe(key!.keyId)
    expect(await verifyText(key!.publicKey, recordSigningText('checkin', checkIn.hash), checkIn.signature!.value)).toBe(
      true,
    )
    const entry = await phone.outbox.where('recordId').equals(checkIn.id).first()
    expect(entry?.signature).toEqual(checkIn.signature)
    expect(exported.keys).toEqual([{ keyId: key!.keyId, clientId: key!.clientId, publicKey: key!.publicKey }])
    expect(exported.signature?.keyId).toBe(key!.keyId)
  })

  it('refuses a check-in edited in the file (venue changed, items seized 3 → 300), however carefully the hashes are redone', async () => {
    const edit = (f: RecordsExport) => {
      f.checkIns[0]!.venueName = '别处的仓库'
      f.checkIns[0]!.itemsSeized = 300
    }
    const target = await newPhone()
    const refused = async (f: RecordsExport, code: string, options = online) =>
      expect(importRecords(target, JSON.stringify(f), me.user.id, options)).rejects.toMatchObject({ code })

    // Only the record changed: its hash says otherwise.
    const edited = copy()
    edit(edited)
    await refused(edited, 'record_changed')
    // Its hash redone: the signed manifest lists the old one.
    await redoHashes(edited)
    await refused(edited, 'record_changed')
    // The manifest redone as well: neither the manifest's signature nor the record's fits any more.
    redoManifest(edited)
    await refused(edited, 'bad_signature')
    await refused(edited, 'bad_signature', offline)
    // The record's signature taken away too (an "unsigned" record): the manifest's signature still does not fit.
    delete edited.checkIns[0]!.signature
    redoManifest(edited)
    await refused(edited, 'bad_signature')
    // Everything signed again with a key of the editor's own: the server says it is not this inspector's.
    const forged = copy()
    edit(forged)
    await redoHashes(forged)
    await resignWith(forged, await generateSigningKey())
    await refused(forged, 'unknown_key')

    expect(await target.checkins.count()).toBe(0)
    expect(await target.outbox.count()).toBe(0)
    expect(await target.photos.count()).toBe(0)
    await target.delete()
  })

  it('refuses records put in another order, dropped, hidden as sent, or a photo changed', async () => {
    const target = await newPhone()
    const refused = async (f: RecordsExport, code: string) =>
      expect(importRecords(target, JSON.stringify(f), me.user.id, online)).rejects.toMatchObject({ code })

    const reordered = copy()
    reordered.checkIns.reverse()
    await refused(reordered, 'order_changed')
    redoManifest(reordered)
    await refused(reordered, 'bad_signature')

    const dropped = copy()
    dropped.checkIns.pop()
    await refused(dropped, 'record_changed')

    const hidden = copy()
    hidden.checkIns[1]!.state = 'sent'
    await refused(hidden, 'record_changed')

    const otherPhoto = photoBytes(22, 20_000)
    const swapped = copy()
    swapped.photos[0]!.base64 = otherPhoto.toString('base64')
    await refused(swapped, 'photo_damaged')
    // The photo's hash redone everywhere it appears: the record, its hash, the manifest. The signatures say no.
    const newSha = sha256(otherPhoto)
    swapped.photos[0]!.sha256 = newSha
    swapped.checkIns[0]!.photos[0]!.sha256 = newSha
    await redoHashes(swapped)
    redoManifest(swapped)
    await refused(swapped, 'bad_signature')

    expect(await target.checkins.count()).toBe(0)
    await target.delete()
  })

  it('offline, takes in a file whose key it cannot ask about, marked, and the server then says whose key it was', async () => {
    // The inspector's own, untouched file: queued as "key not yet confirmed" until the server verifies it.
    const target = await newPhone()
    expect(await importRecords(target, JSON.stringify(exported), me.user.id, offline)).toMatchObject({
      queued: 3,
      unsigned: 0,
      unconfirmed: 3,
    })
    expect((await target.checkins.toArray()).every((c) => c.keyUnconfirmed)).toBe(true)
    await sync(target)
    const genuine = (await target.checkins.toArray())[0]!
    expect(genuine).toMatchObject({ serverSignature: 'valid' })
    expect(genuine.keyUnconfirmed).toBeUndefined()
    expect(await serverStatus(genuine.id)).toBe('valid')

    // A forgery signed with a key of its own, taken in offline: marked, and flagged by the server, never valid.
    const forged = copy()
    for (const [, e] of entries(forged)) e.id = e.id.replace(/.{4}$/, 'f0f0')
    for (const e of forged.checkIns) e.itemsSeized = 300
    await redoHashes(forged)
    await resignWith(forged, await generateSigningKey())
    const victim = await newPhone()
    expect(await importRecords(victim, JSON.stringify(forged), me.user.id, offline)).toMatchObject({
      queued: 3,
      unconfirmed: 3,
    })
    await sync(victim)
    // (The genuine records come down from the server too, as the server's.)
    const flagged = (await victim.checkins.toArray()).filter((c) => c.origin === 'mine')
    expect(flagged.map((c) => c.serverSignature)).toEqual(['unknown_key', 'unknown_key'])
    expect(flagged.every((c) => c.keyUnconfirmed)).toBe(true)
    expect(await serverStatus(flagged[0]!.id)).toBe('unknown_key')
    await target.delete()
    await victim.delete()
  })
})
