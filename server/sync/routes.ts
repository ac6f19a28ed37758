import type { FastifyInstance, FastifyRequest } from 'fastify'
import * as v from 'valibot'
import { LIMITS, PhotoRefSchema, PushRequestSchema, Sha256Schema } from '../../src/kernel/sync-schema'
import { requireUser } from '../auth/routes'
import type { Store } from '../db/database'
import { readableRecords } from '../campaigns/store'
import { ApiRefusal, parseOrRefuse } from '../http/errors'
import { appendChunk, readPhoto, startUpload, uploadState } from './photos'
import { pull } from './pull'
import { push } from './push'

export interface SyncRoutesOptions {
  store: Store
  taskNumbers: ReadonlySet<number>
  beforePushCommit?: () => void | Promise<void>
}

const CHUNK_TYPE = 'application/offset+octet-stream'

function bad(message: string): ApiRefusal {
  return new ApiRefusal(400, 'invalid_request', message)
}

const parse = <T extends v.GenericSchema>(schema: T, value: unknown) => parseOrRefuse(schema, value, 'invalid_request')

function shaParam(params: unknown): string {
  return parse(Sha256Schema, (params as { sha256?: unknown }).sha256)
}

export async function syncRoutes(app: FastifyInstance, opts: SyncRoutesOptions): Promise<void> {
  const { db } = opts.store

  const userOf = (req: FastifyRequest) => requireUser(opts.store, req)

  app.addContentTypeParser(CHUNK_TYPE, { parseAs: 'buffer', bodyLimit: LIMITS.photoChunkBytes }, (_req, body, done) =>
    done(null, body),
  )

  /** What the phone must know before an inspector finishes a record. */
  app.get('/api/limits', async (_req, reply) => {
    reply.header('Cache-Control', 'no-cache')
    return LIMITS
  })

  app.post('/api/sync/push', { bodyLimit: LIMITS.pushBodyBytes }, async (req) => {
    const user = await userOf(req)
    const body = parse(PushRequestSchema, req.body)
    return push({ db, user, taskNumbers: opts.taskNumbers, beforeCommit: opts.beforePushCommit }, body)
  })

  app.get('/api/sync/pull', async (req) => {
    const user = await userOf(req)
    const q = req.query as { cursor?: string; limit?: string }
    const cursor = Number(q.cursor ?? 0)
    const limit = Number(q.limit ?? LIMITS.pullPage)
    if (!Number.isInteger(cursor) || cursor < 0) throw bad('cursor must be a whole number ≥ 0')
    if (!Number.isInteger(limit) || limit < 1 || limit > LIMITS.pullPage)
      throw bad(`limit must be 1 to ${LIMITS.pullPage}`)
    return pull(db, user, cursor, limit)
  })

  app.post('/api/photos', async (req, reply) => {
    await userOf(req)
    const body = req.body as { size?: unknown } | undefined
    if (typeof body?.size === 'number' && body.size > LIMITS.photoBytes) {
      throw new ApiRefusal(413, 'too_large', `Photos may be at most ${LIMITS.photoBytes} bytes`, {
        maxBytes: LIMITS.photoBytes,
      })
    }
    const state = await startUpload(db, parse(PhotoRefSchema, req.body))
    return reply.code(state.complete ? 200 : 201).send(state)
  })

  app.get('/api/photos/:sha256/upload', async (req) => {
    await userOf(req)
    const state = await uploadState(db, shaParam(req.params))
    if (!state) throw new ApiRefusal(404, 'no_upload', 'No upload of this photo has started')
    return state
  })

  app.patch('/api/photos/:sha256', async (req, reply) => {
    await userOf(req)
    const sha256 = shaParam(req.params)
    const offset = Number(req.headers['upload-offset'])
    if (!Number.isInteger(offset) || offset < 0) throw bad('Upload-Offset must be a whole number ≥ 0')
    if (!Buffer.isBuffer(req.body)) throw new ApiRefusal(415, 'unsupported_media_type', `Send chunks as ${CHUNK_TYPE}`)
    const result = await appendChunk(db, sha256, offset, req.body)
    if ('mismatch' in result) {
      return reply.code(422).send({
        error: 'hash_mismatch',
        message: 'The photo does not match its SHA-256; upload it again',
        actual: result.mismatch,
      })
    }
    return result
  })

  app.get('/api/photos/:sha256', async (req, reply) => {
    const user = await userOf(req)
    const sha256 = shaParam(req.params)
    // A photo is shown to whoever may read a record that refers to it.
    const referenced = await (
      await readableRecords(db, db.selectFrom('records').select('id'), user)
    )
      .where('kind', '=', 'checkin')
      .where('data', 'like', `%${sha256}%`)
      .executeTakeFirst()
    const photo = referenced ? await readPhoto(db, sha256) : undefined
    if (!photo) throw new ApiRefusal(404, 'not_found', 'No such photo')
    return reply
      .type(photo.type)
      .header('Cache-Control', 'private, max-age=31536000, immutable')
      .send(Buffer.from(photo.bytes))
  })
}
