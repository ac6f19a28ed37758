import * as v from 'valibot'
import type {
  LocalCheckIn,
  LocalInspection,
  LocalNote,
  LocalPhoto,
  RecordSigning,
  SigningKeyRow,
  ZhixunDB,
} from '@/db/db'
import { putQueuedInspection } from '@/db/inspections'
import { putQueuedCheckIn, putQueuedNote, type NewPhoto } from '@/db/records'
import { keysById, rememberPublicKeys } from '@/db/signingKeys'
import { canonicalJson, recordHash, sha256Hex } from '@/kernel/canonical'
import { ZhixunError } from '@/kernel/errors'
import {
  keyIdOf,
  manifestSigningText,
  recordSigningText,
  verifyText,
  type PublicKeyJwk,
  type RecordSignature,
  type SignedKind,
} from '@/kernel/signature'
import { PublicKeyJwkSchema, RecordSignatureSchema } from '@/kernel/signature-schema'
import {
  CheckInSchema,
  FieldNoteSchema,
  InspectionSchema,
  PhotoRefSchema,
  Sha256Schema,
  type CheckIn,
  type FieldNote,
  type Inspection,
} from '@/kernel/sync-schema'
import { ENTRY_META_FIELDS, EXPORT_FORMAT, manifestHash, manifestOf, type ExportManifest } from './export'

/** Why a file could not be taken in; nothing on the phone was changed. */
export type ImportProblem =
  | 'not_json'
  | 'not_export'
  | 'invalid'
  | 'other_author'
  | 'photo_damaged'
  /** A record's content is not what its hash, or the file's manifest, says: changed after it was exported. */
  | 'record_changed'
  /** Records in another order than the manifest lists them. */
  | 'order_changed'
  /** A signature (of a record, or of the file) that does not verify: the file was changed after signing. */
  | 'bad_signature'
  /** Signed with a key the server says is not the signed-in inspector's. */
  | 'unknown_key'

export class ImportError extends ZhixunError<ImportProblem> {
  constructor(code: ImportProblem) {
    super(code)
    this.name = 'ImportError'
  }
}

export interface ImportResult {
  /** Queued on this phone, to go to the server with the next sync. */
  queued: number
  /** Already on this phone. */
  alreadyHere: number
  /** The file says the server has them already: they come back with the next sync anyway. */
  onServer: number
  /** Of those queued: with no signature (saved before phones signed); they show as unsigned. */
  unsigned: number
  /**
   * Of those queued: signed by a key the server could not be asked about (offline). They show so until
   * the server checks their signature when they are sent.
   */
  unconfirmed: number
}

/**
 * Whether the server has `keyId` as the signed-in inspector's key. `unreachable`: it could not be asked
 * (offline, signed out, the server failing).
 */
export type KeyCheck = (keyId: string) => Promise<'registered' | 'not_registered' | 'unreachable'>

export interface ImportOptions {
  /** Asks the server about a key this phone does not know; without it, every such key is unconfirmed. */
  confirmKey?: KeyCheck
}

/** Only the file's mark: anything without it is some other file, not a damaged export. */
const ExportMarkSchema = v.object({ format: v.literal(EXPORT_FORMAT) })

const SENT_STATES = ['draft', 'sent', 'verified', 'rejected', 'conflict', 'mismatch'] as const
/** The reason the server gave stays with the records on the old phone; a file's copy of it is not used. */
const Reason = v.optional(v.unknown())

/** What version 2 adds to every record: its hash and, when it was signed, its signature. */
const SIGNED_ENTRY = { hash: Sha256Schema, signature: v.optional(RecordSignatureSchema) }

// Records that had not reached the server are queued here, so each is checked in full; the rest come back
// from the server with the next sync, and the file's copy is only counted, its author compared and (in
// version 2) its hash and signature checked.
function entrySchemas<E extends v.ObjectEntries>(extra: E) {
  const checkIn = v.variant('state', [
    v.strictObject({ ...CheckInSchema.entries, state: v.literal('waiting'), reason: Reason, ...extra }),
    v.looseObject({ state: v.picklist(SENT_STATES), ...extra }),
  ])
  const unsentNote = v.strictObject({
    ...FieldNoteSchema.entries,
    state: v.literal('waiting'),
    deleted: v.literal(false),
    conflictOf: v.optional(v.custom<null>((x) => !x)),
    reason: Reason,
    ...extra,
  })
  const note = v.variant('state', [
    v.variant('deleted', [
      v.variant('conflictOf', [
        unsentNote,
        // A copy the server kept beside a conflicting edit: it is the server's already.
        v.looseObject({
          state: v.literal('waiting'),
          deleted: v.literal(false),
          conflictOf: v.custom((x) => !!x),
          ...extra,
        }),
      ]),
      v.looseObject({ state: v.literal('waiting'), deleted: v.literal(true), ...extra }),
    ]),
    v.looseObject({ state: v.picklist(SENT_STATES), deleted: v.boolean(), ...extra }),
  ])
  return { checkIn, note, unsentNote }
}

