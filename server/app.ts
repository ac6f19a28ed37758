import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import Fastify, { type FastifyInstance } from 'fastify'
import type { Transaction } from 'kysely'
import * as v from 'valibot'
import { MAX_JSON_DEPTH, nestedDeeperThan } from '../src/kernel/canonical'
import type { Dataset } from '../src/kernel/dataset'
import { assertDataset } from '../src/kernel/dataset-validate'
import { auditRoutes } from './audit/routes'
import { keyRoutes } from './auth/keys'
import { refuseCrossSite, type TrustProxy } from './auth/origin'
import { authRoutes } from './auth/routes'
import { userRoutes } from './auth/users'
import { campaignRoutes } from './campaigns/routes'
import type { Database, Store } from './db/database'
import { readiness } from './db/readiness'
import { evidenceRoutes } from './evidence/routes'
import { builtFiles, compressAnswers, fileRepresentation, Representation, sendRepresentation } from './http/encoding'
import { ApiRefusal, databaseUnavailable } from './http/errors'
import { drainOnClose } from './http/shutdown'
import { Admission } from './http/turns'
import { taskShells } from './http/task-shell'
import { partyRoutes } from './parties/routes'
import { recordRoutes } from './records/routes'
import type { PhotoStorage } from './photos/storage'
import { reviewRoutes } from './review/routes'
import { syncRoutes } from './sync/routes'

export interface ServerOptions {
  /** The built app (vite's dist/). */
  distDir: string
  /** Where check-ins and notes are kept; without it the server serves the app and dataset only. */
  store?: Store
  /** Fastify's logger: on, off, or (tests) writing its JSON lines to a stream. */
  logger?: boolean | { level?: string; stream: { write(line: string): void } }
  /**
   * Which proxies to believe about the client's address, protocol and host (X-Forwarded-For, -Proto, -Host):
   * the TRUST_PROXY setting (server/auth/origin.ts). Behind a TLS proxy it makes the session cookie Secure.
   */
  trustProxy?: TrustProxy
  /**
   * Where whole photos' bytes go (server/photos/storage.ts): the database when not given, or a folder that
   * every server on the database shares (ZHIXUN_PHOTO_DIR). Photos stored either way stay readable.
   */
  photoStorage?: PhotoStorage
  /** Tests only: runs inside each push transaction just before it commits. */
  beforePushCommit?: (tx: Transaction<Database>) => void | Promise<void>
}

/**
 * Sent with every response. Scripts, styles and connections only from this origin; photos also from
 * blob: URLs (previews made on the phone); no framing; camera and location for this origin only.
 */
export const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy': [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' blob: data:",
    "connect-src 'self'",
    "worker-src 'self'",
    "manifest-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; '),
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Permissions-Policy': 'camera=(self), geolocation=(self), microphone=()',
  'Cross-Origin-Opener-Policy': 'same-origin',
}

/** Seconds a phone should wait before retrying after a temporary failure. */
const RETRY_AFTER_S = 2

/** Files the browser must ask for every time: they decide which version of the app runs. */
const NEVER_CACHED = /^\/(index\.html|sw\.js|registerSW\.js|manifest\.webmanifest|workbox-[^/]+\.js)?$/

/** What Fastify throws when it refuses a request itself: a body that is not JSON, too large, of an unknown type. */
const FastifyClientError = v.object({
  statusCode: v.pipe(v.number(), v.integer(), v.minValue(400), v.maxValue(499)),
  code: v.optional(v.string()),
  message: v.string(),
})

/** Fastify's own 4xx in the shape of every other refusal. */
function fastifyRefusal(err: unknown): ApiRefusal | undefined {
  const parsed = v.safeParse(FastifyClientError, err)
  if (!parsed.success) return undefined
  const { statusCode, code, message } = parsed.output
  return new ApiRefusal(statusCode, code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? 'too_large' : 'bad_request', message)
}

export function readBuiltDataset(distDir: string): Dataset {
  return assertDataset(JSON.parse(readFileSync(join(distDir, 'data', 'dataset.json'), 'utf8')))
}

