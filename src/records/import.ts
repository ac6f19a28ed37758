import * as v from 'valibot'
import type { LocalCheckIn, LocalNote, ZhixunDB } from '@/db/db'
import { putQueuedCheckIn, putQueuedNote, type NewPhoto } from '@/db/records'
import { recordHash, sha256Hex } from '@/kernel/canonical'
import { ZhixunError } from '@/kernel/errors'
import { CheckInSchema, FieldNoteSchema, PhotoRefSchema, type CheckIn, type FieldNote } from '@/kernel/sync-schema'
import { EXPORT_FORMAT } from './export'

/** Why a file could not be taken in; nothing on the phone was changed. */
export type ImportProblem = 'not_json' | 'not_export' | 'invalid' | 'other_author' | 'photo_damaged'

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
}

/** Only the file's mark: anything without it is some other file, not a damaged export. */
const ExportMarkSchema = v.object({ format: v.literal(EXPORT_FORMAT) })

const SENT_STATES = ['draft', 'sent', 'verified', 'rejected', 'conflict'] as const
/** The reason the server gave stays with the records on the old phone; a file's copy of it is not used. */
const Reason = v.optional(v.unknown())

// Records that had not reached the server are queued here, so each is checked in full; the rest come back
// from the server with the next sync, and the file's copy is only counted and its author compared.
const CheckInEntrySchema = v.variant('state', [
  v.strictObject({ ...CheckInSchema.entries, state: v.literal('waiting'), reason: Reason }),
  v.looseObject({ state: v.picklist(SENT_STATES) }),
])
const UnsentNoteSchema = v.strictObject({
  ...FieldNoteSchema.entries,
  state: v.literal('waiting'),
  deleted: v.literal(false),
  conflictOf: v.optional(v.custom<null>((x) => !x)),
  reason: Reason,
})
const NoteEntrySchema = v.variant('state', [
  v.variant('deleted', [
    v.variant('conflictOf', [
      UnsentNoteSchema,
      // A copy the server kept beside a conflicting edit: it is the server's already.
      v.looseObject({ state: v.literal('waiting'), deleted: v.literal(false), conflictOf: v.custom((x) => !!x) }),
    ]),
    v.looseObject({ state: v.literal('waiting'), deleted: v.literal(true) }),
  ]),
  v.looseObject({ state: v.picklist(SENT_STATES), deleted: v.boolean() }),
])

/** A whole export file (src/records/export.ts); when it was made and on which phone are not needed here. */
const ExportFileSchema = v.object({
  format: v.literal(EXPORT_FORMAT),
  formatVersion: v.literal(1),
  checkIns: v.array(CheckInEntrySchema),
  notes: v.array(NoteEntrySchema),
  photos: v.array(v.object({ ...PhotoRefSchema.entries, base64: v.string() })),
})
type ExportFile = v.InferOutput<typeof ExportFileSchema>
type UnsentCheckIn = Extract<ExportFile['checkIns'][number], { state: 'waiting' }>
type UnsentNote = v.InferOutput<typeof UnsentNoteSchema>

const isUnsentCheckIn = (c: ExportFile['checkIns'][number]): c is UnsentCheckIn => c.state === 'waiting'
const isUnsentNote = (n: ExportFile['notes'][number]): n is UnsentNote =>
  n.state === 'waiting' && !n.deleted && !n.conflictOf

function fromBase64(text: string): ArrayBuffer {
  const binary = atob(text)
  const bytes = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
  return bytes.buffer
}

/**
 * Takes in a file from "Export my records" (this phone's or another's, the same inspector's): the records
 * that had not reached the server are queued here with their photos, under their own ids, so they reach the
 * server exactly once whichever phone sends them first. All of it is checked before anything is written,
 * and written in one transaction: a bad file changes nothing.
 */
export async function importRecords(db: ZhixunDB, text: string, userId: string): Promise<ImportResult> {
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

  const unsentCheckIns = file.checkIns.filter(isUnsentCheckIn)
  const unsentNotes = file.notes.filter(isUnsentNote)
  const onServer =
    file.checkIns.length - unsentCheckIns.length + file.notes.filter((n) => n.state !== 'waiting' && !n.deleted).length
  const checkIns: CheckIn[] = unsentCheckIns.map(({ state: _s, reason: _r, ...c }) => c)
  const notes: FieldNote[] = unsentNotes.map(({ state: _s, reason: _r, deleted: _d, conflictOf: _c, ...n }) => n)
  // Someone else's file is refused whole, sent records included: it is not this inspector's to take in.
  if ([...file.checkIns, ...file.notes].some((r) => r.authorId !== userId)) throw new ImportError('other_author')

  const here = new Set(
    [
      ...(await db.checkins.bulkGet(checkIns.map((c) => c.id))),
      ...(await db.notes.bulkGet(notes.map((n) => n.id))),
    ].flatMap((r) => (r ? [r.id] : [])),
  )
  const freshCheckIns = checkIns.filter((c) => !here.has(c.id))
  const freshNotes = notes.filter((n) => !here.has(n.id))

  // Every photo a queued check-in needs must be in the file, byte for byte.
  const photos = new Map<string, NewPhoto>()
  for (const ref of freshCheckIns.flatMap((c) => c.photos)) {
    if (photos.has(ref.sha256)) continue
    const entry = file.photos.find((p) => p.sha256 === ref.sha256)
    if (!entry) throw new ImportError('photo_damaged')
    let bytes: ArrayBuffer
    try {
      bytes = fromBase64(entry.base64)
    } catch {
      throw new ImportError('photo_damaged')
    }
    if (bytes.byteLength !== ref.size || (await sha256Hex(bytes)) !== ref.sha256) throw new ImportError('photo_damaged')
    photos.set(ref.sha256, { sha256: ref.sha256, size: ref.size, type: ref.type, bytes })
  }

  const now = Date.now()
  const checkInRows: LocalCheckIn[] = await Promise.all(
    freshCheckIns.map(async (data) => ({
      id: data.id,
      data,
      taskNumbers: data.taskNumbers,
      hash: await recordHash(data),
      state: 'waiting' as const,
      origin: 'mine' as const,
      savedAt: now,
    })),
  )
  const noteRows: LocalNote[] = await Promise.all(
    freshNotes.map(async (data) => ({
      id: data.id,
      taskNumber: data.taskNumber,
      data,
      hash: await recordHash(data),
      state: 'waiting' as const,
      serverVersion: null,
      deleted: 0,
      origin: 'mine' as const,
      savedAt: now,
    })),
  )
  await db.transaction('rw', [db.checkins, db.notes, db.outbox, db.syncMeta, db.photos], async () => {
    for (const row of checkInRows)
      await putQueuedCheckIn(
        db,
        row,
        row.data.photos.map((p) => photos.get(p.sha256)!),
      )
    for (const row of noteRows) await putQueuedNote(db, row)
  })
  return { queued: checkInRows.length + noteRows.length, alreadyHere: here.size, onServer }
}
