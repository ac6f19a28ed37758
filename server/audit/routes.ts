import type { FastifyInstance } from 'fastify'
import * as v from 'valibot'
import { requireUser } from '../auth/session'
import { ID_MAX, type Store } from '../db/database'
import { ApiRefusal } from '../http/errors'
import { blankIsAbsent, readRequest } from '../http/request'
import { readAudit } from './log'

/** An id to look for: longer than any stored id finds nothing, so it is refused rather than looked up. */
const AuditId = v.pipe(v.string(), v.maxLength(ID_MAX, `must be at most ${ID_MAX} characters`))

const AuditQuerySchema = v.object({
  /** A record (check-in, inspection), party or campaign: the entries about it. */
  recordId: blankIsAbsent(AuditId),
  /** A person: the entries of what they did. */
  userId: blankIsAbsent(AuditId),
})

export async function auditRoutes(app: FastifyInstance, opts: { store: Store }): Promise<void> {
  const { db } = opts.store

  /** The audit trail of one record or one person, for administrators. */
  app.get('/api/audit', async (req, reply) => {
    const user = await requireUser(opts.store, req)
    if (user.role !== 'admin') throw new ApiRefusal(403, 'forbidden', 'The audit log is for administrators')
    const { recordId, userId } = readRequest(AuditQuerySchema, req.query)
    if (recordId === undefined && userId === undefined)
      throw new ApiRefusal(400, 'filter_required', 'Name a record (recordId) or a person (userId)')
    reply.header('Cache-Control', 'private, no-store')
    return readAudit(db, {
      ...(recordId !== undefined ? { targetIds: [recordId] } : {}),
      ...(userId !== undefined ? { actorId: userId } : {}),
    })
  })
}
