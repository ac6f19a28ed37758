/**
 * How many sign-in attempts are taken, counted in the database (several servers may share it) before any
 * password is hashed. Three counts, each a row of `login_limits`:
 *
 * - `pair`, a username from one address: after 5 failures in a row each further attempt waits 2, 4, 8 … s,
 *   at most 15 minutes. Someone guessing from their own address slows down only themselves: the owner
 *   signing in from elsewhere is not delayed. Forgotten a day after the last failure.
 * - `user`, a username from every address together: at most 20 failures in 15 minutes. One address cannot
 *   reach it on its own (its delays allow 13 in any 15 minutes), so only guessing spread over several
 *   addresses can hold the owner back, and never past the end of the window.
 * - `addr`, one client address (an IPv6 address by its /64): at most 50 failures of any usernames in 15
 *   minutes. Generous, for an office of inspectors behind one address; it bounds guessing across accounts,
 *   and bounds the rows unknown usernames can make.
 *
 * Every attempt counts as a failure when it is taken (one transaction: each row is incremented, which
 * locks it, then the decision is made, and a refused attempt is rolled back); a correct password then
 * takes its count back. So concurrent guesses cannot all pass: each sees the ones before it.
 * Unknown usernames are counted exactly like known ones, so the answers never tell which exist; their rows
 * expire like the others.
 */
import { createHash } from 'node:crypto'
import { isIP } from 'node:net'
import type { Kysely } from 'kysely'
import type { Database, LoginLimitsTable } from '../db/database'
import { ApiRefusal } from '../http/errors'

type Scope = LoginLimitsTable['scope']

const MINUTE = 60_000
export const LOGIN_LIMITS = {
  addr: { failures: 50, windowMs: 15 * MINUTE },
  user: { failures: 20, windowMs: 15 * MINUTE },
  pair: { freeFailures: 5, maxDelayMs: 15 * MINUTE, forgetMs: 24 * 60 * MINUTE },
} as const

/** How long a username must wait, from one address, after `failures` failures in a row. */
export function delayAfter(failures: number): number {
  const { freeFailures, maxDelayMs } = LOGIN_LIMITS.pair
  if (failures < freeFailures) return 0
  return Math.min(maxDelayMs, 1000 * 2 ** Math.min(30, failures - freeFailures + 1))
}

/** The attempt that was taken: the rows that counted it, to take the count back if the password was right. */
export interface TakenAttempt {
  rows: { scope: Scope; key: string }[]
}

/**
 * The address that counts for limits: an IPv4 address as it is (also when written as IPv6), an IPv6
 * address by its /64 (one household or office has a whole /64), anything else by a short hash.
 */
export function addressKey(ip: string | undefined): string {
  const bare = (ip ?? '').replace(/%.*$/, '')
  if (isIP(bare) === 4) return bare
  if (isIP(bare) === 6) {
    const g = ipv6Groups(bare)
    if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) {
      return [g[6]! >> 8, g[6]! & 255, g[7]! >> 8, g[7]! & 255].join('.')
    }
    return `${g
      .slice(0, 4)
      .map((x) => x.toString(16))
      .join(':')}::/64`
  }
  return `?${createHash('sha256').update(String(ip)).digest('hex').slice(0, 16)}`
}

