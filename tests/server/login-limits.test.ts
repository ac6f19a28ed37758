import { afterAll, afterEach, beforeAll, expect, it, vi } from 'vitest'
import { createUser } from '../../server/auth/accounts'
import {
  addressKey,
  attemptSucceeded,
  delayAfter,
  forgetOldAttempts,
  LOGIN_LIMITS,
  takeAttempt,
} from '../../server/auth/login-limits'
import { hashStats, passwordHashing } from '../../server/auth/passwords'
import { realDataset } from '../helpers/seed'
import { describeStores, makeServer, type TestServer } from '../helpers/server'

const departments = new Set(realDataset.departments.map((d) => d.name))
const PASSWORD = 'correct horse battery'
const MINUTE = 60_000
// A password hash takes 0.1 s, several times that on a busy machine; some tests here run a dozen.
vi.setConfig({ testTimeout: 30_000 })

/** Issue 9, items 4 and 5: sign-in attempts are counted in the database before hashing, per username, address and both. */
describeStores('sign-in limits on %s', (kind) => {
  let s: TestServer
  let userNo = 0
  beforeAll(async () => {
    s = await makeServer(kind, { trustProxy: '127.0.0.1' })
  })
  afterAll(() => s.close())
  const { line, maxWaitMs } = passwordHashing
  afterEach(() => {
    Object.assign(passwordHashing, { line, maxWaitMs })
  })

  /** A new account, so each test starts with no counts of its own. */
  async function account(): Promise<string> {
    const username = `limit.${++userNo}.${Math.random().toString(36).slice(2, 7)}`
    await createUser(s.store.db, departments, {
      username,
      displayName: '测试',
      department: '省知识产权局',
      role: 'inspector',
      password: PASSWORD,
    })
    return username
  }
  /** A sign-in from `from`, as the trusted proxy on 127.0.0.1 reports the client's address. */
  const login = (username: string, password: string, from: string) =>
    s.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { username, password },
      headers: { 'x-forwarded-for': from },
    })
  const rows = (scope?: string) => {
    let q = s.store.db.selectFrom('login_limits').selectAll()
    if (scope) q = q.where('scope', '=', scope as 'addr')
    return q.execute()
  }

  it('hashes only the allowed guesses of 40 at once: the right one at position 38 is refused', async () => {
    const username = await account()
    // Room in the hash gate's line for all 40, so what refuses them is the count, not the gate.
    passwordHashing.line = 100
    const hashedBefore = hashStats.count
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) => login(username, i === 37 ? PASSWORD : `wrong guess ${i}`, '198.51.100.40')),
    )
    expect(hashStats.count - hashedBefore).toBe(LOGIN_LIMITS.pair.freeFailures)
    expect(answers.filter((a) => a.statusCode === 401)).toHaveLength(LOGIN_LIMITS.pair.freeFailures)
    expect(answers[37]!.statusCode).toBe(429)
    expect(answers[37]!.json()).toMatchObject({ error: 'locked' })
    expect(answers.every((a) => a.statusCode === 401 || a.json().error === 'locked')).toBe(true)
    expect(answers.some((a) => a.headers['set-cookie'])).toBe(false)
    const pair = await s.store.db
      .selectFrom('login_limits')
      .selectAll()
      .where('key', '=', `${username} 198.51.100.40`)
      .executeTakeFirstOrThrow()
    expect(pair.failures).toBe(LOGIN_LIMITS.pair.freeFailures)
  })

  it('counts concurrent attempts atomically in the database, whichever connection takes them', async () => {
    const username = `nobody.${++userNo}`
    const now = new Date()
    const taken = await Promise.allSettled(
      Array.from({ length: 40 }, () => takeAttempt(s.store.db, { username, address: '198.51.100.41', now })),
    )
    expect(taken.filter((t) => t.status === 'fulfilled')).toHaveLength(LOGIN_LIMITS.pair.freeFailures)
    for (const t of taken) if (t.status === 'rejected') expect(t.reason).toMatchObject({ status: 429, code: 'locked' })
    // Refused attempts are rolled back: they count nowhere.
    const addr = (await rows('addr')).find((r) => r.key === '198.51.100.41')!
    expect(addr.failures).toBe(LOGIN_LIMITS.pair.freeFailures)
  })

  it('does not delay the owner for what someone guesses from another address', async () => {
    const username = await account()
    for (let i = 0; i < 8; i++) await login(username, `attacker guess ${i}`, '203.0.113.66')
    const attacker = await login(username, PASSWORD, '203.0.113.66')
    expect(attacker.statusCode).toBe(429)
    expect(Number(attacker.headers['retry-after'])).toBeGreaterThan(0)
    const owner = await login(username, PASSWORD, '192.0.2.10')
    expect(owner.statusCode).toBe(200)
    expect(owner.headers['set-cookie']).toMatch(/^zhixun_session=/)
  })

  it('makes each further attempt wait twice as long, up to 15 minutes, and forgets after a day', async () => {
    expect([4, 5, 6, 7, 8, 13, 14, 100].map((n) => delayAfter(n) / 1000)).toEqual([0, 2, 4, 8, 16, 512, 900, 900])
    const username = `nobody.${++userNo}`
    const address = '198.51.100.42'
    const t0 = Date.now()
    const at = (ms: number) => ({ username, address, now: new Date(t0 + ms) })
    for (let i = 0; i < LOGIN_LIMITS.pair.freeFailures; i++) await takeAttempt(s.store.db, at(0))
    await expect(takeAttempt(s.store.db, at(1_000))).rejects.toMatchObject({ details: { retryAfter: 1 } })
    await takeAttempt(s.store.db, at(2_000))
    await expect(takeAttempt(s.store.db, at(2_500))).rejects.toMatchObject({ details: { retryAfter: 4 } })
    await takeAttempt(s.store.db, at(6_000))
    await expect(takeAttempt(s.store.db, at(6_000))).rejects.toMatchObject({ details: { retryAfter: 8 } })
    const day = LOGIN_LIMITS.pair.forgetMs
    await takeAttempt(s.store.db, at(6_000 + day))
    const pair = (await rows('pair')).find((r) => r.key === `${username} ${address}`)!
    expect(pair.failures).toBe(1)
  })

  it('takes a right password’s attempt back and ends its delays', async () => {
    const username = await account()
    for (let i = 0; i < 4; i++) await login(username, `typo ${i}`, '198.51.100.43')
    expect((await login(username, PASSWORD, '198.51.100.43')).statusCode).toBe(200)
    expect((await rows('pair')).some((r) => r.key.startsWith(`${username} `))).toBe(false)
    expect((await rows('user')).find((r) => r.key === username)!.failures).toBe(4)
    expect((await rows('addr')).find((r) => r.key === '198.51.100.43')!.failures).toBe(4)
  })

  it('refuses an address after 50 failures in 15 minutes, but not an office signing in from it', async () => {
    const office = '198.51.100.44'
    const now = new Date()
    // Sixty right passwords from one address: every attempt is taken back.
    for (let i = 0; i < 60; i++) {
      await attemptSucceeded(
        s.store.db,
        await takeAttempt(s.store.db, { username: `clerk.${i}`, address: office, now }),
      )
    }
    for (let i = 0; i < LOGIN_LIMITS.addr.failures; i++) {
      await takeAttempt(s.store.db, { username: `guess.${userNo}.${i}`, address: office, now })
    }
    const username = await account()
    const refused = await login(username, PASSWORD, office)
    expect(refused.statusCode).toBe(429)
    expect(refused.json()).toMatchObject({ error: 'too_many_attempts' })
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(14 * 60)
    expect((await login(username, PASSWORD, '198.51.100.45')).statusCode).toBe(200)
    const later = new Date(now.getTime() + LOGIN_LIMITS.addr.windowMs + 1000)
    await expect(takeAttempt(s.store.db, { username, address: office, now: later })).resolves.toBeDefined()
  })

  it('holds an account back only when several addresses together guess 20 times in 15 minutes', async () => {
    const username = `target.${++userNo}`
    const now = new Date()
    // One address alone reaches at most 13 in 15 minutes: 5, then 8 more as its delays allow.
    let alone = 0
    // Each attempt as soon as it is allowed.
    for (let ms = 0; ms < LOGIN_LIMITS.user.windowMs;) {
      const when = new Date(now.getTime() + ms)
      await takeAttempt(s.store.db, { username, address: '203.0.113.1', now: when }).then(
        () => alone++,
        (err: { details: { retryAfter: number } }) => (ms += err.details.retryAfter * 1000),
      )
    }
    expect(alone).toBe(13)
    expect(alone).toBeLessThan(LOGIN_LIMITS.user.failures)
    for (let i = 0; i < LOGIN_LIMITS.user.failures - alone; i++) {
      await takeAttempt(s.store.db, { username, address: `203.0.113.${i + 2}`, now })
    }
    await expect(takeAttempt(s.store.db, { username, address: '192.0.2.20', now })).rejects.toMatchObject({
      code: 'locked',
    })
    const later = new Date(now.getTime() + LOGIN_LIMITS.user.windowMs)
    await expect(takeAttempt(s.store.db, { username, address: '192.0.2.20', now: later })).resolves.toBeDefined()
  })

  it('writes bounded, expiring rows for unknown usernames, and none for names no one can have', async () => {
    const address = '198.51.100.46'
    const now = new Date()
    let taken = 0
    for (let i = 0; i < 80; i++) {
      taken += await takeAttempt(s.store.db, { username: `unknown.${userNo}.${i}`, address, now }).then(
        () => 1,
        () => 0,
      )
    }
    expect(taken).toBe(LOGIN_LIMITS.addr.failures)
    const mine = (await rows()).filter((r) => r.key === address || r.key.endsWith(` ${address}`))
    expect(mine).toHaveLength(1 + LOGIN_LIMITS.addr.failures)
    // Not a username at all: NUL, 64 dotted capitals that lower-case to 128 characters. 401, counted by address.
    for (const name of ['a\u0000b', 'İ'.repeat(64)]) {
      const res = await login(name, 'some password', '198.51.100.47')
      expect(res.statusCode).toBe(401)
      expect(res.json()).toEqual({ error: 'bad_credentials', message: 'Wrong username or password' })
    }
    expect((await rows()).filter((r) => r.key.includes('198.51.100.47')).map((r) => r.scope)).toEqual(['addr'])
    // Two days on (other tests here counted attempts a day ahead), nothing is left.
    await forgetOldAttempts(s.store.db, new Date(now.getTime() + 2 * LOGIN_LIMITS.pair.forgetMs + MINUTE))
    expect(await rows()).toEqual([])
  })

  it('hashes one password at a time and answers a flood at once with 429 busy', async () => {
    const username = await account()
    const hashedBefore = hashStats.count
    hashStats.peak = 0
    // A short line, so the test does not wait for 64 hashes.
    passwordHashing.line = 4
    // Fifty sign-ins from fifty addresses, so no count holds any back: only the gate does.
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        login(i === 0 ? username : `flood.${i}`, `flood ${i}`, `203.0.113.${i + 100}`),
      ),
    )
    expect(hashStats.peak).toBe(1)
    const busy = answers.filter((a) => a.statusCode === 429)
    expect(busy.length).toBeGreaterThanOrEqual(50 - 1 - passwordHashing.line)
    for (const a of busy) {
      expect(a.json()).toMatchObject({ error: 'busy' })
      expect(a.headers['retry-after']).toBe('1')
    }
    // The refused ones were turned away before anything was counted or hashed.
    expect(hashStats.count - hashedBefore).toBe(50 - busy.length)
    expect(answers.filter((a) => a.statusCode === 401)).toHaveLength(50 - busy.length)
  })

  it('refuses with 429 busy a sign-in that waited too long in line', async () => {
    const hashedBefore = hashStats.count
    // Far less than one hash takes: only the first of ten gets its turn before the others give up.
    passwordHashing.maxWaitMs = 5
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) => login(`slow.${i}`, `guess ${i}`, `203.0.113.${i + 200}`)),
    )
    const busy = answers.filter((a) => a.statusCode === 429)
    expect(busy.length).toBeGreaterThan(0)
    for (const a of busy) expect(a.json()).toMatchObject({ error: 'busy' })
    expect(hashStats.count - hashedBefore).toBe(10 - busy.length)
    // Those that gave up left the line: the next sign-in is hashed at once.
    passwordHashing.maxWaitMs = maxWaitMs
    expect((await login('slow.after', 'guess', '203.0.113.250')).statusCode).toBe(401)
  })

  it('hashes a password for an unknown username as for a known one', async () => {
    const username = await account()
    for (const name of [username, 'no.such.user']) {
      const before = hashStats.count
      expect((await login(name, 'wrong password!', '198.51.100.48')).statusCode).toBe(401)
      expect(hashStats.count - before).toBe(1)
    }
  })

  it('takes the client address from a trusted proxy only, by /64 for IPv6', async () => {
    expect(addressKey('203.0.113.9')).toBe('203.0.113.9')
    expect(addressKey('::ffff:203.0.113.9')).toBe('203.0.113.9')
    expect(addressKey('2001:db8:1:2:3:4:5:6')).toBe('2001:db8:1:2::/64')
    expect(addressKey('2001:db8:1:2::9')).toBe('2001:db8:1:2::/64')
    expect(addressKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64')
    expect(addressKey('not an address')).toMatch(/^\?[0-9a-f]{16}$/)
    const username = await account()
    // Not through the trusted proxy: X-Forwarded-For is the client's own claim and is ignored.
    const direct = await s.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { username, password: 'wrong password!' },
      headers: { 'x-forwarded-for': '198.51.100.49' },
      remoteAddress: '192.0.2.77',
    })
    expect(direct.statusCode).toBe(401)
    expect((await rows('addr')).map((r) => r.key)).toContain('192.0.2.77')
    expect((await rows('addr')).map((r) => r.key)).not.toContain('198.51.100.49')
  })
})
