import { ZhixunError } from '@/kernel/errors'
import type { SessionUser } from '@/kernel/users'
import { ApiError, apiFetch } from './http'

export type SignInProblem = 'bad_credentials' | 'locked' | 'offline' | 'server'

export class SignInError extends ZhixunError<SignInProblem> {
  constructor(
    code: SignInProblem,
    readonly retryAfterS?: number,
  ) {
    super(code)
    this.name = 'SignInError'
  }
}

/** Signs in; the server sets the session cookie. Needs the network, once. */
export async function postLogin(username: string, password: string): Promise<{ user: SessionUser; expiresAt: string }> {
  let res: Response
  try {
    res = await fetch('/api/auth/login', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username, password }),
      signal: AbortSignal.timeout(15_000),
    })
  } catch {
    throw new SignInError('offline')
  }
  if (res.status === 401) throw new SignInError('bad_credentials')
  if (res.status === 429) throw new SignInError('locked', Number(res.headers.get('Retry-After')) || undefined)
  if (!res.ok) throw new SignInError('server')
  return res.json()
}

export async function postLogout(): Promise<void> {
  try {
    await apiFetch('/api/auth/logout', { method: 'POST' })
  } catch (err) {
    // Offline or already signed out: the cookie expires on its own; the phone forgets the user either way.
    if (!(err instanceof ApiError) && !(err instanceof TypeError)) throw err
  }
}
