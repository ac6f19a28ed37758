/**
 * The one fetch wrapper: every call to the app's own server goes through it (dataset, sign-in, campaigns,
 * accounts and the sync transport), so a failure always has one shape.
 */
import { ZhixunError } from '@/kernel/errors'

/** What the server said with a failure: `{error: code, message, ...details}`, or the start of a non-JSON body. */
export type ApiBody = { error?: string; message?: string; [k: string]: unknown }

/** An answer from the server that is not a success (a network failure stays a TypeError or a timeout). */
export class ApiError extends ZhixunError {
  constructor(
    readonly status: number,
    readonly body: ApiBody = {},
    /** Seconds, from Retry-After. */
    readonly retryAfter?: number,
  ) {
    // The server's code (`forbidden`, `unknown_task`, `seq_gap`, …), or `http_<status>` when it sent none.
    super(
      typeof body.error === 'string' ? body.error : `http_${status}`,
      `HTTP ${status}${body.error ? ` ${body.error}` : ''}${body.message ? `: ${body.message}` : ''}`,
    )
    // Spelled out: a minified build renames classes, and logs and the sync store go by the name.
    this.name = 'ApiError'
  }
}

/**
 * An answer saying the server itself failed: a 500 (`internal`: a bug, logged on the server) or another 5xx
 * that is not a proxy's (502, 504) or a temporary one (503). Asking again soon would meet the same bug.
 */
export const isServerBug = (err: unknown): boolean =>
  err instanceof ApiError && err.status >= 500 && ![502, 503, 504].includes(err.status)

export interface ApiOptions {
  timeoutMs?: number
  /** Tests hand in a fetch that reaches the server in-process, or fails on purpose. */
  fetch?: typeof fetch
}

async function failure(res: Response): Promise<ApiError> {
  const text = await res.text().catch(() => '')
  let body: ApiBody
  try {
    body = text ? (JSON.parse(text) as ApiBody) : {}
  } catch {
    body = { message: text.slice(0, 200) }
  }
  const retry = Number(res.headers.get('Retry-After'))
  return new ApiError(res.status, body, Number.isFinite(retry) && retry > 0 ? retry : undefined)
}

/** A call that resolves with the response when it is a success (or 304), and throws ApiError otherwise. */
export async function apiFetch(path: string, init: RequestInit = {}, options: ApiOptions = {}): Promise<Response> {
  const doFetch = options.fetch ?? ((...a: Parameters<typeof fetch>) => fetch(...a))
  const res = await doFetch(path, { ...init, signal: init.signal ?? AbortSignal.timeout(options.timeoutMs ?? 15_000) })
  if (!res.ok && res.status !== 304) throw await failure(res)
  return res
}

/** A JSON call: GET without a body, otherwise the body sent as JSON. */
export async function apiJson<T>(
  path: string,
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' = 'GET',
  body?: unknown,
  options: ApiOptions = {},
): Promise<T> {
  const init: RequestInit = { method, cache: 'no-store' }
  if (body !== undefined) {
    init.headers = { 'Content-Type': 'application/json' }
    init.body = JSON.stringify(body)
  }
  return (await apiFetch(path, init, options)).json() as Promise<T>
}

/** Where a screen keeps its own error messages, and what it says when nothing more precise fits. */
export interface ErrorMessages {
  /** A locale path such as `signIn.errors`: a Zhixun error whose code has a message there gets that message. */
  under?: string
  /** The key for any other error that is not the server's answer; by default, the server was out of reach. */
  fallback?: string
}

/**
 * The one way the phone turns an error into a locale key: a Zhixun error by its code under the screen's own
 * messages; a server answer by its code under `apiError` when the locale knows it, otherwise by its HTTP
 * status; anything else (no network, a timeout, storage trouble) as the screen's fallback.
 */
export function errorMessageKey(err: unknown, known: (key: string) => boolean, messages: ErrorMessages = {}): string {
  if (err instanceof ZhixunError && messages.under && known(`${messages.under}.${err.code}`))
    return `${messages.under}.${err.code}`
  if (err instanceof ApiError) {
    if (known(`apiError.${err.code}`)) return `apiError.${err.code}`
    if (err.status === 401) return 'apiError.signed_out'
    if (err.status === 403) return 'apiError.forbidden'
    if (err.status === 404) return 'apiError.not_found'
    if (err.status === 409) return 'apiError.conflict'
    if (err.status >= 400 && err.status < 500) return 'apiError.invalid'
    return 'apiError.server'
  }
  return messages.fallback ?? 'apiError.offline'
}
