/** The one fetch wrapper: every API call goes through it so errors have one shape. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
    this.name = 'ApiError'
  }
}

export async function apiFetch(path: string, init: RequestInit = {}, timeoutMs = 15_000): Promise<Response> {
  const res = await fetch(path, { ...init, signal: init.signal ?? AbortSignal.timeout(timeoutMs) })
  if (!res.ok && res.status !== 304) throw new ApiError(res.status, `${init.method ?? 'GET'} ${path}: HTTP ${res.status}`)
  return res
}
