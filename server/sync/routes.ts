import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { Transaction } from 'kysely'
import * as v from 'valibot'
import { LIMITS, PhotoRefSchema, PushRequestSchema, Sha256Schema } from '../../src/kernel/sync-schema'
import { expandPush } from '../../src/kernel/wire'
import { requireUser } from '../auth/session'
import { Turns } from '../http/turns'
import type { Database, Store } from '../db/database'
import { readableRecords } from '../campaigns/store'
import { ApiRefusal, withConflictRetry } from '../http/errors'
import { readRequest, Single, WholeNumber } from '../http/request'
import type { PhotoStorage } from '../photos/storage'
import { appendChunk, readPhoto, startUpload, uploadState } from './photos'
import { pull } from './pull'
import { push } from './push'

export interface SyncRoutesOptions {
  store: Store
  taskNumbers: ReadonlySet<number>
  /** Where whole photos go (server/photos/storage.ts); the database when not given. */
  photoStorage?: PhotoStorage
  beforePushCommit?: (tx: Transaction<Database>) => void | Promise<void>
}

const CHUNK_TYPE = 'application/offset+octet-stream'

const PullQuerySchema = v.object({
  cursor: v.optional(WholeNumber, '0'),
  limit: v.optional(
    v.pipe(
      WholeNumber,
      v.minValue(1, `must be 1 to ${LIMITS.pullPage}`),
      v.maxValue(LIMITS.pullPage, `must be 1 to ${LIMITS.pullPage}`),
    ),
    String(LIMITS.pullPage),
  ),
  // What the phone keeps and which phone it is (server/sync/pull.ts PullOptions): older phones say neither.
  keepFrom: v.optional(
    v.pipe(
      Single,
      v.isoTimestamp('must be an ISO timestamp'),
      v.check((s) => Number.isFinite(Date.parse(s)), 'must be an ISO timestamp'),
    ),
  ),
  client: v.optional(v.pipe(Single, v.regex(/^[A-Za-z0-9-]{8,64}$/, 'must be 8 to 64 letters, digits or dashes'))),
})

const PhotoParamsSchema = v.object({ sha256: Sha256Schema })
const photoOf = (req: FastifyRequest): string => readRequest(PhotoParamsSchema, req.params).sha256

const ChunkHeadersSchema = v.object({ 'upload-offset': WholeNumber }, 'is required')

/** Just enough of a photo's announcement to refuse one too large before anything else is said about it. */
const AnnouncedSizeSchema = v.object({ size: v.number() })

function refuseOversizedPhoto(announcement: unknown): void {
  const announced = v.safeParse(AnnouncedSizeSchema, announcement)
  if (announced.success && announced.output.size > LIMITS.photoBytes) {
    throw new ApiRefusal(413, 'too_large', `Photos may be at most ${LIMITS.photoBytes} bytes`, {
      maxBytes: LIMITS.photoBytes,
    })
  }
}

export async function syncRoutes(app: FastifyInstance, opts: SyncRoutesOptions): Promise<void> {
  const { db } = opts.store

  app.addContentTypeParser(CHUNK_TYPE, { parseAs: 'buffer', bodyLimit: LIMITS.photoChunkBytes }, (_req, body, done) =>
    done(null, body),
  )

  /** What the phone must know before an inspector finishes a record. */
  app.get('/api/limits', async (_req, reply) => {
    reply.header('Cache-Control', 'no-cache')
    return LIMITS
  })

  /** Pages of up to 500 records, two at a time: a burst of phones is served in order, and health checks in between. */
  const pulls = new Turns(2)

  app.post('/api/sync/push', { bodyLimit: LIMITS.pushBodyBytes }, async (req) => {
    const user = await requireUser(opts.store, req)
    // A compact push (wire 2, src/kernel/wire.ts) is read as the push it stands for; an older phone's as it came.
    const body = readRequest(PushRequestSchema, expandPush(req.body))
    // A push that lost a race with another transaction was undone by the database: run it once more.
    return withConflictRetry(() =>
      push({ db, user, taskNumbers: opts.taskNumbers, beforeCommit: opts.beforePushCommit }, body),
    )
  })

  app.get('/api/sync/pull', async (req, reply) => {
    const { cursor, limit, keepFrom, client } = readRequest(PullQuerySchema, req.query)
    // Read and written out in turns (server/http/turns.ts); compressed afterwards, off this thread.
    const body = await pulls.run(async () => {
      const user = await requireUser(opts.store, req)
      return JSON.stringify(await pull(db, user, cursor, limit, { keepFrom, clientId: client }))
    })
    return reply.type('application/json; charset=utf-8').send(body)
  })

  app.post('/api/photos', async (req, reply) => {
    const user = await requireUser(opts.store, req)
    refuseOversizedPhoto(req.body)
    const state = await startUpload(db, user.id, readRequest(PhotoRefSchema, req.body))
    return reply.code(state.complete ? 200 : 201).send(state)
  })

  app.get('/api/photos/:sha256/upload', async (req) => {
    const user = await requireUser(opts.store, req)
    const state = await uploadState(db, user.id, photoOf(req))
    if (!state) throw new ApiRefusal(404, 'no_upload', 'No upload of this photo has started')
    return state
  })

  app.patch('/api/photos/:sha256', async (req) => {
    const user = await requireUser(opts.store, req)
    const sha256 = photoOf(req)
    const offset = readRequest(ChunkHeadersSchema, req.headers)['upload-offset']
    if (!Buffer.isBuffer(req.body)) throw new ApiRefusal(415, 'unsupported_media_type', `Send chunks as ${CHUNK_TYPE}`)
    const result = await appendChunk(db, user.id, sha256, offset, req.body, opts.photoStorage)
    // Thrown only now, so that discarding the bad upload has committed.
    if ('mismatch' in result) {
      throw new ApiRefusal(422, 'hash_mismatch', 'The photo does not match its SHA-256; upload it again', {
        actual: result.mismatch,
      })
    }
    return result
  })

  app.get('/api/photos/:sha256', async (req, reply) => {
    const user = await requireUser(opts.store, req)
    const sha256 = photoOf(req)
    // A photo is shown to whoever may read a check-in that refers to it, found through record_photos: text
    // in a record that merely mentions the hash refers to nothing.
    const referenced = await (
      await readableRecords(db, db.selectFrom('records').select('records.id'), user)
    )
      .where('records.id', 'in', (eb) =>
        eb.selectFrom('record_photos').select('record_photos.record_id').where('record_photos.sha256', '=', sha256),
      )
      .limit(1)
      .executeTakeFirst()
    const photo = referenced ? await readPhoto(db, sha256, opts.photoStorage) : undefined
    if (!photo) throw new ApiRefusal(404, 'not_found', 'No such photo')
    return reply.type(photo.type).header('Cache-Control', 'private, max-age=31536000, immutable').send(photo.bytes)
  })
}