const V1 = entrySchemas({})
const V2 = entrySchemas(SIGNED_ENTRY)

/** A signed 现场检查笔录: checked in full when it is to be queued here, only counted when the server has it. */
const InspectionEntrySchema = v.variant('state', [
  v.strictObject({ ...InspectionSchema.entries, state: v.literal('waiting'), reason: Reason, ...SIGNED_ENTRY }),
  v.looseObject({ state: v.picklist(SENT_STATES), authorId: v.string(), ...SIGNED_ENTRY }),
])
const PhotoEntrySchema = v.object({ ...PhotoRefSchema.entries, base64: v.string() })

/** A file from before phones signed: records without hashes or signatures, taken in as unsigned. */
const ExportFileV1Schema = v.object({
  format: v.literal(EXPORT_FORMAT),
  formatVersion: v.literal(1),
  checkIns: v.array(V1.checkIn),
  notes: v.array(V1.note),
  photos: v.array(PhotoEntrySchema),
})

const ManifestSchema = v.strictObject({
  exportedAt: v.string(),
  clientId: v.nullable(v.string()),
  keyId: v.nullable(Sha256Schema),
  checkIns: v.array(
    v.strictObject({ id: v.string(), hash: v.string(), state: v.string(), keyId: v.nullable(v.string()) }),
  ),
  notes: v.array(
    v.strictObject({
      id: v.string(),
      hash: v.string(),
      state: v.string(),
      deleted: v.boolean(),
      keyId: v.nullable(v.string()),
    }),
  ),
  inspections: v.optional(
    v.array(v.strictObject({ id: v.string(), hash: v.string(), state: v.string(), keyId: v.nullable(v.string()) })),
  ),
  photos: v.array(PhotoRefSchema),
})

/** A whole export file as src/records/export.ts makes it now. */
const ExportFileV2Schema = v.object({
  format: v.literal(EXPORT_FORMAT),
  formatVersion: v.literal(2),
  exportedAt: v.string(),
  clientId: v.nullable(v.string()),
  checkIns: v.array(V2.checkIn),
  notes: v.array(V2.note),
  /** Absent in files made before inspection records were exported. */
  inspections: v.optional(v.array(InspectionEntrySchema)),
  photos: v.array(PhotoEntrySchema),
  keys: v.array(v.strictObject({ keyId: Sha256Schema, clientId: v.string(), publicKey: PublicKeyJwkSchema })),
  manifest: ManifestSchema,
  signature: v.optional(RecordSignatureSchema),
})

const ExportFileSchema = v.variant('formatVersion', [ExportFileV1Schema, ExportFileV2Schema])
type ExportFile = v.InferOutput<typeof ExportFileSchema>
type FileV2 = v.InferOutput<typeof ExportFileV2Schema>
type CheckInEntry = ExportFile['checkIns'][number]
type NoteEntry = ExportFile['notes'][number]
type UnsentCheckIn = Extract<CheckInEntry, { state: 'waiting' }>
type UnsentNote = v.InferOutput<typeof V1.unsentNote>
type InspectionEntry = v.InferOutput<typeof InspectionEntrySchema>
type UnsentInspection = Extract<InspectionEntry, { state: 'waiting' }>

/** What every record of a version 2 file has beside its data. */
interface SignedEntry {
  hash: string
  signature?: RecordSignature
}

const isUnsentCheckIn = (c: CheckInEntry): c is UnsentCheckIn => c.state === 'waiting'
const isUnsentNote = (n: NoteEntry): n is UnsentNote => n.state === 'waiting' && !n.deleted && !n.conflictOf
const isUnsentInspection = (r: InspectionEntry): r is UnsentInspection => r.state === 'waiting'

function fromBase64(text: string): ArrayBuffer {
  const binary = atob(text)
  const bytes = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
  return bytes.buffer
}

