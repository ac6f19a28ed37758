/**
 * Inspectors' enforcement certificates (issue 11): set by admins on accounts, kept through the migration that
 * added them, and handed to an inspector's phone with the people they may name as co-inspectors.
 */
import { Kysely, Migrator, SqliteDialect, sql } from 'kysely'
import { OwnSchemaPostgresDialect } from '../../server/db/postgres-dialect'
import SQLite from 'better-sqlite3'
import pg from 'pg'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { certificateValidAt } from '../../src/kernel/certificate'
import type { Account, Colleague } from '../../src/kernel/users'
import { migrations } from '../../server/db/migrations'
import { describeStores, makeServer, PG_URL, signedIn, type StoreKind, type TestServer } from '../helpers/server'

type Who = { user: { id: string }; cookie: string }

/** An empty database of `kind`, migrated step by step with the server's own migrations. */
async function emptyDatabase(kind: StoreKind) {
  let db: Kysely<unknown>
  let schema: string | undefined
  if (kind === 'sqlite') db = new Kysely({ dialect: new SqliteDialect({ database: new SQLite(':memory:') }) })
  else {
    schema = `t_mig_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`
    const c = new pg.Client({ connectionString: PG_URL })
    await c.connect()
    await c.query(`CREATE SCHEMA "${schema}"`)
    await c.end()
    db = new Kysely({
      dialect: new OwnSchemaPostgresDialect(
        { pool: new pg.Pool({ connectionString: PG_URL, max: 2, options: `-c search_path=${schema}` }) },
        schema,
      ),
    })
  }
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations(kind) },
    migrationTableSchema: schema,
  })
  return {
    db,
    /** Up to the migration named, or to the latest. */
    async to(name?: string) {
      const { error } = name ? await migrator.migrateTo(name) : await migrator.migrateToLatest()
      if (error) throw error
    },
    async close() {
      await db.destroy()
      if (!schema) return
      const c = new pg.Client({ connectionString: PG_URL })
      await c.connect()
      await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
      await c.end()
    },
  }
}

