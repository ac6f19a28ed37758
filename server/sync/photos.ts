/**
 * Photo uploads. The stored bytes of a photo are kept once, under their SHA-256; who may refer to them is kept
 * per user (photo_owners), earned by uploading every byte. Uploads belong to their uploader: nobody else can
 * add to one, stall it or learn it exists, and nothing here tells anyone whether someone else stored a photo.
 */
import { createHash } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { PhotoRef } from '../../src/kernel/sync-schema'
import { uuidv7 } from '../../src/kernel/uuid'
import { nowIso, type Database } from '../db/database'
import { ApiRefusal } from '../http/errors'
import { DatabasePhotoStorage, type PhotoStorage } from '../photos/storage'

/** Where photos go when the caller names no storage: the database, as before there was a choice. */
const IN_DATABASE = new DatabasePhotoStorage()

/** An unfinished upload is dropped a day after it started; its phone then starts it again from byte 0. */
export const UPLOAD_LIFETIME_MS = 24 * 60 * 60 * 1000
/**
 * What one user's unfinished uploads may add up to, by the sizes they announced: a phone uploads one photo
 * at a time, so this is room for many abandoned ones, and a bound on what one account can make the server hold.
 */
export const UPLOAD_QUOTA_BYTES = 50 * 1024 * 1024

export interface UploadState {
  offset: number
  complete: boolean
}

/** The last chunk arrived but the bytes do not hash to the announced SHA-256; the upload was discarded. */
export interface HashMismatch {
  mismatch: string
}

/** Uploads started before this moment have expired. */
const expiryCutoff = (now = Date.now()): string => new Date(now - UPLOAD_LIFETIME_MS).toISOString()

/** The size of a photo `userId` owns (uploaded every byte of); undefined when they own no photo of that hash. */
async function ownedSize(db: Kysely<Database>, userId: string, sha256: string): Promise<number | undefined> {
  const row = await db
    .selectFrom('photo_owners')
    .innerJoin('photos', 'photos.sha256', 'photo_owners.sha256')
    .select('photos.size')
    .where('photo_owners.user_id', '=', userId)
    .where('photo_owners.sha256', '=', sha256)
    .executeTakeFirst()
  return row?.size
}

/** Drops every upload that has outlived its day, with its chunks; answers how many. */
export async function dropExpiredUploads(db: Kysely<Database>, now = Date.now()): Promise<number> {
  return db.transaction().execute(async (tx) => {
    // Uploads first: an append to one of them holds its row until it commits, so its chunk is dropped too.
    const gone = await tx
      .deleteFrom('photo_uploads')
      .where('created_at', '<', expiryCutoff(now))
      .returning('id')
      .execute()
    const ids = gone.map((u) => u.id)
    for (let i = 0; i < ids.length; i += 500)
      await tx
        .deleteFrom('photo_chunks')
        .where('upload_id', 'in', ids.slice(i, i + 500))
        .execute()
    return ids.length
  })
}

/**
 * Starts (or finds) `userId`'s upload of a photo; says how many bytes of it the server has from them. Only
 * their own uploads count: a photo someone else stored, or is uploading, is answered as a new upload.
 */
export async function startUpload(db: Kysely<Database>, userId: string, ref: PhotoRef): Promise<UploadState> {
  await dropExpiredUploads(db)
  return db.transaction().execute(async (tx) => {
    const owned = await ownedSize(tx, userId, ref.sha256)
    if (owned !== undefined) return { offset: owned, complete: true }
    // One user's starts follow each other (a no-op update takes their row's lock on PostgreSQL; SQLite has
    // one writer), so two at once cannot both fit under the quota.
    await tx
      .updateTable('users')
      .set((eb) => ({ disabled: eb.ref('disabled') }))
      .where('id', '=', userId)
      .execute()
    const upload = await tx
      .selectFrom('photo_uploads')
      .selectAll()
      .where('uploader_id', '=', userId)
      .where('sha256', '=', ref.sha256)
      .executeTakeFirst()
    if (upload && upload.size === ref.size && upload.type === ref.type)
      return { offset: upload.received, complete: false }
    // Their own upload announced again otherwise: it starts again as announced now.
    if (upload) {
      await tx.deleteFrom('photo_chunks').where('upload_id', '=', upload.id).execute()
      await tx.deleteFrom('photo_uploads').where('id', '=', upload.id).execute()
    }
    const { pending } = await tx
      .selectFrom('photo_uploads')
      .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('size'), eb.lit(0)).as('pending'))
      .where('uploader_id', '=', userId)
      .executeTakeFirstOrThrow()
    if (Number(pending) + ref.size > UPLOAD_QUOTA_BYTES) {
      throw new ApiRefusal(
        429,
        'upload_quota',
        `Unfinished uploads may add up to ${UPLOAD_QUOTA_BYTES} bytes; finish them or wait for them to expire`,
        { quotaBytes: UPLOAD_QUOTA_BYTES, pendingBytes: Number(pending) },
      )
    }
    await tx
      .insertInto('photo_uploads')
      .values({
        id: uuidv7(),
        uploader_id: userId,
        sha256: ref.sha256,
        size: ref.size,
        type: ref.type,
        received: 0,
        created_at: nowIso(),
      })
      .execute()
    return { offset: 0, complete: false }
  })
}

