/**
 * SQLite's one connection, taken in turns so that a queue of queries never holds the event loop.
 *
 * better-sqlite3 answers on this thread. Kysely's own driver hands its one connection from query to query as
 * promises resolve (microtasks): 200 phones signing in or pulling at once queue 200 session lookups, and the whole
 * queue ran before the event loop read another request: a health check waited 400 ms or more for its turn to be
 * read, then queued behind everything that had arrived. Here:
 * - the connection passes on after the event loop has polled for I/O (setImmediate) once the queue has run for
 *   `HOLD_MS` without it;
 * - work marked `urgently` (health checks) goes before the queries already waiting, after the one running;
 * - a statement is prepared once per SQL text, not for every query.
 */
import { AsyncLocalStorage } from 'node:async_hooks'
import type SQLite from 'better-sqlite3'
import {
  CompiledQuery,
  SelectQueryNode,
  SqliteDialect,
  type DatabaseConnection,
  type Driver,
  type QueryResult,
} from 'kysely'

/** How long queries may follow each other before the event loop gets a turn. */
export const HOLD_MS = 10
/** Prepared statements kept, by SQL text; the app has a few hundred distinct ones. */
const STATEMENTS_KEPT = 500

const urgency = new AsyncLocalStorage<true>()

/** Runs `work` with its SQLite queries ahead of those already waiting (a health check: it must not queue). */
export function urgently<T>(work: () => Promise<T>): Promise<T> {
  return urgency.run(true, work)
}

/** The one connection, held by one holder at a time: urgent waiters first, then the others in order of arrival. */
export class ConnectionTurns {
  private held = false
  private readonly waiting: (() => void)[] = []
  private readonly urgent: (() => void)[] = []
  /** When the event loop last had a turn while the connection was passed on; 0 when it was free. */
  private since = 0

  async lock(): Promise<void> {
    if (!this.held) {
      this.held = true
      this.since = performance.now()
      return
    }
    await new Promise<void>((resolve) => (urgency.getStore() ? this.urgent : this.waiting).push(resolve))
  }

  unlock(): void {
    if (this.urgent.length === 0 && this.waiting.length === 0) {
      this.held = false
      return
    }
    if (performance.now() - this.since < HOLD_MS) {
      this.next()
      return
    }
    // Still held while the loop reads what has arrived: a health check read now goes first.
    setImmediate(() => {
      this.since = performance.now()
      this.next()
    })
  }

  private next(): void {
    const resolve = this.urgent.shift() ?? this.waiting.shift()
    if (resolve) resolve()
    else this.held = false
  }
}

class Connection implements DatabaseConnection {
  private readonly statements = new Map<string, SQLite.Statement>()

  constructor(private readonly db: SQLite.Database) {}

  private prepare(sql: string): SQLite.Statement {
    let stmt = this.statements.get(sql)
    if (stmt) {
      // Most recently used last: the first is the one to let go.
      this.statements.delete(sql)
    } else {
      stmt = this.db.prepare(sql)
      if (this.statements.size >= STATEMENTS_KEPT) this.statements.delete(this.statements.keys().next().value!)
    }
    this.statements.set(sql, stmt)
    return stmt
  }

  executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    const { sql, parameters } = compiledQuery
    const stmt = this.prepare(sql)
    if (stmt.reader) return Promise.resolve({ rows: stmt.all(parameters) as R[] })
    const { changes, lastInsertRowid } = stmt.run(parameters)
    return Promise.resolve({
      numAffectedRows: BigInt(changes),
      insertId: BigInt(lastInsertRowid),
      rows: [],
    })
  }

  async *streamQuery<R>(compiledQuery: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    const { sql, parameters, query } = compiledQuery
    if (!SelectQueryNode.is(query)) throw new Error('Sqlite driver only supports streaming of select queries')
    // Its own statement: a cached one could be asked for again while this one still iterates.
    for (const row of this.db.prepare(sql).iterate(parameters)) yield { rows: [row as R] }
  }
}

class TurnTakingDriver implements Driver {
  private readonly turns = new ConnectionTurns()
  private readonly connection: Connection

  constructor(private readonly db: SQLite.Database) {
    this.connection = new Connection(db)
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    await this.turns.lock()
    return this.connection
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin'))
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('commit'))
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('rollback'))
  }

  // Savepoints by name, as Kysely's own driver makes them (the name is the caller's, never a user's).
  async savepoint(connection: DatabaseConnection, name: string) {
    await connection.executeQuery(CompiledQuery.raw(`savepoint ${quoted(name)}`))
  }

  async rollbackToSavepoint(connection: DatabaseConnection, name: string) {
    await connection.executeQuery(CompiledQuery.raw(`rollback to ${quoted(name)}`))
  }

  async releaseSavepoint(connection: DatabaseConnection, name: string) {
    await connection.executeQuery(CompiledQuery.raw(`release ${quoted(name)}`))
  }

  async releaseConnection(): Promise<void> {
    this.turns.unlock()
  }

  async destroy(): Promise<void> {
    this.db.close()
  }
}

const quoted = (name: string) => `"${name.replaceAll('"', '""')}"`

/** Kysely's SQLite dialect with the turn-taking driver above. */
export class TurnTakingSqliteDialect extends SqliteDialect {
  constructor(private readonly database: SQLite.Database) {
    super({ database })
  }

  override createDriver(): Driver {
    return new TurnTakingDriver(this.database)
  }
}