describeStores('enforcement certificates on %s', (kind) => {
  let s: TestServer
  let admin: Who
  let inspector: Who
  beforeAll(async () => {
    s = await makeServer(kind)
    admin = await signedIn(s, 'admin')
    inspector = await signedIn(s)
  })
  afterAll(() => s.close())

  const req = (who: Who | undefined, method: 'GET' | 'POST' | 'PATCH', url: string, payload?: unknown) =>
    s.app.inject({
      method,
      url,
      headers: who ? { cookie: who.cookie } : {},
      ...(payload === undefined ? {} : { payload: payload as object }),
    })
  let n = 0
  const newAccount = (extra: Record<string, unknown> = {}) => ({
    username: `cert.${kind}.${++n}.${Math.random().toString(36).slice(2, 6)}`,
    displayName: `持证人${n}`,
    department: '省知识产权局',
    role: 'inspector',
    password: 'long-enough-password',
    ...extra,
  })
  const uniqueNumber = () => `粤执 4401${Math.random().toString().slice(2, 10)}`

  it('keeps existing accounts without a certificate through the migration that adds them', async () => {
    const m = await emptyDatabase(kind)
    try {
      await m.to('0007_client_keys')
      await sql`insert into users (id, username, display_name, department, role, password_hash, disabled, created_at)
        values ('old-user', 'old.user', '老用户', '省知识产权局', 'inspector', 'x', 0, '2025-01-01T00:00:00.000Z')`.execute(
        m.db,
      )
      await m.to()
      const rows = await sql<{
        display_name: string
        certificate_number: string | null
        certificate_expiry: string | null
      }>`select display_name, certificate_number, certificate_expiry from users`.execute(m.db)
      expect(rows.rows).toEqual([{ display_name: '老用户', certificate_number: null, certificate_expiry: null }])
    } finally {
      await m.close()
    }
  })

  it('creates an account with a certificate, lists it to admins, and ends no session when one is changed', async () => {
    const number = uniqueNumber()
    const res = await req(
      admin,
      'POST',
      '/api/users',
      newAccount({ certificateNumber: ` ${number} `, certificateExpiry: '2027-06-30' }),
    )
    expect(res.statusCode, res.body).toBe(201)
    const account = res.json().user as Account
    expect(account).toMatchObject({ certificateNumber: number, certificateExpiry: '2027-06-30' })
    const plain = await req(admin, 'POST', '/api/users', newAccount())
    expect(plain.json().user).toMatchObject({ certificateNumber: null, certificateExpiry: null })

    const listed = (await req(admin, 'GET', '/api/users')).json().users as Account[]
    expect(listed.find((a) => a.id === account.id)).toMatchObject({ certificateNumber: number })

    // Setting a certificate on an inspector leaves them signed in.
    const set = await req(admin, 'PATCH', `/api/users/${inspector.user.id}`, {
      certificateNumber: uniqueNumber(),
      certificateExpiry: '2026-12-31',
    })
    expect(set.statusCode, set.body).toBe(200)
    expect((await req(inspector, 'GET', '/api/auth/me')).statusCode).toBe(200)
  })

  it('changes the expiry alone, keeps the number, and clears both with a null number', async () => {
    const number = uniqueNumber()
    const id = (
      await req(admin, 'POST', '/api/users', newAccount({ certificateNumber: number, certificateExpiry: '2026-01-31' }))
    ).json().user.id as string
    const renewed = await req(admin, 'PATCH', `/api/users/${id}`, { certificateExpiry: '2029-01-31' })
    expect(renewed.json().user).toMatchObject({ certificateNumber: number, certificateExpiry: '2029-01-31' })
    const cleared = await req(admin, 'PATCH', `/api/users/${id}`, { certificateNumber: null })
    expect(cleared.json().user).toMatchObject({ certificateNumber: null, certificateExpiry: null })
    const clearedByEmpty = await req(admin, 'PATCH', `/api/users/${id}`, {
      certificateNumber: '  ',
      certificateExpiry: null,
    })
    expect(clearedByEmpty.statusCode).toBe(200)
    expect(clearedByEmpty.json().user.certificateNumber).toBeNull()
  })

  it('refuses a number without expiry and the other way round, bad dates, long numbers and a number already held', async () => {
    const held = uniqueNumber()
    expect(
      (await req(admin, 'POST', '/api/users', newAccount({ certificateNumber: held, certificateExpiry: '2027-01-01' })))
        .statusCode,
    ).toBe(201)
    const cases: [Record<string, unknown>, number, string, string][] = [
      [{ certificateNumber: uniqueNumber() }, 400, 'invalid_certificate', 'certificateExpiry'],
      [{ certificateExpiry: '2027-01-01' }, 400, 'invalid_certificate', 'certificateNumber'],
      [
        { certificateNumber: uniqueNumber(), certificateExpiry: '2027-02-30' },
        400,
        'invalid_certificate',
        'certificateExpiry',
      ],
      [
        { certificateNumber: uniqueNumber(), certificateExpiry: '27-01-01' },
        400,
        'invalid_certificate',
        'certificateExpiry',
      ],
      [
        { certificateNumber: '证'.repeat(41), certificateExpiry: '2027-01-01' },
        400,
        'invalid_certificate',
        'certificateNumber',
      ],
      [
        { certificateNumber: 'A\u0000B', certificateExpiry: '2027-01-01' },
        400,
        'invalid_certificate',
        'certificateNumber',
      ],
      [{ certificateNumber: held, certificateExpiry: '2028-01-01' }, 409, 'certificate_taken', 'certificateNumber'],
      [{ certificateNumber: 7, certificateExpiry: '2027-01-01' }, 400, 'invalid', 'certificateNumber'],
    ]
    const blank = (await req(admin, 'POST', '/api/users', newAccount())).json().user.id as string
    for (const [fields, status, error, field] of cases) {
      const created = await req(admin, 'POST', '/api/users', newAccount(fields))
      expect(created.statusCode, `${JSON.stringify(fields)}: ${created.body}`).toBe(status)
      expect(created.json()).toMatchObject({ error, field })
      const changed = await req(admin, 'PATCH', `/api/users/${blank}`, fields)
      expect(changed.statusCode, `PATCH ${JSON.stringify(fields)}: ${changed.body}`).toBe(status)
      expect(changed.json()).toMatchObject({ error, field })
    }
    // Nothing of the refused changes was kept.
    const kept = ((await req(admin, 'GET', '/api/users')).json().users as Account[]).find((a) => a.id === blank)
    expect(kept).toMatchObject({ certificateNumber: null, certificateExpiry: null })
    // An account may keep its own number when it changes the expiry.
    const mine = uniqueNumber()
    const id = (
      await req(admin, 'POST', '/api/users', newAccount({ certificateNumber: mine, certificateExpiry: '2027-01-01' }))
    ).json().user.id
    expect(
      (await req(admin, 'PATCH', `/api/users/${id}`, { certificateNumber: mine, certificateExpiry: '2030-01-01' }))
        .statusCode,
    ).toBe(200)
    // Only admins set certificates, their own included.
    expect(
      (await req(inspector, 'PATCH', `/api/users/${inspector.user.id}`, { certificateNumber: null })).statusCode,
    ).toBe(403)
  })

  it('gives one certificate number to one account when two admins give it at the same moment', async () => {
    const number = uniqueNumber()
    const answers = await Promise.all(
      Array.from({ length: 4 }, () =>
        req(admin, 'POST', '/api/users', newAccount({ certificateNumber: number, certificateExpiry: '2027-01-01' })),
      ),
    )
    expect(answers.map((a) => a.statusCode).sort()).toEqual([201, 409, 409, 409])
    for (const a of answers.filter((x) => x.statusCode === 409)) expect(a.json().error).toBe('certificate_taken')
    const holders = ((await req(admin, 'GET', '/api/users')).json().users as Account[]).filter(
      (u) => u.certificateNumber === number,
    )
    expect(holders).toHaveLength(1)
  })

  it('gives an inspector the people of their department and campaigns, with names and certificates only', async () => {
    const boss = await signedIn(s, 'supervisor')
    const me = await signedIn(s)
    const teammate = await signedIn(s)
    const otherDept = await signedIn(s, 'inspector', '省工商局')
    const campaignMate = await signedIn(s, 'inspector', '省工商局')
    const gone = await signedIn(s)
    expect((await req(admin, 'PATCH', `/api/users/${gone.user.id}`, { disabled: true })).statusCode).toBe(200)
    const number = uniqueNumber()
    expect(
      (
        await req(admin, 'PATCH', `/api/users/${campaignMate.user.id}`, {
          certificateNumber: number,
          certificateExpiry: '2026-11-30',
        })
      ).statusCode,
    ).toBe(200)
    const campaign = await req(boss, 'POST', '/api/campaigns', {
      name: '广交会专项',
      description: '',
      taskNumbers: [28],
      departments: ['省知识产权局', '省工商局'],
      inspectorIds: [me.user.id, campaignMate.user.id],
      startDate: '2026-11-01',
      endDate: '2026-11-30',
      venues: [],
    })
    expect(campaign.statusCode, campaign.body).toBe(201)

    const res = await req(me, 'GET', '/api/colleagues')
    expect(res.statusCode).toBe(200)
    expect(res.headers['cache-control']).toBe('private, no-store')
    const colleagues = res.json().colleagues as Colleague[]
    const ids = colleagues.map((c) => c.id)
    for (const present of [me, teammate, boss, campaignMate, inspector]) expect(ids).toContain(present.user.id)
    for (const absent of [otherDept, gone]) expect(ids).not.toContain(absent.user.id)
    // Nothing but names, departments and certificates: no username, role, disabled flag or password hash.
    for (const c of colleagues) {
      expect(Object.keys(c).sort()).toEqual([
        'certificateExpiry',
        'certificateNumber',
        'department',
        'displayName',
        'id',
      ])
    }
    const mate = colleagues.find((c) => c.id === campaignMate.user.id)!
    expect(mate).toMatchObject({ department: '省工商局', certificateNumber: number, certificateExpiry: '2026-11-30' })
    expect(certificateValidAt(mate, '2026-11-30T10:00:00+08:00')).toBe(true)
    expect(certificateValidAt(mate, '2026-12-01T09:00:00+08:00')).toBe(false)
    expect(res.body).not.toMatch(/username|password|role/)

    // The other department's inspector, not in any campaign, sees their own department only.
    const theirs = (await req(otherDept, 'GET', '/api/colleagues')).json().colleagues as Colleague[]
    expect(theirs.map((c) => c.id)).not.toContain(me.user.id)
    expect(theirs.every((c) => c.department === '省工商局')).toBe(true)
    expect((await req(undefined, 'GET', '/api/colleagues')).statusCode).toBe(401)
  })
})
