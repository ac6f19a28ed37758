import type { FastifyInstance } from 'fastify'
import * as v from 'valibot'
import type { Store } from '../db/database'
import { ApiRefusal } from '../http/errors'
import { SESSION_DAYS, verifyAndStartSession, endSessionOfToken } from './accounts'
import { addressKey } from './login-limits'
import { requireUser, sessionToken, setSessionCookie } from './session'

const LoginSchema = v.strictObject({
  username: v.pipe(v.string(), v.minLength(1), v.maxLength(64)),
  password: v.pipe(v.string(), v.minLength(1), v.maxLength(200)),
})

export async function authRoutes(app: FastifyInstance, opts: { store: Store }): Promise<void> {
  const { db } = opts.store

  app.post('/api/auth/login', async (req, reply) => {
    const parsed = v.safeParse(LoginSchema, req.body)
    // The sign-in form has two fields: one message covers every way of sending them wrong.
    if (!parsed.success) throw new ApiRefusal(400, 'invalid_request', 'username and password are required')
    const { username, password } = parsed.output
    // req.ip is the socket's address, or with TRUST_PROXY the client's as the trusted proxy reports it.
    const address = addressKey(req.ip)
    const { token, user, expiresAt } = await verifyAndStartSession(db, username, password, { address })
    setSessionCookie(req, reply, token, SESSION_DAYS * 86_400)
    return { user, expiresAt }
  })

  app.post('/api/auth/logout', async (req, reply) => {
    await endSessionOfToken(db, sessionToken(req))
    setSessionCookie(req, reply, '', 0)
    return { ok: true }
  })

  app.get('/api/auth/me', async (req, reply) => {
    reply.header('Cache-Control', 'no-store')
    return { user: await requireUser(opts.store, req) }
  })
}
