import type { FastifyInstance } from 'fastify'
import { requireUser } from '../auth/session'
import type { Store } from '../db/database'
import { pathId } from '../http/request'
import { reviewCheckIn } from './store'

export async function reviewRoutes(app: FastifyInstance, opts: { store: Store }): Promise<void> {
  /** A supervisor marks a check-in reviewed, or returns it to its inspector with a comment. */
  app.post('/api/checkins/:id/review', async (req) => {
    const user = await requireUser(opts.store, req)
    return { review: await reviewCheckIn(opts.store.db, user, pathId(req), req.body) }
  })
}