/** The eight 16-bit groups of a valid IPv6 address. */
function ipv6Groups(ip: string): number[] {
  let text = ip
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text)
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number]
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`
  }
  const groups = (part: string | undefined) => (part ? part.split(':').map((h) => parseInt(h, 16)) : [])
  const [head, tail] = text.split('::')
  if (tail === undefined) return groups(head)
  const h = groups(head)
  const t = groups(tail)
  return [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t]
}

/**
 * Takes one sign-in attempt, or refuses it with 429 and Retry-After. `username` is undefined when it cannot
 * be anyone's (it breaks the public username rule), and then only the address counts.
 */
export async function takeAttempt(
  db: Kysely<Database>,
  { username, address, now }: { username: string | undefined; address: string; now: Date },
): Promise<TakenAttempt> {
  // Always in this order, so that two attempts never wait on each other's rows (PostgreSQL row locks).
  const rows: { scope: Scope; key: string }[] = [{ scope: 'addr', key: address }]
  if (username !== undefined)
    rows.push({ scope: 'user', key: username }, { scope: 'pair', key: `${username} ${address}` })
  const at = now.toISOString()
  const t = now.getTime()
  return db.transaction().execute(async (tx) => {
    let waitMs = 0
    let accountLimited = false
    const next: { scope: Scope; key: string; set: Partial<LoginLimitsTable> }[] = []
    for (const { scope, key } of rows) {
      // The increment locks the row until the decision is committed or rolled back.
      const row = await tx
        .insertInto('login_limits')
        .values({ scope, key, failures: 1, first_at: at, last_at: at, blocked_until: null })
        .onConflict((oc) =>
          oc.columns(['scope', 'key']).doUpdateSet((eb) => ({ failures: eb('login_limits.failures', '+', 1) })),
        )
        .returningAll()
        .executeTakeFirstOrThrow()
      const before = row.failures - 1
      if (scope === 'pair') {
        const blockedUntil = row.blocked_until ? Date.parse(row.blocked_until) : 0
        const forgotten = Date.parse(row.last_at) <= t - LOGIN_LIMITS.pair.forgetMs
        if (!forgotten && blockedUntil > t) {
          waitMs = Math.max(waitMs, blockedUntil - t)
          accountLimited = true
          continue
        }
        const failures = forgotten ? 1 : before + 1
        // Counted as failed until the password proves right, so the delay holds while the hash runs.
        const blocked = delayAfter(failures)
        next.push({
          scope,
          key,
          set: {
            failures,
            last_at: at,
            first_at: forgotten ? at : row.first_at,
            blocked_until: blocked ? new Date(t + blocked).toISOString() : null,
          },
        })
      } else {
        const limit = LOGIN_LIMITS[scope]
        const windowEnds = Date.parse(row.first_at) + limit.windowMs
        if (windowEnds <= t) {
          next.push({ scope, key, set: { failures: 1, first_at: at, last_at: at } })
        } else if (before >= limit.failures) {
          waitMs = Math.max(waitMs, windowEnds - t)
          accountLimited ||= scope === 'user'
        } else {
          next.push({ scope, key, set: { failures: before + 1, last_at: at } })
        }
      }
    }
    if (next.length < rows.length) {
      // Thrown inside the transaction: every increment above is rolled back, so a refused attempt costs nothing.
      const retryAfter = Math.max(1, Math.ceil(waitMs / 1000))
      throw accountLimited
        ? new ApiRefusal(429, 'locked', 'Too many wrong passwords; try again later', { retryAfter })
        : new ApiRefusal(429, 'too_many_attempts', 'Too many failed sign-ins from this address; try again later', {
            retryAfter,
          })
    }
    for (const { scope, key, set } of next) {
      await tx.updateTable('login_limits').set(set).where('scope', '=', scope).where('key', '=', key).execute()
    }
    return { rows }
  })
}

/** The password was right: its attempt is taken back, and the username's delays from this address end. */
export async function attemptSucceeded(db: Kysely<Database>, attempt: TakenAttempt): Promise<void> {
  await db.transaction().execute(async (tx) => {
    for (const { scope, key } of attempt.rows) {
      if (scope === 'pair') {
        await tx.deleteFrom('login_limits').where('scope', '=', scope).where('key', '=', key).execute()
      } else {
        await tx
          .updateTable('login_limits')
          .set((eb) => ({ failures: eb('failures', '-', 1) }))
          .where('scope', '=', scope)
          .where('key', '=', key)
          .where('failures', '>', 0)
          .execute()
      }
    }
  })
}

const SWEEP_EVERY_MS = 5 * MINUTE
const lastSweep = new WeakMap<Kysely<Database>, number>()

/** Every few minutes, deletes the counts that no longer hold anything back: ended windows, forgotten failures. */
export async function forgetOldAttempts(db: Kysely<Database>, now: Date): Promise<void> {
  const t = now.getTime()
  if (t - (lastSweep.get(db) ?? 0) < SWEEP_EVERY_MS) return
  lastSweep.set(db, t)
  const before = (ms: number) => new Date(t - ms).toISOString()
  await db
    .deleteFrom('login_limits')
    .where((eb) =>
      eb.or([
        eb.and([eb('scope', '=', 'addr'), eb('first_at', '<=', before(LOGIN_LIMITS.addr.windowMs))]),
        eb.and([eb('scope', '=', 'user'), eb('first_at', '<=', before(LOGIN_LIMITS.user.windowMs))]),
        eb.and([eb('scope', '=', 'pair'), eb('last_at', '<=', before(LOGIN_LIMITS.pair.forgetMs))]),
      ]),
    )
    .execute()
}
