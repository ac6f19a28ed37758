import { createHash } from 'node:crypto'
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { pipeline, Readable, type Transform } from 'node:stream'
import {
  brotliCompress,
  brotliDecompress,
  constants as zlib,
  createBrotliCompress,
  createGzip,
  gunzip,
  gzip,
} from 'node:zlib'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { ApiRefusal } from './errors'

/**
 * Content codings this server sends, in its order of preference when the client likes several equally:
 * brotli is smaller, gzip is what every client has.
 */
export const CODINGS = ['br', 'gzip'] as const
export type Coding = (typeof CODINGS)[number]

/** Files that `npm run build` compressed beside the original (scripts/precompress.ts), by coding. */
const brotliDecompressAsync = promisify(brotliDecompress)
const gunzipAsync = promisify(gunzip)

export const EXTENSIONS: Record<Coding, string> = { br: '.br', gzip: '.gz' }

/** Answers smaller than this go out as they are: compressing them saves less than its headers cost. */
export const COMPRESS_FROM_BYTES = 1024
/**
 * The same for what is compressed once and kept (the built files, the dataset): from a smaller size, since it
 * costs nothing per request. The app's index.html (about 0.9 KB, 0.5 KB in brotli) is on every first visit.
 */
export const KEPT_COMPRESSED_FROM_BYTES = 512

const brotli = promisify(brotliCompress)
const gzipAsync = promisify(gzip)

/**
 * Compresses on the thread pool. `best` is for what is compressed once and kept (build, start-up); answers made
 * per request use levels that cost a few milliseconds for a page of 500 records.
 */
export function compress(coding: Coding, body: Buffer | string, best = false): Promise<Buffer> {
  const input = typeof body === 'string' ? Buffer.from(body) : body
  return coding === 'br'
    ? brotli(input, {
        params: {
          [zlib.BROTLI_PARAM_QUALITY]: best ? zlib.BROTLI_MAX_QUALITY : 5,
          [zlib.BROTLI_PARAM_SIZE_HINT]: input.length,
        },
      })
    : gzipAsync(input, { level: best ? 9 : 6 })
}

/** A compressing stream for a streamed answer, at the levels `compress` uses per request. */
export function compressStream(coding: Coding): Transform {
  // Every chunk written (a page of the CSV) goes out at once, not when the compressor's buffer fills: the client
  // gets its first rows while the server reads the next page, and a slow export shows progress. A 256 KB window
  // (not brotli's default 4 MB) holds about a thousand CSV rows, as much as compression gains from: sixteen exports
  // at once then take about 36 MB of compressor memory instead of 80.
  return coding === 'br'
    ? createBrotliCompress({
        flush: zlib.BROTLI_OPERATION_FLUSH,
        params: { [zlib.BROTLI_PARAM_QUALITY]: 5, [zlib.BROTLI_PARAM_LGWIN]: 18 },
      })
    : createGzip({ level: 6, flush: zlib.Z_SYNC_FLUSH })
}

/** Types worth compressing: text of every kind, JSON, JavaScript, SVG, the manifest. */
export function compressible(type: string): boolean {
  return /^(text\/|application\/(json|javascript|manifest\+json|xml)|image\/svg\+xml)/i.test(type)
}

/**
 * The coding to send, from the client's Accept-Encoding (RFC 9110 §12.5.3): the acceptable one (q > 0) with
 * the highest q-value, the server's preference breaking ties; `*` stands for every coding not named. No header,
 * or nothing acceptable, means the bytes as they are (identity is always possible here, never refused with 406).
 */
export function negotiate(header: string | undefined, available: readonly Coding[] = CODINGS): Coding | undefined {
  if (!header) return undefined
  const q = new Map<string, number>()
  for (const part of header.toLowerCase().split(',')) {
    const [name, ...params] = part.split(';').map((s) => s.trim())
    if (!name) continue
    const qParam = params.find((p) => /^q\s*=/.test(p))
    const value = qParam ? Number(qParam.replace(/^q\s*=\s*/, '')) : 1
    q.set(name === 'x-gzip' ? 'gzip' : name, Number.isFinite(value) ? Math.min(Math.max(value, 0), 1) : 0)
  }
  const wildcard = q.get('*') ?? 0
  let best: Coding | undefined
  let bestQ = 0
  for (const coding of CODINGS) {
    if (!available.includes(coding)) continue
    const value = q.get(coding) ?? wildcard
    if (value > bestQ) {
      best = coding
      bestQ = value
    }
  }
  return best
}