/** A photo entry's bytes, when they are exactly the photo its hash and size name. */
async function photoBytes(entry: v.InferOutput<typeof PhotoEntrySchema>): Promise<ArrayBuffer> {
  let bytes: ArrayBuffer
  try {
    bytes = fromBase64(entry.base64)
  } catch {
    throw new ImportError('photo_damaged')
  }
  if (bytes.byteLength !== entry.size || (await sha256Hex(bytes)) !== entry.sha256)
    throw new ImportError('photo_damaged')
  return bytes
}

/** A file entry's record data: the entry without the fields the file adds (state, hash, signature…). */
function dataOf(entry: object): Record<string, unknown> {
  const data: Record<string, unknown> = { ...entry }
  for (const field of ENTRY_META_FIELDS) delete data[field]
  return data
}

/** The signature's key from the file, and whether the signature is of `text` by it. */
async function verified(keys: ReadonlyMap<string, PublicKeyJwk>, s: RecordSignature, text: string): Promise<boolean> {
  const key = keys.get(s.keyId)
  return !!key && (await verifyText(key, text, s.value))
}

/**
 * Checks a version 2 file against itself, before anything is trusted: every record's hash, the manifest
 * (records, states, order, photos), the manifest's signature and every record's signature, each with the
 * key the file names — which must be the key whose id it is. Throws ImportError at the first thing changed.
 */
async function verifyFile(file: FileV2): Promise<Map<string, PublicKeyJwk>> {
  const keys = new Map<string, PublicKeyJwk>()
  for (const k of file.keys) {
    if ((await keyIdOf(k.publicKey)) !== k.keyId) throw new ImportError('bad_signature')
    keys.set(k.keyId, k.publicKey)
  }
  const entries: [SignedKind, SignedEntry][] = [
    ...file.checkIns.map((c): [SignedKind, SignedEntry] => ['checkin', c]),
    ...file.notes.map((n): [SignedKind, SignedEntry] => ['note', n]),
    ...(file.inspections ?? []).map((r): [SignedKind, SignedEntry] => ['inspection', r]),
  ]
  for (const [, entry] of entries) {
    if ((await recordHash(dataOf(entry))) !== entry.hash) throw new ImportError('record_changed')
  }
  const made = manifestOf(file as Parameters<typeof manifestOf>[0], file.manifest.keyId)
  if (canonicalJson(made) !== canonicalJson(file.manifest))
    throw new ImportError(manifestProblem(made, file.manifest as ExportManifest))
  if (file.manifest.keyId !== null || file.signature) {
    // A manifest that names its signer is signed by it: a signature taken away is a changed file.
    if (!file.signature || file.signature.keyId !== file.manifest.keyId) throw new ImportError('bad_signature')
    const text = manifestSigningText(await manifestHash(file.manifest as ExportManifest))
    if (!(await verified(keys, file.signature, text))) throw new ImportError('bad_signature')
  }
  for (const [kind, { hash, signature }] of entries) {
    if (signature && !(await verified(keys, signature, recordSigningText(kind, hash))))
      throw new ImportError('bad_signature')
  }
  for (const photo of file.photos) await photoBytes(photo)
  return keys
}

/** Why a file's contents do not make its manifest: the same records in another order, photos, or records. */
function manifestProblem(made: ExportManifest, claimed: ExportManifest): ImportProblem {
  const all = (m: ExportManifest) => [...m.checkIns, ...m.notes, ...(m.inspections ?? [])]
  const ids = (m: ExportManifest) => all(m).map((r) => r.id)
  const sameRecords = canonicalJson(ids(made).sort()) === canonicalJson(ids(claimed).sort())
  const sameEntries = (m: ExportManifest) =>
    canonicalJson(all(m).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)))
  const photosDiffer = canonicalJson(made.photos) !== canonicalJson(claimed.photos)
  // The records just as listed, only the photos not: a photo changed, added or taken out.
  if (photosDiffer && canonicalJson(all(made)) === canonicalJson(all(claimed))) return 'photo_damaged'
  if (sameRecords && sameEntries(made) === sameEntries(claimed)) return 'order_changed'
  if (photosDiffer && sameEntries(made) === sameEntries(claimed)) return 'photo_damaged'
  return 'record_changed'
}

/**
 * Whose keys the file's signatures are: this phone's own or ones it confirmed before, else the server's
 * word. A key the server says is not this inspector's refuses the file; one the server could not be asked
 * about (offline) is taken as unconfirmed: its records are queued, shown as "key not yet confirmed", and the
 * server — which only takes keys the inspector registered while signed in — checks them when they are sent.
 */
