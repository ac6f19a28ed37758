import type { FastifyInstance } from 'fastify'
import { requireUser } from '../auth/session'
import type { Store } from '../db/database'
import type { PhotoStorage } from '../photos/storage'
import { pathId } from '../http/request'
import { readableCheckIn } from '../review/store'
import { evidencePackage } from './package'
import { loadServerKey } from './server-key'

/**
 * The server's public key, and evidence packages signed with its private half. The key is read (or, on the
 * first start of a deployment, made) when the server starts: a key file that cannot be read stops the start.
 */
export async function evidenceRoutes(
  app: FastifyInstance,
  opts: { store: Store; photoStorage?: PhotoStorage },
): Promise<void> {
  const { db } = opts.store
  const key = await loadServerKey(db)

  /** Public: anyone checking a package compares its key with this one. */
  app.get('/api/server-key', async (_req, reply) => {
    reply.header('Cache-Control', 'public, max-age=3600')
    return { algorithm: key.algorithm, keyId: key.keyId, publicKeyPem: key.publicKeyPem }
  })

  /** Whoever may read the check-in may take its package; each download is in the audit log. */
  app.get('/api/checkins/:id/evidence.zip', async (req, reply) => {
    const user = await requireUser(opts.store, req)
    const checkIn = await readableCheckIn(db, user, pathId(req))
    const { zip } = await evidencePackage(db, user, checkIn, key, opts.photoStorage)
    return reply
      .type('application/zip')
      .header('Cache-Control', 'private, no-store')
      .header('Content-Disposition', `attachment; filename="evidence-${checkIn.id}.zip"`)
      .send(Buffer.from(zip.buffer, zip.byteOffset, zip.byteLength))
  })
}
