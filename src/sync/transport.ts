import type { PhotoRef, PullResponse, PushRequest, PushResponse } from './schema'

/** An answer from the server that is not a success, with what it said. */
export class SyncHttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: { error?: string; message?: string; [k: string]: unknown },
    /** Seconds, from Retry-After. */
    readonly retryAfter?: number,
  ) {
    super(`HTTP ${status}${body.error ? ` ${body.error}` : ''}${body.message ? `: ${body.message}` : ''}`)
    this.name = 'SyncHttpError'
  }
}

export interface UploadState {
  offset: number
  complete: boolean
}

/** What the sync engine needs from the network; tests hand it one that fails on purpose. */
export interface SyncTransport {
  startPhoto(ref: PhotoRef): Promise<UploadState>
  sendPhotoChunk(sha256: string, offset: number, chunk: Uint8Array): Promise<UploadState>
  push(req: PushRequest): Promise<PushResponse>
  pull(cursor: number, limit: number): Promise<PullResponse>
}

type Fetch = typeof fetch

async function call<T>(doFetch: Fetch, url: string, init: RequestInit, timeoutMs: number): Promise<T> {
  const res = await doFetch(url, { ...init, cache: 'no-store', signal: AbortSignal.timeout(timeoutMs) })
  const text = await res.text()
  let body: Record<string, unknown> = {}
  try {
    body = text ? (JSON.parse(text) as Record<string, unknown>) : {}
  } catch {
    body = { message: text.slice(0, 200) }
  }
  if (!res.ok) {
    const retry = Number(res.headers.get('Retry-After'))
    throw new SyncHttpError(res.status, body, Number.isFinite(retry) && retry > 0 ? retry : undefined)
  }
  return body as T
}

/** The transport over HTTP to this app's own server. */
export function httpTransport(base = '', doFetch: Fetch = (...a) => fetch(...a), timeoutMs = 30_000): SyncTransport {
  const json = { 'Content-Type': 'application/json' }
  return {
    startPhoto: (ref) => call(doFetch, `${base}/api/photos`, { method: 'POST', headers: json, body: JSON.stringify(ref) }, timeoutMs),
    sendPhotoChunk: (sha256, offset, chunk) =>
      call(
        doFetch,
        `${base}/api/photos/${sha256}`,
        { method: 'PATCH', headers: { 'Content-Type': 'application/offset+octet-stream', 'Upload-Offset': String(offset) }, body: chunk as BufferSource },
        timeoutMs,
      ),
    push: (req) => call(doFetch, `${base}/api/sync/push`, { method: 'POST', headers: json, body: JSON.stringify(req) }, timeoutMs),
    pull: (cursor, limit) => call(doFetch, `${base}/api/sync/pull?cursor=${cursor}&limit=${limit}`, { method: 'GET' }, timeoutMs),
  }
}
