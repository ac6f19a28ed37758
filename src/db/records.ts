import * as v from 'valibot'
import { recordHash } from '@/kernel/canonical'
import { ZhixunError } from '@/kernel/errors'
import {
  CheckInSchema,
  FieldNoteSchema,
  validationReason,
  type CheckIn,
  type FieldNote,
  type PhotoRef,
} from '@/kernel/sync-schema'
import { uuidv7 } from '@/kernel/uuid'
import type { LocalCheckIn, LocalNote, LocalPhoto, ZhixunDB } from './db'
import { enqueue } from './outbox'
import { saveChained } from './chain'
import { signRecordHash } from './signingKeys'
export { syncMeta, unsentSummary } from './outbox'

/** A record the schema refuses; `detail` names the first field that is wrong and why, in English. */
export class RecordInvalidError extends ZhixunError<'invalid'> {
  constructor(readonly detail: string) {
    super('invalid', detail)
    this.name = 'RecordInvalidError'
  }
}

export interface NewPhoto extends PhotoRef {
  bytes: ArrayBuffer
}

function check<T extends v.GenericSchema>(schema: T, value: unknown): v.InferOutput<T> {
  const result = v.safeParse(schema, value)
  if (!result.success) throw new RecordInvalidError(validationReason(result.issues))
  return result.output
}

/**
 * Saves a finished check-in with its photos and queues it for the server, all in one transaction: the
 * record is never on the phone without its outbox entry, or the other way round. It takes the next link of
 * this phone's record chain (src/db/chain.ts), inside the record, so its signature covers it.
 */
export async function saveCheckIn(
  db: ZhixunDB,
  input: CheckIn,
  photos: NewPhoto[] = [],
  draftKey?: string,
): Promise<LocalCheckIn> {
  const checked = check(CheckInSchema, input)
  return saveChained(
    db,
    [db.checkins, db.photos, db.drafts],
    // Hashing and signing are not IndexedDB work, so they happen before the transaction, never inside it.
    async (chain) => {
      const data: CheckIn = { ...checked, chain }
      const hash = await recordHash(data)
      const signature = await signRecordHash(db, 'checkin', hash, data.authorId)
      return {
        id: data.id,
        data,
        taskNumbers: data.taskNumbers,
        hash,
        state: 'waiting',
        origin: 'mine',
        savedAt: Date.now(),
        ...(signature ? { signature } : {}),
      } satisfies LocalCheckIn
    },
    async (record) => {
      await putQueuedCheckIn(db, record, photos)
      if (draftKey) await db.drafts.delete(draftKey)
    },
  )
}

/**
 * Writes a check-in (already validated and hashed), its photos and its outbox entry. Call it inside a
 * transaction over checkins, outbox, syncMeta and photos. It leaves the record's chain link as it is: an
 * imported record keeps the one its phone gave it (or none, from a phone before chains).
 */
export async function putQueuedCheckIn(db: ZhixunDB, record: LocalCheckIn, photos: readonly NewPhoto[]): Promise<void> {
  for (const p of photos) {
    if (!(await db.photos.get(p.sha256)))
      await db.photos.add({
        sha256: p.sha256,
        size: p.size,
        type: p.type,
        bytes: p.bytes,
        state: 'local',
        savedAt: record.savedAt,
      } satisfies LocalPhoto)
  }
  await db.checkins.add(record)
  await enqueue<'checkin.create'>(db, {
    name: 'checkin.create',
    args: record.data,
    recordId: record.id,
    queuedAt: record.savedAt,
    ...(record.signature ? { signature: record.signature } : {}),
  })
}

/**
 * Saves a new or edited field note and queues it; the edit carries the server version it was made from. Each
 * save is a record of the chain of its own (src/db/chain.ts).
 */
export async function saveNote(
  db: ZhixunDB,
  input: { id?: string; taskNumber: number; text: string; authorId: string },
  draftKey?: string,
): Promise<LocalNote> {
  const now = new Date()
  const existing = input.id ? await db.notes.get(input.id) : undefined
  const note: FieldNote = check(FieldNoteSchema, {
    id: existing?.id ?? uuidv7(now.getTime()),
    authorId: existing?.data.authorId ?? input.authorId,
    taskNumber: existing?.taskNumber ?? input.taskNumber,
    text: input.text,
    createdAt: existing?.data.createdAt ?? now.toISOString(),
    updatedAt: now.toISOString(),
  })
  const baseVersion = existing?.serverVersion ?? null
  return saveChained(
    db,
    [db.notes, db.drafts],
    async (chain) => {
      const data: FieldNote = { ...note, chain }
      const hash = await recordHash(data)
      const signature = await signRecordHash(db, 'note', hash, data.authorId)
      return {
        id: data.id,
        taskNumber: data.taskNumber,
        data,
        hash,
        state: 'waiting',
        serverVersion: baseVersion,
        deleted: 0,
        origin: existing?.origin ?? 'mine',
        savedAt: now.getTime(),
        ...(signature ? { signature } : {}),
      } satisfies LocalNote
    },
    async (record) => {
      await putQueuedNote(db, record)
      if (draftKey) await db.drafts.delete(draftKey)
    },
  )
}

/**
 * Writes a note (already validated and hashed) and its outbox entry, which names the server version the
 * note was made from. Call it inside a transaction over notes, outbox and syncMeta.
 */
export async function putQueuedNote(db: ZhixunDB, record: LocalNote): Promise<void> {
  await db.notes.put(record)
  await enqueue<'note.put'>(db, {
    name: 'note.put',
    args: { note: record.data, baseVersion: record.serverVersion },
    recordId: record.id,
    queuedAt: record.savedAt,
    ...(record.signature ? { signature: record.signature } : {}),
  })
}

export async function deleteNote(db: ZhixunDB, id: string): Promise<void> {
  await db.transaction('rw', [db.notes, db.outbox, db.syncMeta], async () => {
    const note = await db.notes.get(id)
    if (!note || note.deleted) return
    await db.notes.update(id, { deleted: 1, state: 'waiting', savedAt: Date.now() })
    await enqueue<'note.delete'>(db, {
      name: 'note.delete',
      args: { id, baseVersion: note.serverVersion },
      recordId: id,
      queuedAt: Date.now(),
    })
  })
}