export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  const distDir = resolve(options.distDir)
  const dataset = readBuiltDataset(distDir)
  const datasetFile = join(distDir, 'data', 'dataset.json')
  // The file as built (validated just now), with the copies the build compressed; its version is its ETag.
  const datasetRep = new Representation(
    readFileSync(datasetFile),
    'application/json; charset=utf-8',
    'no-cache',
    `"${dataset.version}"`,
    datasetFile,
  )
  const app = Fastify({
    logger: options.logger ?? false,
    trustProxy: options.trustProxy ?? false,
    // Requests arriving while the server stops are refused by drainOnClose, in the API's own shape.
    return503OnClosing: false,
  })
  const closing = drainOnClose(app)
  app.addHook('onRequest', refuseCrossSite)
  // API requests start one per turn of the event loop (server/http/turns.ts); the health check never waits.
  const admission = new Admission()
  app.addHook('onRequest', async (req) => {
    if (req.url.startsWith('/api/') && req.routeOptions.url !== '/api/health') await admission.wait()
  })
  // No record comes near this depth; a body nested deeper is refused before anything walks it recursively.
  app.addHook('preValidation', async (req) => {
    const body: unknown = req.body
    if (
      typeof body === 'object' &&
      body !== null &&
      !ArrayBuffer.isView(body) &&
      nestedDeeperThan(body, MAX_JSON_DEPTH)
    )
      throw new ApiRefusal(400, 'invalid_request', `JSON nested more than ${MAX_JSON_DEPTH} levels deep`)
  })
  app.addHook('onSend', async (_req, reply, payload) => {
    reply.headers(SECURITY_HEADERS)
    return payload
  })
  compressAnswers(app)

  app.get('/api/dataset', async (req, reply) => sendRepresentation(req, reply, datasetRep))

  /**
   * Whether this server can do its work: the database read and written just now, without waiting on a lock
   * or a database that is gone (server/db/readiness.ts). 503 says which failed and how.
   */
  app.get('/api/health', async (req, reply) => {
    reply.header('Cache-Control', 'no-store')
    // Stopping (SIGTERM): finishing the requests it has, taking no more; a proxy should send them elsewhere.
    if (closing()) {
      reply.code(503).header('Retry-After', String(RETRY_AFTER_S))
      return { ok: false, problem: 'shutting_down', datasetVersion: dataset.version }
    }
    if (!options.store) return { ok: true, datasetVersion: dataset.version }
    const { read, write, ...database } = await readiness(options.store)
    if (!database.ok) {
      // The errors' own words (which may name hosts and files) go to the log; anyone may ask for health.
      req.log.warn({ read, write }, 'database not ready')
      reply.code(503).header('Retry-After', String(RETRY_AFTER_S))
    }
    const said = (c: typeof read) => (c.ok ? { ok: true } : { ok: false, problem: c.problem })
    return {
      ok: database.ok,
      datasetVersion: dataset.version,
      database: { ...database, read: said(read), write: said(write) },
    }
  })

  app.setErrorHandler((err, req, reply) => {
    const refusal = err instanceof ApiRefusal ? err : fastifyRefusal(err)
    if (refusal) {
      // A 5xx refusal is the server's trouble (a photo file lost, a folder that cannot be written): logged.
      if (refusal.status >= 500) req.log.warn({ err: refusal }, `refused: ${refusal.code}`)
      // A refusal that says when to try again says it where HTTP clients look for it too.
      if (typeof refusal.details.retryAfter === 'number')
        reply.header('Retry-After', String(refusal.details.retryAfter))
      return reply.code(refusal.status).send(refusal.body)
    }
    // The database out of reach, busy or overloaded, by name (server/http/errors.ts): nothing was committed.
    if (databaseUnavailable(err)) {
      req.log.warn({ err }, 'database unavailable')
      return reply
        .code(503)
        .header('Retry-After', String(RETRY_AFTER_S))
        .send(new ApiRefusal(503, 'unavailable', 'The database is unavailable; nothing was saved. Try again.').body)
    }
    // Anything else is a bug: said as one, and logged with its stack for whoever fixes it.
    req.log.error({ err }, 'unexpected error')
    return reply
      .code(500)
      .send(new ApiRefusal(500, 'internal', 'The server failed unexpectedly; the error has been logged.').body)
  })

  if (options.store) {
    await app.register(authRoutes, { store: options.store })
    await app.register(keyRoutes, { store: options.store })
    await app.register(syncRoutes, {
      store: options.store,
      taskNumbers: new Set(dataset.tasks.map((t) => t.number)),
      photoStorage: options.photoStorage,
      beforePushCommit: options.beforePushCommit,
    })
    const departments = new Set(dataset.departments.map((d) => d.name))
    await app.register(userRoutes, { store: options.store, departments })
    await app.register(campaignRoutes, {
      store: options.store,
      departments,
      taskNumbers: dataset.tasks.map((t) => t.number),
    })
    await app.register(partyRoutes, { store: options.store })
    await app.register(auditRoutes, { store: options.store })
    await app.register(reviewRoutes, { store: options.store })
    await app.register(recordRoutes, { store: options.store })
    await app.register(evidenceRoutes, { store: options.store, photoStorage: options.photoStorage })
  }

  // The built app, read once at start-up; each file in the coding the client prefers (server/http/encoding.ts).
  const files = new Map<string, Representation>()
  for (const rel of builtFiles(distDir)) {
    const cacheControl = rel.startsWith('/assets/')
      ? 'public, max-age=31536000, immutable'
      : NEVER_CACHED.test(rel)
        ? 'no-cache'
        : 'public, max-age=3600'
    const rep = fileRepresentation(join(distDir, ...rel.split('/')), cacheControl)
    files.set(rel, rep)
    app.get(encodeURI(rel), async (req, reply) => sendRepresentation(req, reply, rep))
  }
  const shell = files.get('/index.html')
  // A task's page comes with its text in the HTML, to paint before the scripts run (server/http/task-shell.ts).
  const taskShell = shell ? taskShells(shell, dataset) : () => undefined

  // Client-side routes (/tasks/153 …) get the app shell; unknown /api paths and missing files get a 404.
  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?')[0] ?? '/'
    if ((req.method === 'GET' || req.method === 'HEAD') && !path.startsWith('/api/') && !/\.[a-z0-9]+$/i.test(path)) {
      if (shell) return sendRepresentation(req, reply, taskShell(path) ?? shell)
    }
    return reply.code(404).send(new ApiRefusal(404, 'not_found', `No ${req.method} ${path}`).body)
  })

  return app
}
