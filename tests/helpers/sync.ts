import type { FastifyInstance } from 'fastify'
import { ZhixunDB } from '../../src/db/db'
import { dexieSyncStorage } from '../../src/db/syncStorage'
import { SyncEngine } from '../../src/sync/engine'
import { httpTransport } from '../../src/sync/transport'

/** fetch() answered by the real server in-process (Fastify inject): real routes, real database, no socket. */
export function injectFetch(app: FastifyInstance, cookie?: string): typeof fetch {
  return (async (input: string | URL | Request, init: RequestInit = {}) => {
    const url = String(input)
    // What a browser does on its own for a same-origin request: send the session cookie.
    const headers = { ...Object.fromEntries(new Headers(init.headers).entries()), ...(cookie ? { cookie } : {}) }
    const body = init.body
    const payload =
      body === undefined || body === null
        ? undefined
        : typeof body === 'string'
          ? body
          : Buffer.from(body as Uint8Array)
    const res = await app.inject({
      method: (init.method ?? 'GET') as 'GET',
      url,
      headers,
      ...(payload === undefined ? {} : { payload }),
    })
    // 204 and 304 answers carry no body, and a Response refuses one for them.
    return new Response(res.statusCode === 204 || res.statusCode === 304 ? null : new Uint8Array(res.rawPayload), {
      status: res.statusCode,
      headers: Object.entries(res.headers).flatMap(([k, v]) =>
        v === undefined ? [] : [[k, String(v)] as [string, string]],
      ),
    })
  }) as typeof fetch
}

export type Fault =
  | 'none'
  /** The request never reaches the server. */
  | 'drop-request'
  /** The server does the work, but the answer is lost on the way back. */
  | 'drop-answer'
  /** A 500 from something in between, the server untouched. */
  | 'http-500'
  /** The request times out before the server sees it. */
  | 'timeout'

/** Wraps fetch so each request suffers the fault `plan` picks for it; counts the requests. */
export function faultyFetch(
  inner: typeof fetch,
  plan: (requestNo: number, url: string) => Fault,
): typeof fetch & { requests: number } {
  const wrapped = (async (input: string | URL | Request, init?: RequestInit) => {
    const n = ++wrapped.requests
    const fault = plan(n, String(input))
    if (fault === 'drop-request') throw new TypeError('Failed to fetch')
    if (fault === 'timeout') throw new DOMException('The operation timed out.', 'TimeoutError')
    if (fault === 'http-500') return new Response('{"error":"proxy"}', { status: 500 })
    const res = await inner(input, init)
    if (fault === 'drop-answer') throw new TypeError('Failed to fetch')
    return res
  }) as typeof fetch & { requests: number }
  wrapped.requests = 0
  return wrapped
}

let phoneNo = 0

/** A phone: its own IndexedDB (fake-indexeddb) and a sync engine talking to `app` through `fetchFn`. */
export function makePhone(
  app: FastifyInstance,
  cookie: string,
  plan: (n: number, url: string) => Fault = () => 'none',
  name = `phone-${++phoneNo}-${Math.random().toString(36).slice(2)}`,
) {
  const fetchFn = faultyFetch(injectFetch(app, cookie), plan)
  const db = new ZhixunDB(name)
  const engine = new SyncEngine(dexieSyncStorage(db), httpTransport('', fetchFn), { chunkBytes: 16_000 })
  return { name, db, engine, fetchFn }
}

/** Seeded PRNG (mulberry32), so a randomized test can be replayed from its printed seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
