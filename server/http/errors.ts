import SQLite from 'better-sqlite3'
import pg from 'pg'
import * as v from 'valibot'
import { ZhixunError } from '../../src/kernel/errors'
import { validationReason } from '../../src/kernel/sync-schema'

/**
 * Every reason the API gives for refusing a request: the `error` of the answer's body. The phone names
 * the ones it explains in its locale files (`apiError.<code>`), so a code, once sent, keeps its meaning.
 */
export type RefusalCode =
  // The request itself
  | 'bad_request'
  /** A request no correct client makes: its query, path, headers or sync envelope are wrong. */
  | 'invalid_request'
  /** A form (a campaign, an account) with something for the person filling it in to correct. */
  | 'invalid'
  | 'too_large'
  | 'unsupported_media_type'
  | 'not_found'
  /** The database is out of reach, busy or overloaded (`databaseUnavailable`): a 503 with Retry-After. */
  | 'unavailable'
  /** A bug: a failure nobody planned for, logged with its stack. A 500; the phone retries it only slowly. */
  | 'internal'
  // Who is asking
  | 'signed_out'
  | 'bad_credentials'
  | 'locked'
  /** Too many failed sign-ins from one client address (server/auth/login-limits.ts). */
  | 'too_many_attempts'
  /** Too many sign-ins waiting for a password hash at once: try again in a moment. */
  | 'busy'
  /** A state-changing request sent from another site's page (its Origin or Sec-Fetch-Site says so). */
  | 'cross_site'
  | 'forbidden'
  | 'forged_author'
  | 'forged_campaign'
  | 'forged_client'
  | 'forged_department'
  // Sync
  | 'seq_conflict'
  | 'seq_gap'
  | 'photo_missing'
  // Signing keys
  /** A user may register only so many signing keys (one per phone client). */
  | 'too_many_keys'
  // Photo uploads
  | 'no_upload'
  | 'upload_mismatch'
  | 'offset_mismatch'
  | 'empty_chunk'
  | 'hash_mismatch'
  /** One user's unfinished uploads add up to more than they may (server/sync/photos.ts). */
  | 'upload_quota'
  /** A stored photo whose bytes cannot be read: its file is missing, unreadable or changed (a 503). */
  | 'photo_unavailable'
  // Accounts
  | 'invalid_username'
  | 'invalid_name'
  | 'invalid_role'
  | 'weak_password'
  | 'username_taken'
  | 'own_account'
  /** A certificate number without its expiry (or the other way round), or one that is not one line of ≤ 40 characters. */
  | 'invalid_certificate'
  /** Another account already holds this certificate number. */
  | 'certificate_taken'
  // Parties
  /** A 统一社会信用代码 of the wrong length, with a character outside its alphabet, or a wrong check character. */
  | 'invalid_credit_code'
  /** A party id someone else's party already has (ids are UUIDs made on the phone: never by chance). */
  | 'id_taken'
  /** A party merged into itself (the same id, or the party it already went into). */
  | 'same_party'
  /** A party a supervisor merged into another already. */
  | 'already_merged'
  /** Two parties with credit codes: the register never merges them. */
  | 'both_coded'
  /** A party with a credit code merged into one without: the merge goes the other way. */
  | 'coded_party'
  // Campaigns
  | 'unknown_task'
  | 'unknown_department'
  | 'unknown_inspector'
  /** Not the province nor one of its cities (src/kernel/regions.ts): an account's or a campaign's. */
  | 'invalid_region'
  /** A city's supervisor naming another region for a campaign. */
  | 'forged_region'
  | 'campaign_changed'
  // Audit, review
  /** The audit log is read per record or per person: the request named neither. */
  | 'filter_required'
  /** A check-in returned to its inspector without a comment saying why. */
  | 'comment_required'

/** A request the server refuses with an HTTP status and a JSON body `{error: code, message, ...details}`; nothing is committed. */
export class ApiRefusal<C extends RefusalCode = RefusalCode> extends ZhixunError<C> {
  constructor(
    readonly status: number,
    code: C,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(code, message)
  }

  /** What the client reads: the code, the message in English, and the details beside them. */
  get body(): Record<string, unknown> {
    return { error: this.code, message: this.message, ...this.details }
  }
}

