/**
 * The pull horizon: how pushes on PostgreSQL commit without all waiting for the version counter's row.
 *
 * A push reserves a block of versions in a statement of its own (the counter's row is locked only for that
 * statement), registers the block in `inflight_versions` and takes a session lock on it (its sign of life), in
 * that same statement. It then applies in its own transaction on the same connection, which first deletes its
 * block's row and commits the delete with the records, or rolls it back with them; then it lets go of the
 * lock. A pull reads only versions at or below the horizon: the latest version handed out, or just below the
 * oldest block still registered, whichever is lower. So a version a pull passes has committed, or will never
 * be written (an unused version of a block, a block whose push failed): a gap, which pulls always passed over.
 *
 * A block whose lock no one holds was left by a push that is gone (its server crashed or was killed, its
 * connection cut: the database lets go of a session's locks when it ends, and a session waiting on a lock looks
 * for its server every `PG_DEAD_CLIENT_CHECK_MS`). A pull deletes such blocks, so a crashed server holds pulls
 * back for a few seconds at most, never for good; a push still applying holds its lock and is never taken for
 * dead, however long it takes.
 *
 * SQLite has one writer: a push there takes the counter's row for its whole transaction, as it always did,
 * registers nothing, and the horizon is the counter.
 */
import { createHash } from 'node:crypto'
import { PostgresAdapter, sql, type Kysely, type Transaction } from 'kysely'
import { nowIso, type Database } from '../db/database'

/**
 * A pull asks whether the pushes of blocks registered longer ago than this are still alive, and deletes the
 * blocks of those that are not. Asking any sooner would be as correct (a live push holds its lock from the
 * moment its block is registered), only more work: most pushes have committed well within it.
 */
export const INFLIGHT_CHECK_MS = 250

/**
 * The session lock on a block in flight: the schema's hash and the block's first version. Advisory locks are
 * the database's, not the schema's: another schema's pushes (another deployment, a test) must not look alive
 * in this one.
 */
const blockLock = (fromVersion: unknown) => sql`hashtext(current_schema()), ${fromVersion}`

/** Versions `from`…`to` reserved by one push, for it alone. */
export interface VersionBlock {
  from: number
  to: number
}

/**
 * The push's block was deleted as dead before its transaction took it (its connection lost its session lock),
 * or was too small for what it had to write: nothing was written, and the push reserves again.
 */
export class BlockLost extends Error {
  constructor(block: VersionBlock | undefined, why: string) {
    super(`version block ${block ? `${block.from}–${block.to}` : '(none)'} lost: ${why}`)
  }
}

/** Whether the store is PostgreSQL, where pushes run side by side; SQLite runs one transaction at a time. */
export const pushesRunConcurrently = (db: Kysely<Database>): boolean =>
  db.getExecutor().adapter instanceof PostgresAdapter

/**
 * Reserves `n` versions, registers them as in flight and takes the block's session lock, in one statement: no
 * pull ever sees the counter moved on without the block that holds it back, nor the block without its lock.
 * `conn` is one connection (`db.connection()`), which must let go of the lock (`unlockBlock`). PostgreSQL only.
 */
export async function reserveVersions(conn: Kysely<Database>, n: number): Promise<VersionBlock> {
  const { rows } = await sql<{ from_version: number; to_version: number }>`
    with reserved as (
      update counters set value = value + ${n} where name = 'version' returning value
    )
    insert into inflight_versions (from_version, to_version, started_at)
    select value - ${n} + 1, value, ${nowIso()} from reserved
    returning from_version, to_version, pg_advisory_lock(${blockLock(sql.ref('from_version'))})::text as alive`.execute(
    conn,
  )
  const row = rows[0]
  if (!row) throw new Error('the version counter is missing')
  return { from: row.from_version, to: row.to_version }
}

/**
 * Deletes the block's row in the push's transaction: every pull still sees it (and stays below the block)
 * until the push commits. If it is gone, a pull took the push for dead and may have passed the block: the
 * push must not write into it.
 */
