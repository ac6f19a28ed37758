import type { FastifyReply, FastifyRequest } from 'fastify'
import * as v from 'valibot'
import type { SessionUser } from '../../src/kernel/users'
import type { Store } from '../db/database'
import { ApiRefusal } from '../http/errors'
import { userOfToken } from './accounts'

export const SESSION_COOKIE = 'zhixun_session'

/** Tokens are 32 random bytes in base64url; anything else in the cookie is no session, whatever it holds. */
const SessionTokenSchema = v.pipe(v.string(), v.regex(/^[\w-]{1,100}$/))

/** The session token of the request's Cookie header, when it carries one that could be a token at all. */
export function sessionToken(req: FastifyRequest): string | undefined {
  for (const pair of (req.headers.cookie ?? '').split(';')) {
    const [name, ...value] = pair.trim().split('=')
    if (name !== SESSION_COOKIE) continue
    const token = v.safeParse(SessionTokenSchema, value.join('='))
    return token.success ? token.output : undefined
  }
  return undefined
}

/**
 * HttpOnly: page scripts never see the token. Secure whenever the request came over HTTPS: to the server
 * itself, or to a TLS proxy it trusts (TRUST_PROXY; its X-Forwarded-Proto), or with COOKIE_SECURE=1.
 */
export function setSessionCookie(req: FastifyRequest, reply: FastifyReply, token: string, maxAgeS: number): void {
  const secure = req.protocol === 'https' || process.env.COOKIE_SECURE === '1'
  reply.header(
    'Set-Cookie',
    `${SESSION_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeS}${secure ? '; Secure' : ''}`,
  )
}

/** The signed-in user, or a 401 the phone answers by asking the inspector to sign in again. */
export async function requireUser(store: Store, req: FastifyRequest): Promise<SessionUser> {
  const user = await userOfToken(store.db, sessionToken(req))
  if (!user) throw new ApiRefusal(401, 'signed_out', 'Sign in first')
  return user
}
