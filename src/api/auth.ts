import { ZhixunError } from '@/kernel/errors'
import type { SessionUser } from '@/kernel/users'
import { ApiError, apiFetch } from './http'

/**
 * Why a sign-in failed. The three 429s are told apart, since each asks something else of the inspector: the
 * account is waiting after wrong passwords (`locked`), this network address tried too often
 * (`too_many_attempts`, an office behind one address included), or the server is busy signing others in (`busy`).
 */
export type SignInProblem = 'bad_credentials' | 'locked' | 'too_many_attempts' | 'busy' | 'offline' | 'server'

const REFUSALS_429 = new Set<SignInProblem>(['locked', 'too_many_attempts', 'busy'])

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
  if (res.status === 429) {
    const body: unknown = await res.json().catch(() => undefined)
    const said = typeof body === 'object' && body !== null ? (body as { error?: unknown }).error : undefined
    // An older server said only 429: a locked account is what it meant.
    const code = REFUSALS_429.has(said as SignInProblem) ? (said as SignInProblem) : 'locked'
    throw new SignInError(code, Number(res.headers.get('Retry-After')) || undefined)
  }
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
