import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import * as v from 'valibot'
import type { Store } from '../db/database'
import { ApiRefusal } from '../http/errors'
import { SESSION_DAYS, sessionUser, verifyAndStartSession, endSessionOfToken } from './accounts'
import type { SessionUser } from '../../src/kernel/users'

export const SESSION_COOKIE = 'zhixun_session'

export function readCookie(req: FastifyRequest, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...rest] = part.trim().split('=')
    if (k === name) return decodeURIComponent(rest.join('='))
  }
  return undefined
}

/** The signed-in user, or a 401 the phone answers by asking the inspector to sign in again. */
export async function requireUser(store: Store, req: FastifyRequest): Promise<SessionUser> {
  const user = await sessionUser(store.db, readCookie(req, SESSION_COOKIE))
  if (!user) throw new ApiRefusal(401, 'signed_out', 'Sign in first')
  return user
}

/** HttpOnly: page scripts never see the token. Secure whenever the request came over HTTPS. */
function setSessionCookie(req: FastifyRequest, reply: FastifyReply, token: string, maxAgeS: number) {
  const secure = req.protocol === 'https' || process.env.COOKIE_SECURE === '1'
  reply.header(
    'Set-Cookie',
    `${SESSION_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeS}${secure ? '; Secure' : ''}`,
  )
}

const LoginSchema = v.strictObject({
  username: v.pipe(v.string(), v.minLength(1), v.maxLength(64)),
  password: v.pipe(v.string(), v.minLength(1), v.maxLength(200)),
})

export async function authRoutes(app: FastifyInstance, opts: { store: Store }): Promise<void> {
  const { db } = opts.store

  app.post('/api/auth/login', async (req, reply) => {
    const parsed = v.safeParse(LoginSchema, req.body)
    if (!parsed.success) throw new ApiRefusal(400, 'invalid_request', 'username and password are required')
    try {
      const { token, user, expiresAt } = await verifyAndStartSession(db, parsed.output.username, parsed.output.password)
      setSessionCookie(req, reply, token, SESSION_DAYS * 86_400)
      return { user, expiresAt }
    } catch (err) {
      if (err instanceof ApiRefusal && err.code === 'locked')
        reply.header('Retry-After', String(err.details.retryAfter))
      throw err
    }
  })

  app.post('/api/auth/logout', async (req, reply) => {
    await endSessionOfToken(db, readCookie(req, SESSION_COOKIE))
    setSessionCookie(req, reply, '', 0)
    return { ok: true }
  })

  app.get('/api/auth/me', async (req, reply) => {
    const user = await sessionUser(db, readCookie(req, SESSION_COOKIE))
    reply.header('Cache-Control', 'no-store')
    if (!user) throw new ApiRefusal(401, 'signed_out', 'Sign in first')
    return { user }
  })
}
