import 'fake-indexeddb/auto'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { LocalCheckIn } from '../../src/db/db'
import { ZhixunDB } from '../../src/db/db'
import {
  correctInspection,
  draftOf,
  InspectionLockedError,
  saveInspectionDraft,
  signingRules,
  signInspection,
  startInspection,
} from '../../src/db/inspections'
import { saveCheckIn } from '../../src/db/records'
import { markExported, unexportedCount } from '../../src/db/session'
import { exportRecords } from '../../src/records/export'
import { signBlockers } from '../../src/kernel/inspection-rules'
import { dexieSyncStorage } from '../../src/db/syncStorage'
import { recordHash } from '../../src/kernel/canonical'
import type { Campaign } from '../../src/kernel/campaign-schema'
import type {
  Change,
  Inspection,
  MutationResult,
  PushRequest,
  PushResponse,
  Review,
} from '../../src/kernel/sync-schema'
import { uuidv7 } from '../../src/kernel/uuid'
import { SyncEngine } from '../../src/sync/engine'
import type { SyncTransport } from '../../src/sync/transport'
import { fullySigned } from '../helpers/inspection-drafts'
import { HOSTILE, makeCheckIn, photoBytes, sha256 } from '../helpers/records'

const ME = { id: uuidv7(), displayName: '李明' }
const CO = { userId: uuidv7(), name: '王芳', certificateNumber: '44010020230002' }
const CAMPAIGN = 'campaign-two-certified'

let db: ZhixunDB
let checkIn: LocalCheckIn

beforeEach(async () => {
  db = new ZhixunDB(`inspections-${Math.random()}`)
  const photo = photoBytes(9, 20_000)
  const ref = { sha256: sha256(photo), size: photo.length, type: 'image/jpeg' as const }
  await db.parties.add({
    id: uuidv7(),
    name: '广州市某某商行',
    creditCode: '914403001922038216',
    address: '广州市海珠区阅江中路 380 号',
    personPresent: '陈先生',
    personRole: '店长',
    phone: '13800000000',
    department: '省知识产权局',
    initials: 'gzsmmsh',
    visits: [],
    state: 'synced',
    savedAt: 0,
  })
  const party = (await db.parties.toArray())[0]!
  await db.colleagues.bulkAdd([
    {
      userId: ME.id,
      name: ME.displayName,
      department: '省知识产权局',
      certificateNumber: '44010020230001',
      certificateExpiry: '2030-12-31',
    },
    {
      userId: CO.userId,
      name: CO.name,
      department: '省知识产权局',
      certificateNumber: CO.certificateNumber,
      certificateExpiry: '2026-11-19',
    },
  ])
  checkIn = await saveCheckIn(
    db,
    makeCheckIn({
      authorId: ME.id,
      campaignId: CAMPAIGN,
      partyId: party.id,
      coInspectors: [CO],
      photos: [ref],
    }),
    [{ ...ref, bytes: photo.buffer.slice(photo.byteOffset, photo.byteOffset + photo.length) as ArrayBuffer }],
  )
})
afterEach(async () => {
  db.close()
  await db.delete()
})

async function requireTwo(required: boolean) {
  await db.campaigns.put({ id: CAMPAIGN, requireTwoCertified: required } as unknown as Campaign)
}

