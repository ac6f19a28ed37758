import 'fake-indexeddb/auto'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ZhixunDB } from '../../src/db/db'
import { draftOf, signInspection, startInspection, type InspectionDraftRow } from '../../src/db/inspections'
import { saveCheckIn } from '../../src/db/records'
import { startSession } from '../../src/db/session'
import { recordHash } from '../../src/kernel/canonical'
import type { SessionUser } from '../../src/kernel/users'
import { uuidv7 } from '../../src/kernel/uuid'
import { ENTRY_META_FIELDS, exportRecords, manifestOf, type RecordsExport } from '../../src/records/export'
import { importRecords, type ImportOptions } from '../../src/records/import'
import { fullySigned } from '../helpers/inspection-drafts'
import { HOSTILE, makeCheckIn, photoBytes, sha256 } from '../helpers/records'

// A signed 现场检查笔录 is the record that matters most: the phone it was signed on breaks before it reaches the
// server, and the export file carries it, its drawn signatures and its chain link to a second phone.

const ME: SessionUser = {
  id: uuidv7(),
  username: 'liming',
  displayName: '李明',
  department: '省知识产权局',
  role: 'inspector',
} as SessionUser
const CO = { userId: uuidv7(), name: '王芳', certificateNumber: '44010020230002' }
/** The server, asked about the old phone's key, says it is this inspector's. */
const options: ImportOptions = { confirmKey: async () => 'registered' }

let oldPhone: ZhixunDB
let newPhone: ZhixunDB

/** Signed by both inspectors and the party present, with the record's text hostile. */
const signedWithHostileFindings = (row: InspectionDraftRow): InspectionDraftRow =>
  fullySigned({
    ...row,
    form: {
      ...row.form,
      party: { ...row.form.party, name: '广州市某某商行', personPresent: '陈先生' },
      findings: HOSTILE.join('\n'),
    },
  })

/** The old phone: a check-in with a photo and its signed inspection record, neither on the server. */
async function signedOnOldPhone() {
  const photo = photoBytes(9, 20_000)
  const ref = { sha256: sha256(photo), size: photo.length, type: 'image/jpeg' as const }
  await oldPhone.colleagues.bulkAdd([
    {
      userId: ME.id,
      name: '李明',
      department: '省知识产权局',
      certificateNumber: '44010020230001',
      certificateExpiry: null,
    },
    {
      userId: CO.userId,
      name: CO.name,
      department: '省知识产权局',
      certificateNumber: CO.certificateNumber,
      certificateExpiry: null,
    },
  ])
  const checkIn = await saveCheckIn(oldPhone, makeCheckIn({ authorId: ME.id, coInspectors: [CO], photos: [ref] }), [
    { ...ref, bytes: photo.buffer.slice(photo.byteOffset, photo.byteOffset + photo.length) as ArrayBuffer },
  ])
  const row = await startInspection(oldPhone, checkIn, { id: ME.id, displayName: '李明' })
  await signInspection(oldPhone, row.id, signedWithHostileFindings(draftOf(row)!))
  return (await oldPhone.inspections.get(row.id))!
}

function dataOf(entry: object): Record<string, unknown> {
  const data: Record<string, unknown> = { ...entry }
  for (const f of ENTRY_META_FIELDS) delete data[f]
  return data
}

/** Nothing at all written on the new phone. */
async function untouched(db: ZhixunDB) {
  expect(await db.outbox.count()).toBe(0)
  expect(await db.inspections.count()).toBe(0)
  expect(await db.checkins.count()).toBe(0)
  expect(await db.photos.count()).toBe(0)
}

beforeEach(async () => {
  oldPhone = new ZhixunDB(`old-${Math.random()}`)
  newPhone = new ZhixunDB(`new-${Math.random()}`)
  await startSession(oldPhone, ME, '2099-01-01T00:00:00Z')
  await startSession(newPhone, ME, '2099-01-01T00:00:00Z')
})
afterEach(async () => {
  for (const db of [oldPhone, newPhone]) {
    db.close()
    await db.delete()
  }
})

