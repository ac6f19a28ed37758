import * as v from 'valibot'
import { recordHash } from '@/kernel/canonical'
import type { CertificateHolder } from '@/kernel/certificate'
import { ZhixunError } from '@/kernel/errors'
import { normalizedDraft, signBlockers, type InspectionDraft, type SigningRules } from '@/kernel/inspection-rules'
import { InspectionSchema, validationReason, type Inspection, type InspectorRef } from '@/kernel/sync-schema'
import { uuidv7 } from '@/kernel/uuid'
import { saveChained } from './chain'
import type { LocalCheckIn, LocalInspection, LocalPhoto, ZhixunDB } from './db'
import { enqueue } from './outbox'
import { RecordInvalidError } from './records'
import { signRecordHash } from './signingKeys'

export type { InspectionDraft } from '@/kernel/inspection-rules'

/**
 * 现场检查笔录 on the phone: a draft made from a check-in, typed and signed on the lead inspector's phone, then
 * signed (ECDSA) and locked. A signed record is never changed here: a correction is a new draft naming it.
 */

/** A drawn signature's PNG, kept with the draft until signing moves it to the photos (and the server). */
export interface SignatureImage {
  sha256: string
  size: number
  bytes: ArrayBuffer
}

/** What a draft row keeps in `LocalInspection.draft`. */
export interface InspectionDraftRow {
  form: InspectionDraft
  images: SignatureImage[]
}

/** The record is signed: nothing about it may change on this phone any more. */
export class InspectionLockedError extends ZhixunError<'locked'> {
  constructor(readonly id: string) {
    super('locked', `inspection record ${id} is signed and locked`)
    this.name = 'InspectionLockedError'
  }
}

export class InspectionNotFoundError extends ZhixunError<'not_found'> {
  constructor(readonly id: string) {
    super('not_found', `no inspection record ${id} on this phone`)
    this.name = 'InspectionNotFoundError'
  }
}

/** The person signed in, as an inspection names them. */
export interface Me {
  id: string
  displayName: string
}

/** The draft's form and images of a draft row; undefined for a signed record. */
export function draftOf(row: LocalInspection | undefined): InspectionDraftRow | undefined {
  return row?.state === 'draft' ? (row.draft as InspectionDraftRow | undefined) : undefined
}

/** A new draft from a check-in: its time to now, its venue, its party, its inspectors (me first) and photos. */
export async function draftFromCheckIn(
  db: ZhixunDB,
  checkIn: LocalCheckIn,
  me: Me,
  now = new Date(),
): Promise<InspectionDraft> {
  const c = checkIn.data
  const [party, holders] = await Promise.all([
    c.partyId ? db.parties.get(c.partyId) : undefined,
    certificateHolders(db, [me.id]),
  ])
  const lead: InspectorRef = {
    userId: me.id,
    name: me.displayName,
    certificateNumber: holders.get(me.id)?.certificateNumber ?? null,
  }
  const others = (c.coInspectors ?? []).filter((p) => p.userId !== me.id)
  const started = Date.parse(c.occurredAt)
  return {
    id: uuidv7(now.getTime()),
    authorId: me.id,
    checkInId: c.id,
    campaignId: c.campaignId,
    startedAt: c.occurredAt,
    endedAt: new Date(Math.max(started, now.getTime())).toISOString(),
    place: c.venueName,
    party: {
      id: party?.id ?? null,
      name: party?.name ?? '',
      creditCode: party?.creditCode ?? null,
      address: party?.address ?? '',
      personPresent: party?.personPresent ?? '',
      personRole: party?.personRole ?? '',
      phone: party?.phone ?? '',
    },
    inspectors: [lead, ...others],
    recorder: lead,
    findings: c.note,
    items: [],
    photos: c.photos,
    signatures: [],
    refusal: null,
    correctionOf: null,
    createdAt: now.toISOString(),
  }
}

/** Every inspection record of a check-in on this phone, drafts too, oldest first. */
export async function inspectionsOfCheckIn(db: ZhixunDB, checkInId: string): Promise<LocalInspection[]> {
  return db.inspections.where('checkInId').equals(checkInId).sortBy('savedAt')
}

/** The draft of this check-in to continue, or a new one made from it. */
export async function startInspection(db: ZhixunDB, checkIn: LocalCheckIn, me: Me): Promise<LocalInspection> {
  const form = await draftFromCheckIn(db, checkIn, me)
  return db.transaction('rw', db.inspections, async () => {
    const open = (await inspectionsOfCheckIn(db, checkIn.id)).find((r) => r.state === 'draft' && r.origin === 'mine')
    if (open) return open
    const row: LocalInspection = {
      id: form.id,
      checkInId: checkIn.id,
      draft: { form, images: [] } satisfies InspectionDraftRow,
      state: 'draft',
      origin: 'mine',
      savedAt: Date.now(),
    }
    await db.inspections.add(row)
    return row
  })
}

/** Keeps the draft as typed. Refused once the record is signed (InspectionLockedError). */
export async function saveInspectionDraft(db: ZhixunDB, id: string, draft: InspectionDraftRow): Promise<void> {
  await db.transaction('rw', db.inspections, async () => {
    const row = await db.inspections.get(id)
    if (!row) throw new InspectionNotFoundError(id)
    if (row.state !== 'draft') throw new InspectionLockedError(id)
    // Only the images a signature still names: a signature drawn again replaces the old one.
    const used = new Set(draft.form.signatures.map((s) => s.sha256))
    const images = draft.images.filter((i) => used.has(i.sha256))
    await db.inspections.update(id, { draft: { form: draft.form, images }, savedAt: Date.now() })
  })
}

