import type { FastifyInstance } from 'fastify'
import { ApiRefusal } from './errors'

/** Seconds a client should wait before trying again: by then the proxy sends it to another server. */
const RETRY_AFTER_S = 2

/**
 * What a server does between being told to stop (`app.close()`, on SIGTERM in server/main.ts) and stopping.
 * Fastify stops accepting connections and closes idle ones; requests already running (a push in its
 * transaction) go on and are answered, each answer closing its connection so that no kept-alive socket holds
 * the close up. A request that still arrives on an open connection is refused with 503 `unavailable` and
 * Retry-After, before it touches the database: nothing was saved, and the client tries again, meeting another
 * server behind the proxy. Needs Fastify's `return503OnClosing: false`, or Fastify answers those itself in a
 * shape of its own. Returns whether the server is closing, for the health check to say so.
 */
export function drainOnClose(app: FastifyInstance): () => boolean {
  let closing = false
  app.addHook('preClose', async () => {
    closing = true
  })
  app.addHook('onRequest', async (req, reply) => {
    if (!closing) return
    reply.header('Connection', 'close')
    // The health check answers for itself (503 `shutting_down`), so a proxy polling it learns why.
    if (req.routeOptions.url === '/api/health') return
    throw new ApiRefusal(503, 'unavailable', 'The server is stopping; nothing was saved. Try again.', {
      retryAfter: RETRY_AFTER_S,
    })
  })
  app.addHook('onSend', async (_req, reply, payload) => {
    if (closing) reply.header('Connection', 'close')
    return payload
  })
  return () => closing
}