async function keyTrust(
  db: ZhixunDB,
  keyIds: ReadonlySet<string>,
  userId: string,
  confirmKey: KeyCheck | undefined,
): Promise<Map<string, boolean>> {
  const here = await keysById(db, [...keyIds])
  const trusted = (k: SigningKeyRow | undefined) =>
    !!k && k.userId === userId && (k.privateKey !== undefined || k.confirmedAt !== undefined)
  const out = new Map<string, boolean>()
  for (const keyId of keyIds) {
    if (trusted(here.get(keyId))) {
      out.set(keyId, true)
      continue
    }
    const answer = confirmKey ? await confirmKey(keyId) : 'unreachable'
    if (answer === 'not_registered') throw new ImportError('unknown_key')
    out.set(keyId, answer === 'registered')
  }
  return out
}

/**
 * Takes in a file from "Export my records" (this phone's or another's, the same inspector's): the records
 * that had not reached the server are queued here with their photos and signatures, under their own ids, so
 * they reach the server exactly once whichever phone sends them first. All of it is checked before anything
 * is written, and written in one transaction: a bad file changes nothing. A file from before phones signed
 * (version 1) is taken in as it always was; its records are marked unsigned, never refused for that.
 */
export async function importRecords(
  db: ZhixunDB,
  text: string,
  userId: string,
  options: ImportOptions = {},
): Promise<ImportResult> {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    throw new ImportError('not_json')
  }
  if (!v.is(ExportMarkSchema, json)) throw new ImportError('not_export')
  const parsed = v.safeParse(ExportFileSchema, json)
  if (!parsed.success) throw new ImportError('invalid')
  const file = parsed.output
  const fileKeys = file.formatVersion === 2 ? await verifyFile(file) : new Map<string, PublicKeyJwk>()

  const unsentCheckIns = file.checkIns.filter(isUnsentCheckIn)
  const unsentNotes = file.notes.filter(isUnsentNote)
  const fileInspections = file.formatVersion === 2 ? (file.inspections ?? []) : []
  const unsentInspections = fileInspections.filter(isUnsentInspection)
  const onServer =
    file.checkIns.length -
    unsentCheckIns.length +
    file.notes.filter((n) => n.state !== 'waiting' && !n.deleted).length +
    fileInspections.length -
    unsentInspections.length
  const signatureOf = (entry: object): RecordSignature | undefined =>
    (entry as { signature?: RecordSignature }).signature
  const checkIns: { data: CheckIn; signature?: RecordSignature }[] = unsentCheckIns.map((entry) => ({
    data: dataOf(entry) as CheckIn,
    signature: signatureOf(entry),
  }))
  const notes: { data: FieldNote; signature?: RecordSignature }[] = unsentNotes.map((entry) => {
    // An unsent note is no conflict copy: `conflictOf` is at most an empty mark, not part of the note.
    const data = dataOf(entry)
    delete data.conflictOf
    return { data: data as FieldNote, signature: signatureOf(entry) }
  })
  const inspections: { data: Inspection; signature?: RecordSignature }[] = unsentInspections.map((entry) => ({
    data: dataOf(entry) as Inspection,
    signature: signatureOf(entry),
  }))
  // Someone else's file is refused whole, sent records included: it is not this inspector's to take in.
  if ([...file.checkIns, ...file.notes, ...fileInspections].some((r) => r.authorId !== userId))
    throw new ImportError('other_author')

  const here = new Set(
    [
      ...(await db.checkins.bulkGet(checkIns.map((c) => c.data.id))),
      ...(await db.notes.bulkGet(notes.map((n) => n.data.id))),
      ...(await db.inspections.bulkGet(inspections.map((r) => r.data.id))),
    ].flatMap((r) => (r ? [r.id] : [])),
  )
  const freshCheckIns = checkIns.filter((c) => !here.has(c.data.id))
  const freshNotes = notes.filter((n) => !here.has(n.data.id))
  const freshInspections = inspections.filter((r) => !here.has(r.data.id))

  // Every photo a queued check-in needs must be in the file, byte for byte.
  const photos = new Map<string, NewPhoto>()
  for (const ref of freshCheckIns.flatMap((c) => c.data.photos)) {
    if (photos.has(ref.sha256)) continue
    const entry = file.photos.find((p) => p.sha256 === ref.sha256)
    if (!entry || entry.size !== ref.size) throw new ImportError('photo_damaged')
    photos.set(ref.sha256, { sha256: ref.sha256, size: ref.size, type: ref.type, bytes: await photoBytes(entry) })
  }
  // And every photo and drawn signature a queued inspection record names: in the file, or on this phone already.
  for (const ref of freshInspections.flatMap((r) => [...r.data.photos, ...r.data.signatures])) {
    if (photos.has(ref.sha256)) continue
    const entry = file.photos.find((p) => p.sha256 === ref.sha256)
    if (entry && entry.size === ref.size) {
      photos.set(ref.sha256, { sha256: ref.sha256, size: ref.size, type: ref.type, bytes: await photoBytes(entry) })
      continue
    }
    if (entry || (await db.photos.get(ref.sha256))?.size !== ref.size) throw new ImportError('photo_damaged')
  }

  // Whose keys signed what is asked only now, when the file is known to be whole: the network comes last.
  const usedKeys = new Set(
    [...freshCheckIns, ...freshNotes, ...freshInspections]
      .flatMap((r) => r.signature?.keyId ?? [])
      .concat(file.formatVersion === 2 && file.signature ? [file.signature.keyId] : []),
  )
  const trust = await keyTrust(db, usedKeys, userId, options.confirmKey)
  const fileKeyUnconfirmed = file.formatVersion === 2 && !!file.signature && trust.get(file.signature.keyId) === false
  const signing = (signature: RecordSignature | undefined): RecordSigning =>
    signature
      ? { signature, ...(trust.get(signature.keyId) === false || fileKeyUnconfirmed ? { keyUnconfirmed: true } : {}) }
      : {}

  const now = Date.now()
  const checkInRows: LocalCheckIn[] = await Promise.all(
    freshCheckIns.map(async ({ data, signature }) => ({
      id: data.id,
      data,
      taskNumbers: data.taskNumbers,
      hash: await recordHash(data),
      state: 'waiting' as const,
      origin: 'mine' as const,
      savedAt: now,
      ...signing(signature),
    })),
  )
  const noteRows: LocalNote[] = await Promise.all(
    freshNotes.map(async ({ data, signature }) => ({
      id: data.id,
      taskNumber: data.taskNumber,
      data,
      hash: await recordHash(data),
      state: 'waiting' as const,
      serverVersion: null,
      deleted: 0 as const,
      origin: 'mine' as const,
      savedAt: now,
      ...signing(signature),
    })),
  )
  const inspectionRows: (LocalInspection & { data: Inspection })[] = await Promise.all(
    freshInspections.map(async ({ data, signature }) => ({
      id: data.id,
      checkInId: data.checkInId,
      data,
      hash: await recordHash(data),
      state: 'waiting' as const,
      origin: 'mine' as const,
      savedAt: now,
      ...signing(signature),
    })),
  )
  const photosOf = (r: Inspection): LocalPhoto[] =>
    [...r.photos, ...r.signatures].flatMap((ref) => {
      const p = photos.get(ref.sha256)
      return p ? [{ ...p, state: 'local' as const, savedAt: now }] : []
    })
  const keysToKeep = [...usedKeys].flatMap((keyId) => {
    const publicKey = fileKeys.get(keyId)
    const clientId = file.formatVersion === 2 ? file.keys.find((k) => k.keyId === keyId)?.clientId : undefined
    return publicKey && clientId ? [{ keyId, clientId, publicKey, confirmed: trust.get(keyId) === true }] : []
  })
  await rememberPublicKeys(db, keysToKeep, userId)
  const tables = [db.checkins, db.notes, db.inspections, db.outbox, db.syncMeta, db.photos]
  await db.transaction('rw', tables, async () => {
    for (const row of checkInRows)
      await putQueuedCheckIn(
        db,
        row,
        row.data.photos.map((p) => photos.get(p.sha256)!),
      )
    for (const row of noteRows) await putQueuedNote(db, row)
    // After the check-ins they were made from, under their own ids, their chain links as their phone gave them.
    for (const row of inspectionRows) await putQueuedInspection(db, row, photosOf(row.data))
  })
  const rows = [...checkInRows, ...noteRows, ...inspectionRows]
  return {
    queued: rows.length,
    alreadyHere: here.size,
    onServer,
    unsigned: rows.filter((r) => !r.signature).length,
    unconfirmed: rows.filter((r) => r.keyUnconfirmed).length,
  }
}
