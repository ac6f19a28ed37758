import { afterAll, beforeAll, expect, it } from 'vitest'
import { createUser, verifyAndStartSession } from '../../server/auth/accounts'
import { delayAfter, LOGIN_LIMITS } from '../../server/auth/login-limits'
import { verifyPassword } from '../../server/auth/passwords'
import { realDataset } from '../helpers/seed'
import { makeServer, describeStores, type TestServer } from '../helpers/server'

const departments = new Set(realDataset.departments.map((d) => d.name))
const PASSWORD = 'correct horse battery'

describeStores('accounts and sign-in on %s', (kind) => {
  let s: TestServer
  beforeAll(async () => {
    s = await makeServer(kind)
    await createUser(s.store.db, departments, {
      username: 'wang.inspector',
      displayName: '王巡查',
      department: '省知识产权局',
      role: 'inspector',
      password: PASSWORD,
    })
  })
  afterAll(() => s.close())

  const login = (username: string, password: string) =>
    s.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password } })
  const cookieOf = (res: { headers: Record<string, unknown> }) => String(res.headers['set-cookie']).split(';')[0]!

  it('stores only a slow salted hash of the password', async () => {
    const row = await s.store.db
      .selectFrom('users')
      .selectAll()
      .where('username', '=', 'wang.inspector')
      .executeTakeFirstOrThrow()
    expect(row.password_hash).toMatch(/^scrypt\$32768\$8\$1\$[\w-]{22}\$[\w-]{43}$/)
    expect(row.password_hash).not.toContain(PASSWORD)
    expect(await verifyPassword(PASSWORD, row.password_hash)).toBe(true)
    expect(await verifyPassword('wrong password!', row.password_hash)).toBe(false)
  })

  it('refuses a weak password, an unknown department or role, and a taken username', async () => {
    const base = {
      username: 'li.new',
      displayName: '李',
      department: '省工商局',
      role: 'inspector' as const,
      password: PASSWORD,
    }
    await expect(createUser(s.store.db, departments, { ...base, password: 'short' })).rejects.toMatchObject({
      code: 'weak_password',
    })
    await expect(createUser(s.store.db, departments, { ...base, department: '不存在的局' })).rejects.toMatchObject({
      code: 'unknown_department',
    })
    await expect(createUser(s.store.db, departments, { ...base, role: 'boss' as never })).rejects.toMatchObject({
      code: 'invalid_role',
    })
    await expect(createUser(s.store.db, departments, { ...base, username: 'Wang.Inspector' })).rejects.toMatchObject({
      code: 'username_taken',
    })
    await expect(createUser(s.store.db, departments, { ...base, username: '<script>' })).rejects.toMatchObject({
      code: 'invalid_username',
    })
  })

  it('signs in with an HttpOnly session cookie that page scripts cannot read, and signs out', async () => {
    const res = await login('wang.inspector', PASSWORD)
    expect(res.statusCode).toBe(200)
    expect(res.json().user).toEqual({
      id: expect.any(String),
      username: 'wang.inspector',
      displayName: '王巡查',
      department: '省知识产权局',
      role: 'inspector',
      region: 'province',
      certificateNumber: null,
      certificateExpiry: null,
    })
    expect(res.json().user).not.toHaveProperty('password_hash')
    const setCookie = String(res.headers['set-cookie'])
    expect(setCookie).toMatch(/^zhixun_session=[\w-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=1209600$/)
    const cookie = cookieOf(res)
    const me = await s.app.inject({ url: '/api/auth/me', headers: { cookie } })
    expect(me.json().user.username).toBe('wang.inspector')
    expect(me.headers['cache-control']).toBe('no-store')
    expect((await s.app.inject({ method: 'POST', url: '/api/auth/logout', headers: { cookie } })).statusCode).toBe(200)
    const after = await s.app.inject({ url: '/api/auth/me', headers: { cookie } })
    expect(after.statusCode).toBe(401)
    expect(after.json()).toMatchObject({ error: 'signed_out' })
  })

  it('keeps no usable token in the database', async () => {
    const cookie = cookieOf(await login('wang.inspector', PASSWORD))
    const token = cookie.split('=')[1]!
    const rows = await s.store.db.selectFrom('sessions').select('token_hash').execute()
    expect(rows.some((r) => r.token_hash === token)).toBe(false)
    expect(
      (await s.app.inject({ url: '/api/auth/me', headers: { cookie: `zhixun_session=${rows[0]!.token_hash}` } }))
        .statusCode,
    ).toBe(401)
  })

  it('expires sessions', async () => {
    const cookie = cookieOf(await login('wang.inspector', PASSWORD))
    await s.store.db.updateTable('sessions').set({ expires_at: '2020-01-01T00:00:00.000Z' }).execute()
    expect((await s.app.inject({ url: '/api/auth/me', headers: { cookie } })).statusCode).toBe(401)
  })

  // Issue 9: a hard 15-minute lock let anyone lock anyone out; now each further attempt waits 2, 4, 8 … s.
  it('delays an account after repeated wrong passwords, even against the right one, then lets it in', async () => {
    await createUser(s.store.db, departments, {
      username: 'zhao.target',
      displayName: '赵',
      department: '省公安厅',
      role: 'inspector',
      password: PASSWORD,
    })
    for (let i = 0; i < LOGIN_LIMITS.pair.freeFailures; i++) {
      const res = await login('zhao.target', `guess number ${i}`)
      expect(res.statusCode).toBe(401)
      expect(res.json()).toEqual({ error: 'bad_credentials', message: 'Wrong username or password' })
    }
    const locked = await login('zhao.target', PASSWORD)
    expect(locked.statusCode).toBe(429)
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0)
    expect(Number(locked.headers['retry-after'])).toBeLessThanOrEqual(delayAfter(LOGIN_LIMITS.pair.freeFailures) / 1000)
    expect(locked.headers['set-cookie']).toBeUndefined()
    const later = new Date(Date.now() + delayAfter(LOGIN_LIMITS.pair.freeFailures) + 1000)
    const from = { address: '127.0.0.1', now: later }
    await expect(verifyAndStartSession(s.store.db, 'zhao.target', PASSWORD, from)).resolves.toMatchObject({
      user: { username: 'zhao.target' },
    })
  })

  it('answers an unknown user exactly as a wrong password, and bad input with 400', async () => {
    expect((await login('nobody.here', PASSWORD)).json()).toEqual({
      error: 'bad_credentials',
      message: 'Wrong username or password',
    })
    expect(
      (await s.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'x' } })).statusCode,
    ).toBe(400)
    expect(
      (
        await s.app.inject({
          method: 'POST',
          url: '/api/auth/login',
          payload: { username: 'x'.repeat(1000), password: 'y' },
        })
      ).statusCode,
    ).toBe(400)
  })
})