/** A new draft correcting a signed record: the same facts to change, no signatures; the original stays. */
export async function correctInspection(db: ZhixunDB, id: string, now = new Date()): Promise<LocalInspection> {
  const original = await db.inspections.get(id)
  if (!original?.data) throw new InspectionNotFoundError(id)
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  const { signedAt, chain, ...facts } = original.data
  const form: InspectionDraft = {
    ...facts,
    id: uuidv7(now.getTime()),
    signatures: [],
    refusal: null,
    correctionOf: original.data.id,
    createdAt: now.toISOString(),
  }
  const row: LocalInspection = {
    id: form.id,
    checkInId: original.checkInId,
    draft: { form, images: [] } satisfies InspectionDraftRow,
    state: 'draft',
    origin: 'mine',
    savedAt: now.getTime(),
  }
  await db.inspections.add(row)
  return row
}

/**
 * What the phone knows of each person's certificate: from the colleagues it keeps, and the signed-in inspector's
 * own as the server gave it at sign-in (newer than the colleagues list when that has not been fetched since).
 */
export async function certificateHolders(
  db: ZhixunDB,
  userIds: readonly string[],
): Promise<Map<string, CertificateHolder>> {
  const [rows, session] = await Promise.all([db.colleagues.bulkGet([...new Set(userIds)]), db.session.get('me')])
  const holders = new Map<string, CertificateHolder>(rows.flatMap((r) => (r ? [[r.userId, r] as const] : [])))
  const me = session?.user
  if (me && userIds.includes(me.id) && me.certificateNumber !== undefined)
    holders.set(me.id, { certificateNumber: me.certificateNumber, certificateExpiry: me.certificateExpiry ?? null })
  return holders
}

/** The rules this draft is signed under: its campaign's, and the certificates this phone knows. */
export async function signingRules(db: ZhixunDB, form: InspectionDraft): Promise<SigningRules> {
  const [campaign, holders] = await Promise.all([
    form.campaignId ? db.campaigns.get(form.campaignId) : undefined,
    certificateHolders(
      db,
      form.inspectors.map((i) => i.userId),
    ),
  ])
  return { requireTwoCertified: campaign?.requireTwoCertified === true, holders }
}

/**
 * Signs the draft: checks it, keeps the signature images as photos to upload, hashes and signs the record on the
 * next link of this phone's chain, and saves it with its outbox entry in one transaction. From then on it is
 * locked: a second signing, or a save of the draft, is refused (InspectionLockedError).
 */
export async function signInspection(
  db: ZhixunDB,
  id: string,
  draft: InspectionDraftRow,
  now = new Date(),
): Promise<LocalInspection> {
  const row = await db.inspections.get(id)
  if (!row) throw new InspectionNotFoundError(id)
  if (row.state !== 'draft') throw new InspectionLockedError(id)
  const form = normalizedDraft({ ...draft.form, id })
  const blockers = signBlockers(form, await signingRules(db, form))
  if (blockers.length > 0) {
    const first = blockers[0]!
    throw new RecordInvalidError(first.code === 'invalid' ? first.detail : `cannot sign: ${first.code}`)
  }
  const parsed = v.safeParse(InspectionSchema, { ...form, signedAt: now.toISOString() })
  if (!parsed.success) throw new RecordInvalidError(validationReason(parsed.issues))
  const checked = parsed.output
  const images = new Map(draft.images.map((i) => [i.sha256, i]))
  const photos: LocalPhoto[] = []
  for (const s of checked.signatures) {
    const image = images.get(s.sha256)
    if (!image) {
      if (await db.photos.get(s.sha256)) continue
      throw new RecordInvalidError(`invalid signatures: the drawing of ${s.name} is not on this phone`)
    }
    photos.push({
      sha256: s.sha256,
      size: image.size,
      type: 'image/png',
      bytes: image.bytes,
      state: 'local',
      savedAt: now.getTime(),
    })
  }
  return saveChained(
    db,
    [db.inspections, db.photos],
    async (chain) => {
      const data: Inspection = { ...checked, chain }
      const hash = await recordHash(data)
      const signature = await signRecordHash(db, 'inspection', hash, data.authorId)
      return {
        id,
        checkInId: data.checkInId,
        data,
        hash,
        state: 'waiting',
        origin: 'mine',
        savedAt: Date.now(),
        ...(signature ? { signature } : {}),
      } satisfies LocalInspection
    },
    async (record) => {
      // Another tab may have signed it in the meantime: the first signature stands.
      if ((await db.inspections.get(id))?.state !== 'draft') throw new InspectionLockedError(id)
      await putQueuedInspection(db, record, photos)
    },
  )
}

/**
 * Writes a signed inspection record (already validated, hashed and signed), the photos and drawn signatures it
 * needs that are not here yet, and its outbox entry. Call it inside a transaction over inspections, photos,
 * outbox and syncMeta. It leaves the record's chain link as it is: an imported record keeps its phone's.
 */
export async function putQueuedInspection(
  db: ZhixunDB,
  record: LocalInspection & { data: Inspection },
  photos: readonly LocalPhoto[],
): Promise<void> {
  for (const p of photos) if (!(await db.photos.get(p.sha256))) await db.photos.add(p)
  await db.inspections.put(record)
  await enqueue<'inspection.create'>(db, {
    name: 'inspection.create',
    args: record.data,
    recordId: record.id,
    queuedAt: record.savedAt,
    ...(record.signature ? { signature: record.signature } : {}),
  })
}