/** The value `schema` makes of a request part, or a 400 `code` naming the first field that is wrong. */
export function parseOrRefuse<T extends v.GenericSchema>(
  schema: T,
  value: unknown,
  code: 'invalid_request' | 'invalid',
): v.InferOutput<T> {
  const parsed = v.safeParse(schema, value)
  if (!parsed.success)
    throw new ApiRefusal(400, code, validationReason(parsed.issues), { field: v.getDotPath(parsed.issues[0]!) ?? '' })
  return parsed.output
}

/*
 * What a failure that was not a refusal means. Only the database being out of reach, busy or overloaded is
 * temporary, named one by one below: the client is told 503 with Retry-After and tries again. Everything else
 * is a bug (500 `internal`, logged with its stack): a client retrying it soon would only meet it again.
 */

/** SQLite's result codes for a file another connection holds (busy, locked) or a full disk; extended codes too. */
const SQLITE_UNAVAILABLE = new Set(['SQLITE_BUSY', 'SQLITE_LOCKED', 'SQLITE_FULL'])

/**
 * PostgreSQL's SQLSTATEs: class 08 (connection exception), class 53 (insufficient resources: disk full, out
 * of memory, too many connections), 57P01–57P03 (the server shutting down, crashed, or not yet accepting
 * connections), and 40001/40P01 (serialization failure, deadlock) once `withConflictRetry` has retried.
 */
const pgUnavailable = (code: string): boolean =>
  code.startsWith('08') || code.startsWith('53') || ['57P01', '57P02', '57P03', '40001', '40P01'].includes(code)

/** Node's codes for a connection refused, reset or never made (the database host down or unreachable). */
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
])

/** What node-postgres says, without a code, of a connection that ended or could not be made in time. */
const PG_CONNECTION_ENDED =
  /^(Connection terminated( unexpectedly| due to connection timeout)?|timeout exceeded when trying to connect|Client has encountered a connection error and is not queryable|Client was closed and is not queryable)$/

/** The error, the errors it was caused by, and the errors it aggregates (a connection tried on several addresses). */
function* chain(err: unknown, depth = 0): Generator<unknown> {
  if (depth > 5 || err === null || typeof err !== 'object') return
  yield err
  if (err instanceof AggregateError) for (const inner of err.errors) yield* chain(inner, depth + 1)
  if (err instanceof Error && err.cause !== undefined) yield* chain(err.cause, depth + 1)
}

const sqliteCode = (err: unknown): string | undefined =>
  err instanceof SQLite.SqliteError ? /^SQLITE_[A-Z]+/.exec(err.code)?.[0] : undefined

/** Whether `err` is the database being out of reach, busy or overloaded: the one failure answered 503. */
export function databaseUnavailable(err: unknown): boolean {
  for (const e of chain(err)) {
    const code = sqliteCode(e)
    if (code !== undefined && SQLITE_UNAVAILABLE.has(code)) return true
    if (e instanceof pg.DatabaseError && e.code !== undefined && pgUnavailable(e.code)) return true
    const nodeCode = (e as { code?: unknown }).code
    if (typeof nodeCode === 'string' && CONNECTION_CODES.has(nodeCode)) return true
    if (e instanceof Error && !(e instanceof pg.DatabaseError) && PG_CONNECTION_ENDED.test(e.message)) return true
  }
  return false
}

/** A transaction that lost a race with another (a serialization failure, a deadlock, a stale SQLite snapshot). */
export function conflictingTransaction(err: unknown): boolean {
  for (const e of chain(err)) {
    if (e instanceof pg.DatabaseError && (e.code === '40001' || e.code === '40P01')) return true
    if (e instanceof SQLite.SqliteError && e.code === 'SQLITE_BUSY_SNAPSHOT') return true
  }
  return false
}

/**
 * Runs a transaction, and once more if it lost a race with another: the database undid it, so running it
 * again is safe. A second loss goes to the client as a 503.
 */
export async function withConflictRetry<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run()
  } catch (err) {
    if (!conflictingTransaction(err)) throw err
    return run()
  }
}