describe('an inspection record made from a check-in', () => {
  it('starts as a draft filled in from the check-in, its party and its inspectors', async () => {
    const row = await startInspection(db, checkIn, ME)
    expect(row.state).toBe('draft')
    const { form } = draftOf(row)!
    const c = checkIn.data
    expect(form).toMatchObject({
      checkInId: c.id,
      authorId: ME.id,
      campaignId: CAMPAIGN,
      startedAt: c.occurredAt,
      place: c.venueName,
      party: { name: '广州市某某商行', creditCode: '914403001922038216', personPresent: '陈先生', personRole: '店长' },
      inspectors: [{ userId: ME.id, name: '李明', certificateNumber: '44010020230001' }, CO],
      recorder: { userId: ME.id, name: '李明', certificateNumber: '44010020230001' },
      photos: c.photos,
      signatures: [],
      refusal: null,
      correctionOf: null,
    })
    expect(Date.parse(form.endedAt)).toBeGreaterThanOrEqual(Date.parse(c.occurredAt))
    // Opening it again continues the same draft.
    expect((await startInspection(db, checkIn, ME)).id).toBe(row.id)
  })

  it('says what keeps it from being signed: signatures, the party, two valid certificates', async () => {
    const row = await startInspection(db, checkIn, ME)
    const { form } = draftOf(row)!
    await requireTwo(true)
    const codes = (f: typeof form) => signingRules(db, f).then((rules) => signBlockers(f, rules).map((b) => b.code))
    // The co-inspector's certificate ran out the day before the inspection: one certified inspector only.
    expect(await codes(form)).toEqual([
      'two_certified',
      'inspector_signature',
      'inspector_signature',
      'party_signature',
    ])
    await requireTwo(false)
    expect(await codes({ ...form, party: { ...form.party, name: ' ' } })).toEqual([
      'party_name',
      'inspector_signature',
      'inspector_signature',
      'party_signature',
    ])
    const signed = fullySigned(draftOf(row)!)
    expect(await codes(signed.form)).toEqual([])
    // The party refuses: a reason, the witness's name and signature instead of the party's.
    const refused = {
      ...signed.form,
      signatures: signed.form.signatures.filter((s) => s.role !== 'party'),
      refusal: { reason: '', witnessName: '' },
    }
    expect(await codes(refused)).toEqual(['refusal_reason', 'witness_name', 'witness_signature'])
    // Valid again with the co-inspector's certificate renewed, under a campaign requiring two.
    await requireTwo(true)
    await db.colleagues.update(CO.userId, { certificateExpiry: '2027-12-31' })
    expect(await codes(signed.form)).toEqual([])
  })

  it('is signed, hashed, chained and queued in one go, with its drawn signatures kept as photos to upload', async () => {
    await requireTwo(false)
    const row = await startInspection(db, checkIn, ME)
    const draft = fullySigned(draftOf(row)!)
    draft.form.findings = HOSTILE.join('\n')
    draft.form.items = [{ name: HOSTILE[0]!, count: 12 }]
    await saveInspectionDraft(db, row.id, draft)
    const signed = await signInspection(db, row.id, draftOf(await db.inspections.get(row.id))!)

    const stored = (await db.inspections.get(row.id))!
    expect(stored.state).toBe('waiting')
    expect(stored.draft).toBeUndefined()
    expect(stored.data).toEqual(signed.data)
    expect(stored.data!.findings).toBe(HOSTILE.join('\n'))
    expect(stored.hash).toBe(await recordHash(stored.data))
    expect(stored.signature).toMatchObject({ keyId: expect.any(String), value: expect.any(String) })
    // The check-in was this phone's first record; the inspection record is its second.
    expect(stored.data!.chain).toEqual({ clientId: checkIn.data.chain!.clientId, seq: 2, prev: checkIn.hash })
    const entry = (await db.outbox.where('recordId').equals(row.id).toArray())[0]!
    expect(entry).toMatchObject({ name: 'inspection.create', args: stored.data, signature: stored.signature })
    for (const s of stored.data!.signatures) {
      const photo = (await db.photos.get(s.sha256))!
      expect(photo).toMatchObject({ type: 'image/png', state: 'local', size: s.size })
      expect(sha256(Buffer.from(photo.bytes))).toBe(s.sha256)
    }
  })

  it('is locked once signed: a second signing and a draft save are refused, and it stays as signed', async () => {
    await requireTwo(false)
    const row = await startInspection(db, checkIn, ME)
    const draft = fullySigned(draftOf(row)!)
    await signInspection(db, row.id, draft)
    const before = await db.inspections.get(row.id)
    const changed = { ...draft, form: { ...draft.form, findings: '改过的内容' } }
    await expect(signInspection(db, row.id, changed)).rejects.toBeInstanceOf(InspectionLockedError)
    await expect(saveInspectionDraft(db, row.id, changed)).rejects.toBeInstanceOf(InspectionLockedError)
    expect(await db.inspections.get(row.id)).toEqual(before)
    expect(await db.outbox.where('recordId').equals(row.id).count()).toBe(1)
  })

  it('holds the phone while it is not on the server, until an export file carries it with its drawn signatures', async () => {
    await requireTwo(false)
    const row = await startInspection(db, checkIn, ME)
    await signInspection(db, row.id, fullySigned(draftOf(row)!))
    // The check-in and the signed record are only on this phone.
    expect(await unexportedCount(db)).toBe(2)
    const last = (await db.outbox.orderBy('seq').last())!.seq!
    const file = await exportRecords(db)
    const stored = (await db.inspections.get(row.id))!
    expect(file.inspections).toEqual([
      { ...stored.data, state: 'waiting', hash: stored.hash, signature: stored.signature },
    ])
    expect(file.manifest.inspections).toEqual([
      { id: row.id, hash: stored.hash, state: 'waiting', keyId: stored.signature!.keyId },
    ])
    // Its drawn signatures (and the check-in's photo) are in the file, byte for byte.
    const inFile = new Map(file.photos.map((p) => [p.sha256, sha256(Buffer.from(p.base64, 'base64'))]))
    for (const s of stored.data!.signatures) expect(inFile.get(s.sha256)).toBe(s.sha256)
    for (const p of stored.data!.photos) expect(inFile.get(p.sha256)).toBe(p.sha256)
    await markExported(db, last)
    expect(await unexportedCount(db)).toBe(0)
    // A record signed after the file was made is in no file: it holds the phone again.
    const correction = await correctInspection(db, row.id)
    await signInspection(db, correction.id, fullySigned(draftOf(correction)!))
    expect(await unexportedCount(db)).toBe(1)
  })

  it('refuses the second of two signings racing for the same draft', async () => {
    await requireTwo(false)
    const row = await startInspection(db, checkIn, ME)
    const draft = fullySigned(draftOf(row)!)
    const results = await Promise.allSettled([signInspection(db, row.id, draft), signInspection(db, row.id, draft)])
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected'])
    expect(await db.outbox.where('recordId').equals(row.id).count()).toBe(1)
  })

  it('is corrected by a new draft naming it; the original stays signed', async () => {
    await requireTwo(false)
    const row = await startInspection(db, checkIn, ME)
    const original = await signInspection(db, row.id, fullySigned(draftOf(row)!))
    const correction = await correctInspection(db, original.id)
    expect(correction.id).not.toBe(original.id)
    const { form } = draftOf(correction)!
    expect(form).toMatchObject({ correctionOf: original.id, signatures: [], place: original.data!.place })
    expect((await db.inspections.get(original.id))!.state).toBe('waiting')
  })
})

