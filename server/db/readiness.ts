/**
 * Whether the database can be read and written right now, found out without waiting on it: a lock another
 * process holds, a database that is gone or a pool with no connection to spare is reported, not waited for.
 */
import { sql, type Kysely } from 'kysely'
import SQLite from 'better-sqlite3'
import pg from 'pg'
import { databaseUnavailable } from '../http/errors'
import type { Database, Store } from './database'
import { urgently } from './sqlite-driver'

/** What kept a check from succeeding. */
export type ReadinessProblem = 'locked' | 'read_only' | 'unavailable' | 'timeout' | 'failed'

export type CheckResult = { ok: true } | { ok: false; problem: ReadinessProblem; message: string }

export interface Readiness {
  ok: boolean
  dialect: Store['dialect']
  read: CheckResult
  write: CheckResult
}

/** The longest a check may take, whatever it waits for (a pool connection, a network that drops packets). */
export const READINESS_TIMEOUT_MS = 2000
/** On PostgreSQL: how long a check waits for a lock, and for a statement, before it gives up. */
const PG_LOCK_TIMEOUT = '200ms'
const PG_STATEMENT_TIMEOUT = '1s'

class CheckTimeout extends Error {}

function problemOf(err: unknown): ReadinessProblem {
  if (err instanceof CheckTimeout) return 'timeout'
  if (err instanceof SQLite.SqliteError) {
    if (/^SQLITE_(BUSY|LOCKED)/.test(err.code)) return 'locked'
    if (/^SQLITE_READONLY/.test(err.code)) return 'read_only'
  }
  if (err instanceof pg.DatabaseError) {
    if (err.code === '55P03') return 'locked' // lock_not_available: lock_timeout expired
    if (err.code === '57014') return 'timeout' // query_canceled: statement_timeout expired
    if (err.code === '25006') return 'read_only' // read_only_sql_transaction: a standby, or default read-only
  }
  return databaseUnavailable(err) ? 'unavailable' : 'failed'
}

async function check(run: () => Promise<unknown>, timeoutMs: number): Promise<CheckResult> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CheckTimeout(`no answer within ${timeoutMs} ms`)), timeoutMs)
  })
  const running = run()
  // Whatever the check ends with once its time is up, nobody waits for it: it must not go unhandled.
  running.catch(() => undefined)
  try {
    await Promise.race([running, timeout])
    return { ok: true }
  } catch (err) {
    return { ok: false, problem: problemOf(err), message: err instanceof Error ? err.message : String(err) }
  } finally {
    clearTimeout(timer)
  }
}

/** On PostgreSQL, a transaction that gives up on a held lock or a slow statement instead of waiting for it. */
async function bounded<T>(store: Store, fn: (tx: Kysely<Database>) => Promise<T>): Promise<T> {
  return store.db.transaction().execute(async (tx) => {
    if (store.dialect === 'postgres') {
      await sql`set local lock_timeout = ${sql.lit(PG_LOCK_TIMEOUT)}`.execute(tx)
      await sql`set local statement_timeout = ${sql.lit(PG_STATEMENT_TIMEOUT)}`.execute(tx)
    }
    return fn(tx)
  })
}

/**
 * Reads the version counter, and writes (and commits) a row of its own in the counters table: a write that
 * is rolled back would not find a full disk. On SQLite a lock another process holds fails the write after
 * the short busy timeout (server/db/database.ts); on PostgreSQL after a short lock timeout.
 */
export async function readiness(store: Store, timeoutMs = READINESS_TIMEOUT_MS): Promise<Readiness> {
  // On SQLite ahead of the queries already waiting for the one connection (server/db/sqlite-driver.ts): a burst of
  // requests must not make the health check look like a database that does not answer.
  const [read, write] = await urgently(() =>
    Promise.all([
      check(
        () =>
          bounded(store, (tx) =>
            tx.selectFrom('counters').select('value').where('name', '=', 'version').executeTakeFirstOrThrow(),
          ),
        timeoutMs,
      ),
      check(
        () =>
          bounded(store, (tx) =>
            tx
              .insertInto('counters')
              .values({ name: 'health', value: 0 })
              .onConflict((oc) => oc.column('name').doUpdateSet({ value: 0 }))
              .execute(),
          ),
        timeoutMs,
      ),
    ]),
  )
  return { ok: read.ok && write.ok, dialect: store.dialect, read, write }
}
