import { apiFetch } from '@/api/http'
import type { PhotoRef, PullResponse, PushRequest, PushResponse } from '../kernel/sync-schema'

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

/** Failures are ApiError (src/api/http.ts), the same as every other call to the server. */
async function call<T>(doFetch: Fetch, url: string, init: RequestInit, timeoutMs: number): Promise<T> {
  return (await apiFetch(url, { ...init, cache: 'no-store' }, { fetch: doFetch, timeoutMs })).json() as Promise<T>
}

/** The transport over HTTP to this app's own server. */
export function httpTransport(base = '', doFetch: Fetch = (...a) => fetch(...a), timeoutMs = 30_000): SyncTransport {
  const json = { 'Content-Type': 'application/json' }
  return {
    startPhoto: (ref) =>
      call(doFetch, `${base}/api/photos`, { method: 'POST', headers: json, body: JSON.stringify(ref) }, timeoutMs),
    sendPhotoChunk: (sha256, offset, chunk) =>
      call(
        doFetch,
        `${base}/api/photos/${sha256}`,
        {
          method: 'PATCH',
          headers: { 'Content-Type': 'application/offset+octet-stream', 'Upload-Offset': String(offset) },
          body: chunk as BufferSource,
        },
        timeoutMs,
      ),
    push: (req) =>
      call(doFetch, `${base}/api/sync/push`, { method: 'POST', headers: json, body: JSON.stringify(req) }, timeoutMs),
    pull: (cursor, limit) =>
      call(doFetch, `${base}/api/sync/pull?cursor=${cursor}&limit=${limit}`, { method: 'GET' }, timeoutMs),
  }
}
