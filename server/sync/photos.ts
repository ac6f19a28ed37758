import { createHash } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { PhotoRef } from '../../src/kernel/sync-schema'
import { nowIso, type Database } from '../db/database'
import { ApiRefusal } from '../http/errors'

export interface UploadState {
  offset: number
  complete: boolean
}

/** The last chunk arrived but the bytes do not hash to the announced SHA-256; the upload was discarded. */
export interface HashMismatch {
  mismatch: string
}

/** Starts (or finds) the upload of a photo named by its hash; says how many bytes the server already has. */
export async function startUpload(db: Kysely<Database>, ref: PhotoRef): Promise<UploadState> {
  const done = await db.selectFrom('photos').select('size').where('sha256', '=', ref.sha256).executeTakeFirst()
  if (done) return { offset: done.size, complete: true }
  await db
    .insertInto('photo_uploads')
    .values({ sha256: ref.sha256, size: ref.size, type: ref.type, received: 0, created_at: nowIso() })
    .onConflict((oc) => oc.column('sha256').doNothing())
    .execute()
  const upload = await db
    .selectFrom('photo_uploads')
    .selectAll()
    .where('sha256', '=', ref.sha256)
    .executeTakeFirstOrThrow()
  if (upload.size !== ref.size || upload.type !== ref.type) {
    throw new ApiRefusal(409, 'upload_mismatch', 'An upload of this photo was started with another size or type', {
      size: upload.size,
      type: upload.type,
    })
  }
  return { offset: upload.received, complete: false }
}

export async function uploadState(db: Kysely<Database>, sha256: string): Promise<UploadState | undefined> {
  const done = await db.selectFrom('photos').select('size').where('sha256', '=', sha256).executeTakeFirst()
  if (done) return { offset: done.size, complete: true }
  const upload = await db.selectFrom('photo_uploads').select('received').where('sha256', '=', sha256).executeTakeFirst()
  return upload && { offset: upload.received, complete: false }
}

/**
 * Appends a chunk at `offset`. When the last byte arrives the server hashes the whole photo: it is kept only
 * if the hash is the one it was announced under; otherwise the upload is discarded and must start again.
 */
export async function appendChunk(
  db: Kysely<Database>,
  sha256: string,
  offset: number,
  bytes: Buffer,
): Promise<UploadState | HashMismatch> {
  return db.transaction().execute(async (tx) => {
    const done = await tx.selectFrom('photos').select('size').where('sha256', '=', sha256).executeTakeFirst()
    if (done) return { offset: done.size, complete: true }
    const upload = await tx.selectFrom('photo_uploads').selectAll().where('sha256', '=', sha256).executeTakeFirst()
    if (!upload) throw new ApiRefusal(404, 'no_upload', 'Start the upload first (POST /api/photos)')
    if (offset !== upload.received) {
      throw new ApiRefusal(409, 'offset_mismatch', `The server has ${upload.received} bytes of this photo`, {
        offset: upload.received,
      })
    }
    if (bytes.length === 0) throw new ApiRefusal(400, 'empty_chunk', 'The chunk is empty')
    const received = upload.received + bytes.length
    if (received > upload.size)
      throw new ApiRefusal(413, 'too_large', `The photo was announced as ${upload.size} bytes`)
    await tx.insertInto('photo_chunks').values({ sha256, offset, bytes }).execute()
    await tx.updateTable('photo_uploads').set({ received }).where('sha256', '=', sha256).execute()
    if (received < upload.size) return { offset: received, complete: false }

    const chunks = await tx
      .selectFrom('photo_chunks')
      .select('bytes')
      .where('sha256', '=', sha256)
      .orderBy('offset')
      .execute()
    const whole = Buffer.concat(chunks.map((c) => Buffer.from(c.bytes)))
    await tx.deleteFrom('photo_chunks').where('sha256', '=', sha256).execute()
    await tx.deleteFrom('photo_uploads').where('sha256', '=', sha256).execute()
    const actual = createHash('sha256').update(whole).digest('hex')
    // Returned, not thrown, so that discarding the bad upload commits.
    if (actual !== sha256) return { mismatch: actual }
    await tx
      .insertInto('photos')
      .values({ sha256, size: whole.length, type: upload.type, bytes: whole, created_at: nowIso() })
      .execute()
    return { offset: whole.length, complete: true }
  })
}

export async function readPhoto(db: Kysely<Database>, sha256: string) {
  return db.selectFrom('photos').select(['bytes', 'type', 'size']).where('sha256', '=', sha256).executeTakeFirst()
}
