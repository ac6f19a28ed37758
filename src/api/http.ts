/** The one fetch wrapper for the app's own calls: errors have one shape, with the server's code when it sent one. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** The server's `error` code (`forbidden`, `unknown_task`, …), when its answer carried one. */
    readonly code?: string,
    /** What the code is about (a task number, a department), when the server said. */
    readonly detail?: string,
  ) {
    super(message)
    this.name = 'ApiError'
  }
}

export async function apiFetch(path: string, init: RequestInit = {}, timeoutMs = 15_000): Promise<Response> {
  const res = await fetch(path, { ...init, signal: init.signal ?? AbortSignal.timeout(timeoutMs) })
  if (!res.ok && res.status !== 304) {
    const body = (await res.json().catch(() => ({}))) as { error?: unknown; detail?: unknown }
    throw new ApiError(
      res.status,
      `${init.method ?? 'GET'} ${path}: HTTP ${res.status}`,
      typeof body.error === 'string' ? body.error : undefined,
      typeof body.detail === 'string' ? body.detail : undefined,
    )
  }
  return res
}

/** A JSON call: GET without a body, otherwise the body sent as JSON. */
export async function apiJson<T>(path: string, method: 'GET' | 'POST' | 'PUT' | 'PATCH' = 'GET', body?: unknown): Promise<T> {
  const init: RequestInit = { method }
  if (body !== undefined) {
    init.headers = { 'Content-Type': 'application/json' }
    init.body = JSON.stringify(body)
  }
  return (await apiFetch(path, init)).json() as Promise<T>
}

/**
 * What went wrong with a call, as a key under `apiError` in the locale files: the server's own code when
 * the locale knows it, otherwise by kind (offline, signed out, forbidden, server trouble).
 */
export function problemKey(err: unknown, known: (code: string) => boolean): string {
  if (err instanceof ApiError) {
    if (err.code && known(`apiError.${err.code}`)) return `apiError.${err.code}`
    if (err.status === 401) return 'apiError.signed_out'
    if (err.status === 403) return 'apiError.forbidden'
    if (err.status === 404) return 'apiError.not_found'
    if (err.status === 409) return 'apiError.conflict'
    if (err.status >= 400 && err.status < 500) return 'apiError.invalid'
    return 'apiError.server'
  }
  return 'apiError.offline'
}