/** Where `userId`'s upload of a photo stands; undefined when they have none (and own no photo of that hash). */
export async function uploadState(
  db: Kysely<Database>,
  userId: string,
  sha256: string,
): Promise<UploadState | undefined> {
  const owned = await ownedSize(db, userId, sha256)
  if (owned !== undefined) return { offset: owned, complete: true }
  const upload = await db
    .selectFrom('photo_uploads')
    .select('received')
    .where('uploader_id', '=', userId)
    .where('sha256', '=', sha256)
    .where('created_at', '>=', expiryCutoff())
    .executeTakeFirst()
  return upload && { offset: upload.received, complete: false }
}

/**
 * Appends a chunk of `userId`'s upload at `offset`. When the last byte arrives the server hashes the whole
 * photo: if it is the hash it was announced under, the bytes are stored in `storage` (once, whoever else has
 * them) and the uploader owns the photo; otherwise the upload is discarded and must start again. The chunks
 * until then are in the database, whatever the storage, so any server on it can take the next one.
 */
export async function appendChunk(
  db: Kysely<Database>,
  userId: string,
  sha256: string,
  offset: number,
  bytes: Buffer,
  storage: PhotoStorage = IN_DATABASE,
): Promise<UploadState | HashMismatch> {
  return db.transaction().execute(async (tx) => {
    // Taking the upload's row first: the same chunk sent twice at once waits for the first, then finds
    // the upload moved on or finished.
    const upload = await tx
      .updateTable('photo_uploads')
      .set((eb) => ({ received: eb.ref('received') }))
      .where('uploader_id', '=', userId)
      .where('sha256', '=', sha256)
      .where('created_at', '>=', expiryCutoff())
      .returningAll()
      .executeTakeFirst()
    if (!upload) {
      const owned = await ownedSize(tx, userId, sha256)
      if (owned !== undefined) return { offset: owned, complete: true }
      throw new ApiRefusal(404, 'no_upload', 'Start the upload first (POST /api/photos)')
    }
    if (offset !== upload.received) {
      throw new ApiRefusal(409, 'offset_mismatch', `The server has ${upload.received} bytes of this photo`, {
        offset: upload.received,
      })
    }
    if (bytes.length === 0) throw new ApiRefusal(400, 'empty_chunk', 'The chunk is empty')
    const received = upload.received + bytes.length
    if (received > upload.size)
      throw new ApiRefusal(413, 'too_large', `The photo was announced as ${upload.size} bytes`)
    await tx.insertInto('photo_chunks').values({ upload_id: upload.id, offset, bytes }).execute()
    await tx.updateTable('photo_uploads').set({ received }).where('id', '=', upload.id).execute()
    if (received < upload.size) return { offset: received, complete: false }

    const chunks = await tx
      .selectFrom('photo_chunks')
      .select('bytes')
      .where('upload_id', '=', upload.id)
      .orderBy('offset')
      .execute()
    const whole = Buffer.concat(chunks.map((c) => Buffer.from(c.bytes)))
    await tx.deleteFrom('photo_chunks').where('upload_id', '=', upload.id).execute()
    await tx.deleteFrom('photo_uploads').where('id', '=', upload.id).execute()
    const actual = createHash('sha256').update(whole).digest('hex')
    // Returned, not thrown, so that discarding the bad upload commits.
    if (actual !== sha256) return { mismatch: actual }
    const at = nowIso()
    const stored = await tx.selectFrom('photos').select('storage').where('sha256', '=', sha256).executeTakeFirst()
    // The bytes are kept before the row that names them is written: a row never points at bytes that are not
    // there. If the storage fails, nothing here commits and the phone sends the last chunk again. A photo
    // stored already stays where it is, but its file, if it was lost, is written again from these bytes.
    if (!stored || (stored.storage === 'folder' && storage.kind === 'folder')) {
      const kept = await storage.put(sha256, whole)
      await tx
        .insertInto('photos')
        .values({ sha256, size: whole.length, type: upload.type, bytes: kept, storage: storage.kind, created_at: at })
        .onConflict((oc) => oc.column('sha256').doNothing())
        .execute()
    }
    await tx
      .insertInto('photo_owners')
      .values({ user_id: userId, sha256, created_at: at })
      .onConflict((oc) => oc.columns(['user_id', 'sha256']).doNothing())
      .execute()
    return { offset: whole.length, complete: true }
  })
}

/**
 * The photo's bytes, for whoever may read a check-in that refers to it (see the route): one lookup by primary
 * key, then its bytes from that row or from the storage the row names (a photo stored in the database before
 * the server moved to a folder is still read from its row). Undefined when no such photo is stored.
 */
export async function readPhoto(db: Kysely<Database>, sha256: string, storage: PhotoStorage = IN_DATABASE) {
  const row = await db
    .selectFrom('photos')
    .select(['sha256', 'storage', 'bytes', 'type', 'size'])
    .where('sha256', '=', sha256)
    .executeTakeFirst()
  return row && { type: row.type, size: row.size, bytes: await storage.get(row) }
}