export async function takeBlock(tx: Transaction<Database>, block: VersionBlock): Promise<void> {
  const taken = await tx
    .deleteFrom('inflight_versions')
    .where('from_version', '=', block.from)
    .returning('from_version')
    .executeTakeFirst()
  if (!taken) throw new BlockLost(block, 'deleted: its session lock was let go')
}

/** Unregisters the block of a push that failed: its transaction rolled back, so its versions stay unused. */
export async function releaseBlock(conn: Kysely<Database>, block: VersionBlock): Promise<void> {
  await conn.deleteFrom('inflight_versions').where('from_version', '=', block.from).execute()
}

/** Lets go of the block's session lock, on the connection that reserved it, once its row is gone. */
export async function unlockBlock(conn: Kysely<Database>, block: VersionBlock): Promise<void> {
  await sql`select pg_advisory_unlock(${blockLock(block.from)})`.execute(conn)
}

/** A scope key as the lock on it names it: hashed first, so that any text (a NUL too) makes a key. */
export const scopeDigest = (key: string): string => createHash('sha256').update(key).digest('hex')

/**
 * Makes pushes that touch the same things take turns, in their transactions: the same client (its sequence
 * numbers, its chain's links) or the same record id (a check-in and the correction naming it, one note
 * edited on two phones). Before, every push waited on the counter's row, and this came with it. The locks
 * are transaction-level advisory locks on 64-bit hashes of the schema and the key, taken in ascending order so
 * two pushes do not wait on each other in a circle (should they, PostgreSQL ends one as a deadlock and the
 * push runs again: server/http/errors.ts withConflictRetry); a hash shared by two keys only makes them take
 * turns too.
 */
export async function lockScopes(tx: Transaction<Database>, keys: Iterable<string>): Promise<void> {
  const digests = [...new Set([...keys].map(scopeDigest))]
  if (digests.length === 0) return
  // The aggregate takes the locks in the order its sorted input arrives.
  await sql`select count(pg_advisory_xact_lock(h)) from (
      select distinct hashtextextended(current_schema() || ':' || d, 0) as h from unnest(${digests}::text[]) as d
      order by h
    ) as scopes`.execute(tx)
}

/**
 * The highest version a pull may pass: every version at or below it has committed or will never be written.
 * Read in one statement, so the counter and the blocks in flight are seen at one moment: a block reserved
 * below the counter and no longer registered has committed (its records are visible to the pull's next
 * statement) or failed. Dead blocks are deleted first, once, when there are any.
 */
export async function pullHorizon(db: Kysely<Database>): Promise<number> {
  for (let cleaned = false; ; cleaned = true) {
    const { rows } = await sql<{ latest: number | null; oldest: number | null; started: string | null }>`
      select (select value from counters where name = 'version') as latest,
             (select min(from_version) from inflight_versions) as oldest,
             (select min(started_at) from inflight_versions) as started`.execute(db)
    const { latest, oldest, started } = rows[0] ?? { latest: 0, oldest: null, started: null }
    const checkBefore = new Date(Date.now() - INFLIGHT_CHECK_MS).toISOString()
    if (!cleaned && started !== null && started < checkBefore && pushesRunConcurrently(db)) {
      await deleteDeadBlocks(db, checkBefore)
      continue
    }
    const counter = Number(latest ?? 0)
    return oldest === null ? counter : Math.min(counter, Number(oldest) - 1)
  }
}

/**
 * Deletes the blocks registered before `before` whose push is gone: no one holds their session lock. Taking it
 * (for this transaction) shows it; a push that still holds it, in its transaction or not, keeps its block.
 */
export async function deleteDeadBlocks(db: Kysely<Database>, before: string): Promise<void> {
  // One statement, its own transaction: the locks it takes go with it.
  await sql`delete from inflight_versions
    where started_at < ${before} and pg_try_advisory_xact_lock(${blockLock(sql.ref('from_version'))})`.execute(db)
}