/** Whether a Cache-Control header (the request's or the answer's) asks that the content not be transformed. */
export function noTransform(cacheControl: unknown): boolean {
  return typeof cacheControl === 'string' && /(^|,)\s*no-transform\s*(,|$)/i.test(cacheControl)
}

/** The ETags of If-None-Match, weak or strong (a weak one matches all the same: RFC 9110 §13.1.2). */
export function cachedTags(header: unknown): string[] {
  return typeof header === 'string' ? header.split(',').map((tag) => tag.trim().replace(/^W\//, '')) : []
}

/** A strong ETag (`"…"`) of one coding of a representation: its identity tag with the coding added. */
export function codedTag(etag: string, coding: Coding): string {
  return etag.endsWith('"') ? `${etag.slice(0, -1)}-${coding}"` : etag
}

/**
 * One resource as the server keeps it: its bytes, and (made once, at build time or on first demand) its
 * compressed forms, each with a strong ETag of its own.
 */
export class Representation {
  private readonly coded = new Map<Coding, Promise<Buffer | undefined>>()

  constructor(
    readonly body: Buffer,
    readonly type: string,
    readonly cacheControl: string,
    /** Strong ETag of the bytes as they are, quotes included. */
    readonly etag: string,
    /** Where the build left compressed copies (`file.br`, `file.gz`), if it did. */
    private readonly path?: string,
  ) {}

  get compressible(): boolean {
    return compressible(this.type) && this.body.length >= KEPT_COMPRESSED_FROM_BYTES
  }

  /** The bytes in this coding; undefined when compressing does not make them smaller. */
  encoded(coding: Coding): Promise<Buffer | undefined> {
    let made = this.coded.get(coding)
    if (!made) {
      made = this.make(coding).then((b) => (b.length < this.body.length ? b : undefined))
      this.coded.set(coding, made)
    }
    return made
  }

  private async make(coding: Coding): Promise<Buffer> {
    if (this.path) {
      try {
        const stored = readFileSync(this.path + EXTENSIONS[coding])
        // Only a copy of these very bytes: a file replaced after the build (a new dataset.json put in by
        // hand) must not be answered with its old compressed copy. Checked once per file and coding.
        const unpacked = await (coding === 'br' ? brotliDecompressAsync : gunzipAsync)(stored)
        if (unpacked.equals(this.body)) return stored
      } catch {
        // Not compressed at build time (a build by hand, a test's dist), or a damaged copy.
      }
    }
    // Compressed now, once.
    return compress(coding, this.body, true)
  }
}

/**
 * Sends a representation in the coding the client prefers, with `Vary: Accept-Encoding` and that coding's ETag;
 * 304 when the client holds it. A request saying `Cache-Control: no-transform` gets the bytes as stored.
 */
export async function sendRepresentation(req: FastifyRequest, reply: FastifyReply, rep: Representation) {
  reply.header('Cache-Control', rep.cacheControl)
  let coding: Coding | undefined
  let body = rep.body
  if (rep.compressible) {
    reply.header('Vary', 'Accept-Encoding')
    coding = noTransform(req.headers['cache-control']) ? undefined : negotiate(req.headers['accept-encoding'])
    const encoded = coding ? await rep.encoded(coding) : undefined
    if (encoded) body = encoded
    else coding = undefined
  }
  const etag = coding ? codedTag(rep.etag, coding) : rep.etag
  reply.header('ETag', etag)
  if (cachedTags(req.headers['if-none-match']).includes(etag)) return reply.code(304).send()
  if (coding) reply.header('Content-Encoding', coding)
  return reply.type(rep.type).send(body)
}

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  mjs: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  json: 'application/json; charset=utf-8',
  webmanifest: 'application/manifest+json; charset=utf-8',
  svg: 'image/svg+xml',
  png: 'image/png',
  ico: 'image/x-icon',
  txt: 'text/plain; charset=utf-8',
  woff2: 'font/woff2',
}

export function typeOf(path: string): string {
  return TYPES[path.slice(path.lastIndexOf('.') + 1).toLowerCase()] ?? 'application/octet-stream'
}

/** A strong ETag (quotes included) from the bytes themselves. */
export function contentTag(body: Buffer): string {
  return `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`
}

/** A file's representation: its type by extension, a strong ETag from its content. */
export function fileRepresentation(path: string, cacheControl: string): Representation {
  const body = readFileSync(path)
  return new Representation(body, typeOf(path), cacheControl, contentTag(body), path)
}

/** Every file under `dir` (its compressed copies and dotfiles aside), as URL paths beginning with `/`. */
export function builtFiles(dir: string, prefix = ''): string[] {
  const out: string[] = []
  for (const name of readdirSync(dir)) {
    if (name.startsWith('.') || name.endsWith('.br') || name.endsWith('.gz')) continue
    const full = join(dir, name)
    if (statSync(full).isDirectory()) out.push(...builtFiles(full, `${prefix}/${name}`))
    else out.push(`${prefix}/${name}`)
  }
  return out
}

/**
 * Writes a brotli (`.br`) and a gzip (`.gz`) copy, at the highest levels, beside every file under `dir` worth
 * compressing (`npm run build` does this to dist/ once: scripts/precompress.ts). A copy that would not be smaller
 * is not written. Answers the bytes before and after, by coding.
 */
export async function precompress(dir: string): Promise<{ files: number; bytes: number } & Record<Coding, number>> {
  const out = { files: 0, bytes: 0, br: 0, gzip: 0 }
  for (const rel of builtFiles(dir)) {
    const path = join(dir, ...rel.split('/'))
    const body = readFileSync(path)
    if (!compressible(typeOf(path)) || body.length < KEPT_COMPRESSED_FROM_BYTES) continue
    out.files++
    out.bytes += body.length
    for (const coding of CODINGS) {
      const packed = await compress(coding, body, true)
      if (packed.length >= body.length) continue
      writeFileSync(path + EXTENSIONS[coding], packed)
      out[coding] += packed.length
    }
  }
  return out
}

/**
 * Compresses the answers the routes make (pull pages, reports, the CSV, …) of at least 1 KB, for clients that
 * accept it, unless the request or the answer says `no-transform`. Strong ETags get the coding added. Bodies of
 * requests are never decompressed: one that says it is compressed is refused (415) before it is read.
 */
export function compressAnswers(app: FastifyInstance): void {
  app.addHook('onRequest', async (req, reply) => {
    const coding = req.headers['content-encoding']
    if (req.method !== 'GET' && req.method !== 'HEAD' && coding && coding.trim().toLowerCase() !== 'identity') {
      reply.header('Accept-Encoding', 'identity')
      const refusal = new ApiRefusal(415, 'unsupported_media_type', 'Send request bodies uncompressed.')
      return reply.code(415).send(refusal.body)
    }
  })
  app.addHook('onSend', async (req, reply, payload) => {
    if (reply.statusCode < 200 || reply.statusCode === 204 || reply.statusCode === 206 || reply.statusCode === 304)
      return payload
    if (reply.hasHeader('content-encoding')) return payload
    // A streamed answer (the campaign CSV) is compressed as it goes, whatever its length, which is not known yet.
    const streamed = payload instanceof Readable
    if (typeof payload !== 'string' && !Buffer.isBuffer(payload) && !streamed) return payload
    if (!compressible(String(reply.getHeader('content-type') ?? ''))) return payload
    const vary = String(reply.getHeader('vary') ?? '')
    if (/accept-encoding/i.test(vary)) return payload // negotiated already (sendRepresentation)
    if (!streamed && Buffer.byteLength(payload as string | Buffer) < COMPRESS_FROM_BYTES) return payload
    reply.header('Vary', vary ? `${vary}, Accept-Encoding` : 'Accept-Encoding')
    if (noTransform(req.headers['cache-control']) || noTransform(reply.getHeader('cache-control'))) return payload
    const coding = negotiate(req.headers['accept-encoding'])
    if (!coding) return payload
    if (streamed) {
      reply.header('Content-Encoding', coding).removeHeader('content-length')
      // pipeline ends (and destroys) the source when the client goes away or compressing fails.
      const out = compressStream(coding)
      pipeline(payload, out, () => undefined)
      return out
    }
    const body = await compress(coding, payload as string | Buffer)
    reply.header('Content-Encoding', coding).removeHeader('content-length')
    const etag = reply.getHeader('etag')
    if (typeof etag === 'string' && etag.startsWith('"')) reply.header('ETag', codedTag(etag, coding))
    return body
  })
}
