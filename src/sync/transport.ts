import { ApiError, apiFetch } from '@/api/http'
import type { PhotoRef, PullResponse, PushRequest, PushResponse } from '../kernel/sync-schema'
import { compactPush } from '../kernel/wire'

export interface UploadState {
  offset: number
  complete: boolean
}

/** What the sync engine needs from the network; tests hand it one that fails on purpose. */
export interface SyncTransport {
  startPhoto(ref: PhotoRef): Promise<UploadState>
  sendPhotoChunk(sha256: string, offset: number, chunk: Uint8Array): Promise<UploadState>
  push(req: PushRequest): Promise<PushResponse>
  pull(cursor: number, limit: number, phone?: PullPhone): Promise<PullResponse>
}

/**
 * What a phone says of itself when it pulls: it lets go of its own synced check-ins that happened before
 * `keepFrom` (src/db/retention.ts), so the server need not send them; what client `clientId` pushed comes back.
 */
export interface PullPhone {
  keepFrom: string
  clientId: string
}

type Fetch = typeof fetch

/** Failures are ApiError (src/api/http.ts), the same as every other call to the server. */
async function call<T>(doFetch: Fetch, url: string, init: RequestInit, timeoutMs: number): Promise<T> {
  return (await apiFetch(url, { ...init, cache: 'no-store' }, { fetch: doFetch, timeoutMs })).json() as Promise<T>
}

/** The transport over HTTP to this app's own server. */
export function httpTransport(base = '', doFetch: Fetch = (...a) => fetch(...a), timeoutMs = 30_000): SyncTransport {
  const json = { 'Content-Type': 'application/json' }
  /** Pushes go compact (src/kernel/wire.ts) until a server says it cannot read them. */
  let compact = true
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
    async push(req) {
      const send = (body: unknown) =>
        call<PushResponse>(
          doFetch,
          `${base}/api/sync/push`,
          { method: 'POST', headers: json, body: JSON.stringify(body) },
          timeoutMs,
        )
      if (!compact) return send(req)
      try {
        return await send(compactPush(req))
      } catch (err) {
        // A server before wire 2 refuses the envelope as a whole: send this push, and the next ones, as before.
        if (!(err instanceof ApiError && err.status === 400 && err.body.error === 'invalid_request')) throw err
        compact = false
        return send(req)
      }
    },
    pull: (cursor, limit, phone) => {
      // A server from before keepFrom reads past it, and sends everything as it did.
      const said = phone
        ? `&keepFrom=${encodeURIComponent(phone.keepFrom)}&client=${encodeURIComponent(phone.clientId)}`
        : ''
      return call(doFetch, `${base}/api/sync/pull?cursor=${cursor}&limit=${limit}${said}`, { method: 'GET' }, timeoutMs)
    },
  }
}
