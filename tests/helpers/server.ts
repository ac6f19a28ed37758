import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import pg from 'pg'
import { describe, it } from 'vitest'
import { buildServer, type ServerOptions } from '../../server/app'
import { createUser } from '../../server/auth/accounts'
import type { SessionUser, UserRole } from '../../src/kernel/users'
import { openStore, type Store } from '../../server/db/database'
import { realDataset } from './seed'

export const PG_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

export async function postgresReachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2000 })
  try {
    await client.connect()
    await client.query('select 1')
    return true
  } catch {
    return false
  } finally {
    await client.end().catch(() => undefined)
  }
}

export type StoreKind = 'sqlite' | 'postgres'
/** Every database the server runs on. Tests iterate them with `describeStores`, never `describe.each`: see there. */
export const STORE_KINDS: readonly StoreKind[] = ['sqlite', 'postgres']

/** Whether PostgreSQL answered at `PG_URL` when this file was first imported. */
export const POSTGRES_UP = await postgresReachable()
/** CI sets `CI`: there every database the tests claim to cover must be present (.ci/run starts PostgreSQL). */
const UNDER_CI = !['', '0', 'false'].includes((process.env.CI ?? '').toLowerCase())
if (!POSTGRES_UP)
  console.warn(
    UNDER_CI
      ? `PostgreSQL not reachable at ${PG_URL}: under CI the PostgreSQL half of the server tests fails`
      : `PostgreSQL not reachable at ${PG_URL}: the PostgreSQL half of the server tests is skipped`,
  )

/**
 * A suite of tests on one database. On PostgreSQL when it does not answer, the suite's tests show as
 * skipped, one by one (the counts say what did not run); under CI the suite instead fails with one test
 * saying why, since CI must run every test against both databases.
 */
export function describeOn(kind: StoreKind, name: string, fn: () => void): void {
  if (kind === 'sqlite' || POSTGRES_UP) describe(name, fn)
  else if (UNDER_CI)
    describe(name, () => {
      it('finds PostgreSQL, which CI must provide', () => {
        throw new Error(`PostgreSQL is not reachable at ${PG_URL}; under CI its tests must run, not be skipped`)
      })
    })
  else describe.skip(name, fn)
}

/** The same suite on SQLite and on PostgreSQL (see `describeOn`); `%s` in the name stands for the database. */
export function describeStores(name: string, fn: (kind: StoreKind) => void): void {
  for (const kind of STORE_KINDS) describeOn(kind, name.replace('%s', kind), () => fn(kind))
}

/** A fresh, empty store: an in-memory SQLite database, or a PostgreSQL schema of its own, dropped on close. */
export async function makeStore(kind: StoreKind): Promise<Store> {
  if (kind === 'sqlite') return openStore(':memory:')
  const schema = `t_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`
  const dropSchema = async () => {
    const client = new pg.Client({ connectionString: PG_URL })
    await client.connect()
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
    await client.end()
  }
  // A store that fails to open must not leave its schema behind in the shared test database.
  const store = await openStore(PG_URL, { schema }).catch(async (err: unknown) => {
    await dropSchema()
    throw err
  })
  return {
    ...store,
    async close() {
      await store.close()
      await dropSchema()
    },
  }
}

/** A built-app folder with just what the server needs: an index.html, an asset and the real dataset. */
export function makeDist(): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'zhixun-dist-'))
  mkdirSync(join(dir, 'assets'))
  mkdirSync(join(dir, 'data'))
  writeFileSync(join(dir, 'index.html'), '<!doctype html><div id="app"></div>')
  writeFileSync(join(dir, 'assets', 'index-abc123.js'), 'console.log(1)')
  writeFileSync(join(dir, 'sw.js'), 'self.x=1')
  writeFileSync(join(dir, 'manifest.webmanifest'), '{}')
  writeFileSync(join(dir, 'data', 'dataset.json'), JSON.stringify(realDataset))
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) }
}

export interface TestServer {
  app: FastifyInstance
  store: Store
  close(): Promise<void>
}

export async function makeServer(kind: StoreKind, options: Partial<ServerOptions> = {}): Promise<TestServer> {
  const dist = makeDist()
  const store = await makeStore(kind)
  const app = await buildServer({ distDir: dist.dir, store, ...options })
  return {
    app,
    store,
    async close() {
      await app.close()
      await store.close()
      dist.remove()
    },
  }
}

export const TEST_PASSWORD = 'test-password-long'
let userNo = 0

/** Adds a user and signs them in through the API; returns the user and the Cookie header to send. */
export async function signedIn(
  s: { app: FastifyInstance; store: Store },
  role: UserRole = 'inspector',
  department = '省知识产权局',
): Promise<{ user: SessionUser; cookie: string }> {
  const username = `${role}.${++userNo}.${Math.random().toString(36).slice(2, 7)}`
  await createUser(s.store.db, new Set(realDataset.departments.map((d) => d.name)), {
    username,
    displayName: `测试${role}`,
    department,
    role,
    password: TEST_PASSWORD,
  })
  const res = await s.app.inject({
    method: 'POST',
    url: '/api/auth/login',
    payload: { username, password: TEST_PASSWORD },
  })
  if (res.statusCode !== 200) throw new Error(`sign-in failed: ${res.body}`)
  return { user: res.json().user as SessionUser, cookie: String(res.headers['set-cookie']).split(';')[0]! }
}