describe('an inspection record on its way to the server', () => {
  /** A server in a few lines: records by id, photos by offset, and what each push carried. */
  function fakeServer(options: { refuse?: boolean } = {}) {
    const pushes: PushRequest[] = []
    const uploaded: string[] = []
    const changes: Change[] = []
    let version = 0
    const transport: SyncTransport = {
      async startPhoto(ref) {
        return { offset: 0, complete: ref.size === 0 }
      },
      async sendPhotoChunk(sha, offset, chunk) {
        uploaded.push(sha)
        return { offset: offset + chunk.length, complete: true }
      },
      async push(req): Promise<PushResponse> {
        pushes.push(structuredClone(req))
        const results: MutationResult[] = []
        for (const m of req.mutations) {
          const hash = await recordHash(m.args)
          const kind = m.name === 'inspection.create' ? 'inspection' : 'checkin'
          if (options.refuse && kind === 'inspection') {
            results.push({ seq: m.seq, status: 'rejected', code: 'locked', reason: 'signed record exists' })
            continue
          }
          const data = m.args as Inspection
          changes.push({ version: ++version, kind, id: data.id, deleted: false, hash, data })
          results.push({ seq: m.seq, status: 'applied', hash, version })
        }
        return { lastProcessedSeq: req.mutations.at(-1)!.seq, results }
      },
      async pull(cursor) {
        const page = changes.filter((c) => c.version > cursor)
        return { changes: page, cursor: page.at(-1)?.version ?? cursor, more: false }
      },
    }
    return { transport, pushes, uploaded, changes, nextVersion: () => ++version }
  }

  it('goes up after its photos and drawn signatures, with the phone time, and comes back verified', async () => {
    await requireTwo(false)
    const row = await startInspection(db, checkIn, ME)
    const signed = await signInspection(db, row.id, fullySigned(draftOf(row)!))
    const server = fakeServer()
    const before = Date.now()
    await new SyncEngine(dexieSyncStorage(db), server.transport).sync()

    const push = server.pushes[0]!
    expect(push.mutations.map((m) => m.name)).toEqual(['checkin.create', 'inspection.create'])
    expect(Date.parse(push.clientTime!)).toBeGreaterThanOrEqual(before - 1)
    const shas = [...signed.data!.photos, ...signed.data!.signatures].map((p) => p.sha256)
    expect(new Set(server.uploaded)).toEqual(new Set(shas))
    for (const sha of shas) expect((await db.photos.get(sha))!.state).toBe('verified')
    expect((await db.inspections.get(row.id))!.state).toBe('verified')
  })

  it('shows a refusal of the server with its reason', async () => {
    await requireTwo(false)
    const row = await startInspection(db, checkIn, ME)
    await signInspection(db, row.id, fullySigned(draftOf(row)!))
    await new SyncEngine(dexieSyncStorage(db), fakeServer({ refuse: true }).transport).sync()
    expect(await db.inspections.get(row.id)).toMatchObject({ state: 'rejected', code: 'locked' })
  })

  it("pulls another phone's inspection records and a supervisor's review", async () => {
    const server = fakeServer()
    const other: Inspection = {
      ...fullySigned(draftOf(await startInspection(db, checkIn, ME))!).form,
      id: uuidv7(),
      signedAt: new Date().toISOString(),
    }
    const review: Review = {
      id: uuidv7(),
      checkInId: checkIn.id,
      action: 'returned',
      comment: HOSTILE[0]!,
      reviewerId: uuidv7(),
      reviewerName: '张科长',
      at: new Date().toISOString(),
    }
    server.changes.push(
      {
        version: server.nextVersion(),
        kind: 'inspection',
        id: other.id,
        deleted: false,
        hash: await recordHash(other),
        data: other,
      },
      { version: server.nextVersion(), kind: 'review', id: review.id, deleted: false, hash: null, data: review },
    )
    await new SyncEngine(dexieSyncStorage(db), server.transport).sync()
    expect(await db.inspections.get(other.id)).toMatchObject({ origin: 'server', state: 'verified', data: other })
    expect(await db.reviews.get(review.id)).toEqual({
      id: review.id,
      checkInId: checkIn.id,
      action: 'returned',
      comment: HOSTILE[0],
      reviewerName: '张科长',
      at: review.at,
    })
    // Neither is taken for a note.
    expect(await db.notes.count()).toBe(0)
  })
})