describe('a signed inspection record in an export file', () => {
  it('goes to a second phone with its drawn signatures, queued under its own id with its chain link as signed', async () => {
    const signed = await signedOnOldPhone()
    const text = JSON.stringify(await exportRecords(oldPhone))

    expect(await importRecords(newPhone, text, ME.id, options)).toEqual({
      queued: 2,
      alreadyHere: 0,
      onServer: 0,
      unsigned: 0,
      unconfirmed: 0,
    })
    const here = (await newPhone.inspections.get(signed.id))!
    expect(here).toMatchObject({
      id: signed.id,
      checkInId: signed.checkInId,
      state: 'waiting',
      origin: 'mine',
      hash: signed.hash,
      signature: signed.signature,
    })
    // Byte for byte the record signed on the old phone: its chain link is the old phone's, not this one's.
    expect(here.data).toEqual(signed.data)
    expect(here.data!.chain!.clientId).toBe((await oldPhone.syncMeta.get('sync'))!.clientId)
    expect(here.data!.findings).toBe(HOSTILE.join('\n'))
    expect((await newPhone.syncMeta.get('sync'))!.chainSeq ?? 0).toBe(0)
    // Queued after the check-in it was made from, as the old phone queued them.
    const queue = await newPhone.outbox.orderBy('seq').toArray()
    expect(queue.map((e) => e.name)).toEqual(['checkin.create', 'inspection.create'])
    expect(queue[1]).toMatchObject({ recordId: signed.id, args: signed.data, signature: signed.signature })
    // Every drawn signature and the photo, here byte for byte, ready to upload.
    for (const ref of [...signed.data!.signatures, ...signed.data!.photos]) {
      const photo = (await newPhone.photos.get(ref.sha256))!
      expect(photo).toMatchObject({ size: ref.size, type: ref.type, state: 'local' })
      expect(sha256(Buffer.from(photo.bytes))).toBe(ref.sha256)
    }
    // The same file again adds nothing.
    expect(await importRecords(newPhone, text, ME.id, options)).toMatchObject({ queued: 0, alreadyHere: 2 })
    expect(await newPhone.outbox.count()).toBe(2)
  })

  it('refuses an inspection record changed in the file, however its hash and manifest are redone, writing nothing', async () => {
    await signedOnOldPhone()
    const original: RecordsExport = await exportRecords(oldPhone)
    const copy = (): RecordsExport => structuredClone(original)

    // The findings changed: the hash no longer fits.
    const edited = copy()
    edited.inspections![0]!.findings = '现场未发现侵权商品。'
    await expect(importRecords(newPhone, JSON.stringify(edited), ME.id, options)).rejects.toMatchObject({
      code: 'record_changed',
    })
    // Its hash redone: the signed manifest lists the old one.
    edited.inspections![0]!.hash = await recordHash(dataOf(edited.inspections![0]!))
    await expect(importRecords(newPhone, JSON.stringify(edited), ME.id, options)).rejects.toMatchObject({
      code: 'record_changed',
    })
    // The manifest redone too: neither the manifest's signature nor the record's fits.
    edited.manifest = manifestOf(edited, edited.manifest.keyId)
    await expect(importRecords(newPhone, JSON.stringify(edited), ME.id, options)).rejects.toMatchObject({
      code: 'bad_signature',
    })

    // Dropped from the file: the manifest still lists it.
    const dropped = copy()
    delete dropped.inspections
    await expect(importRecords(newPhone, JSON.stringify(dropped), ME.id, options)).rejects.toMatchObject({
      code: 'record_changed',
    })
    // Hidden as already sent, so that it would be skipped.
    const hidden = copy()
    hidden.inspections![0]!.state = 'verified'
    await expect(importRecords(newPhone, JSON.stringify(hidden), ME.id, options)).rejects.toMatchObject({
      code: 'record_changed',
    })
    // A drawn signature swapped for another picture.
    const swapped = copy()
    const sig = swapped.inspections![0]!.signatures[2]!.sha256
    swapped.photos = swapped.photos.map((p) =>
      p.sha256 === sig ? { ...p, base64: Buffer.from(photoBytes(77, p.size)).toString('base64') } : p,
    )
    await expect(importRecords(newPhone, JSON.stringify(swapped), ME.id, options)).rejects.toMatchObject({
      code: 'photo_damaged',
    })
    // A drawn signature taken out of the file.
    const missing = copy()
    missing.photos = missing.photos.filter((p) => p.sha256 !== sig)
    await expect(importRecords(newPhone, JSON.stringify(missing), ME.id, options)).rejects.toMatchObject({
      code: 'photo_damaged',
    })
    // Someone else's record.
    const other = copy()
    other.inspections![0]!.authorId = uuidv7()
    await expect(importRecords(newPhone, JSON.stringify(other), ME.id, options)).rejects.toMatchObject({
      code: 'record_changed',
    })
    await untouched(newPhone)
    // The file as exported is taken in.
    expect((await importRecords(newPhone, JSON.stringify(original), ME.id, options)).queued).toBe(2)
  })

  it('leaves a file without inspection records as the previous version made it', async () => {
    await saveCheckIn(oldPhone, makeCheckIn({ authorId: ME.id }))
    const file = await exportRecords(oldPhone)
    expect('inspections' in file).toBe(false)
    expect('inspections' in file.manifest).toBe(false)
    expect((await importRecords(newPhone, JSON.stringify(file), ME.id, options)).queued).toBe(1)
  })
})
