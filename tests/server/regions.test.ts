import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createUser } from '../../server/auth/accounts'
import { openStore } from '../../server/db/database'
import type { Campaign, CoverageReport } from '../../src/kernel/campaign-schema'
import type { UserRole } from '../../src/kernel/users'
import { makeCheckIn } from '../helpers/records'
import { databaseBefore } from '../helpers/migrated'
import { describeStores, makeServer, PG_URL, TEST_PASSWORD, type StoreKind, type TestServer } from '../helpers/server'
import { realDataset } from '../helpers/seed'

type Who = { user: { id: string; region?: string }; cookie: string }
const DEPT = '省知识产权局'
const OTHER_DEPT = '省工商局'
const departments = new Set(realDataset.departments.map((d) => d.name))

const uniqueSchema = (tag: string) => `t_${tag}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`
async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG_URL })
  await client.connect()
  await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
  await client.end()
}

describeStores('regions: a supervisor sees their department in their region, on %s', (kind) => {
  let s: TestServer
  let admin: Who
  let province: Who
  let gzSupervisor: Who
  let gzInspector: Who
  let szInspector: Who
  let gzCampaign: Campaign
  let provincialCampaign: Campaign
  const gzCheckIn = makeCheckIn({ taskNumbers: [28] })
  const gzLoose = makeCheckIn({ taskNumbers: [37] })
  const szCheckIn = makeCheckIn({ taskNumbers: [28] })
  const szLoose = makeCheckIn({ taskNumbers: [37] })
  let n = 0

  /** Adds an account of `region` (none: the default) and signs it in through the API. */
  async function account(role: UserRole, region?: string, department = DEPT): Promise<Who> {
    const username = `r.${role}.${++n}.${Math.random().toString(36).slice(2, 7)}`
    await createUser(s.store.db, departments, {
      username,
      displayName: `地区${role}${n}`,
      department,
      role,
      password: TEST_PASSWORD,
      ...(region === undefined ? {} : { region }),
    })
    const res = await s.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { username, password: TEST_PASSWORD },
    })
    expect(res.statusCode, res.body).toBe(200)
    return { user: res.json().user, cookie: String(res.headers['set-cookie']).split(';')[0]! }
  }
  const get = (who: Who, url: string) => s.app.inject({ url, headers: { cookie: who.cookie } })
  const send = (who: Who, method: 'POST' | 'PUT' | 'PATCH', url: string, payload: unknown) =>
    s.app.inject({ method, url, payload: payload as object, headers: { cookie: who.cookie } })
  const campaignInput = (overrides: Record<string, unknown> = {}) => ({
    name: '广交会知识产权保护专项',
    description: '',
    taskNumbers: [28],
    departments: [DEPT],
    inspectorIds: [],
    startDate: '2026-11-01',
    endDate: '2026-11-30',
    venues: [],
    ...overrides,
  })
  async function push(who: Who, clientId: string, checkIns: ReturnType<typeof makeCheckIn>[]) {
    const res = await send(who, 'POST', '/api/sync/push', {
      clientId,
      mutations: checkIns.map((args, i) => ({ seq: i + 1, name: 'checkin.create', args })),
    })
    expect(res.json().results.map((r: { status: string }) => r.status)).toEqual(checkIns.map(() => 'applied'))
  }
  /** Check-ins counted by task coverage for `who`, over every task. */
  async function coveredCheckIns(who: Who, query = ''): Promise<number> {
    const res = await get(who, `/api/coverage${query}`)
    expect(res.statusCode, res.body).toBe(200)
    return (res.json() as CoverageReport).tasks.reduce((sum, t) => sum + t.checkIns, 0)
  }

  beforeAll(async () => {
    s = await makeServer(kind)
    admin = await account('admin')
    province = await account('supervisor')
    gzSupervisor = await account('supervisor', 'guangzhou')
    gzInspector = await account('inspector', 'guangzhou')
    szInspector = await account('inspector', 'shenzhen')
    const made = async (who: Who, input: Record<string, unknown>) => {
      const res = await send(who, 'POST', '/api/campaigns', campaignInput(input))
      expect(res.statusCode, res.body).toBe(201)
      return res.json().campaign as Campaign
    }
    // A city's supervisor's campaign is of their city without saying so.
    gzCampaign = await made(gzSupervisor, { name: '广州专项', inspectorIds: [gzInspector.user.id] })
    provincialCampaign = await made(province, {
      name: '全省专项',
      inspectorIds: [gzInspector.user.id, szInspector.user.id],
    })
    gzCheckIn.authorId = gzLoose.authorId = gzInspector.user.id
    szCheckIn.authorId = szLoose.authorId = szInspector.user.id
    gzCheckIn.campaignId = gzCampaign.id
    szCheckIn.campaignId = provincialCampaign.id
    await push(gzInspector, `gz-phone-${kind}`, [gzCheckIn, gzLoose])
    await push(szInspector, `sz-phone-${kind}`, [szCheckIn, szLoose])
  })
  afterAll(() => s.close())

  it('signs accounts in with their region, provincial by default, and stamps records with it', async () => {
    expect([admin.user.region, province.user.region, gzSupervisor.user.region]).toEqual([
      'province',
      'province',
      'guangzhou',
    ])
    expect(gzCampaign.region).toBe('guangzhou')
    expect(provincialCampaign.region).toBe('province')
    const rows = await s.store.db
      .selectFrom('records')
      .select(['id', 'region'])
      .where('id', 'in', [gzCheckIn.id, gzLoose.id, szCheckIn.id, szLoose.id])
      .execute()
    expect(Object.fromEntries(rows.map((r) => [r.id, r.region]))).toEqual({
      [gzCheckIn.id]: 'guangzhou',
      [gzLoose.id]: 'guangzhou',
      [szCheckIn.id]: 'shenzhen',
      [szLoose.id]: 'shenzhen',
    })
  })

  it("gives a city's supervisor their city's campaigns, progress and CSV only", async () => {
    const mine = (await get(gzSupervisor, '/api/campaigns')).json().campaigns as Campaign[]
    // (Other tests here may add Guangzhou's campaigns: what matters is that no other region's is listed.)
    expect(mine.map((c) => c.id)).toContain(gzCampaign.id)
    expect(mine.map((c) => c.id)).not.toContain(provincialCampaign.id)
    expect(new Set(mine.map((c) => c.region))).toEqual(new Set(['guangzhou']))
    const report = await get(gzSupervisor, `/api/campaigns/${gzCampaign.id}/report`)
    expect(report.statusCode).toBe(200)
    expect(report.json().total).toBe(1)
    expect(report.json().checkIns.map((c: { id: string }) => c.id)).toEqual([gzCheckIn.id])
    const csv = await get(gzSupervisor, `/api/campaigns/${gzCampaign.id}/checkins.csv`)
    expect(csv.statusCode).toBe(200)
    expect(csv.body).toContain(gzCheckIn.id)
    expect(csv.body).not.toContain(szCheckIn.id)
    // The province's campaign, with a Shenzhen inspector's check-in, is not theirs to read.
    for (const url of [
      `/api/campaigns/${provincialCampaign.id}`,
      `/api/campaigns/${provincialCampaign.id}/report`,
      `/api/campaigns/${provincialCampaign.id}/checkins.csv`,
      `/api/coverage?campaign=${provincialCampaign.id}`,
    ]) {
      const res = await get(gzSupervisor, url)
      expect(res.statusCode, url).toBe(403)
      expect(res.json().error).toBe('forbidden')
    }
    // Nor may they change it.
    const edit = await send(gzSupervisor, 'PUT', `/api/campaigns/${provincialCampaign.id}`, campaignInput())
    expect(edit.statusCode).toBe(403)
  })

  it("counts a city's supervisor's coverage over their city's records, the province's over all", async () => {
    expect(await coveredCheckIns(gzSupervisor)).toBe(2)
    expect(await coveredCheckIns(gzSupervisor, `?department=${encodeURIComponent(DEPT)}`)).toBe(2)
    expect(await coveredCheckIns(province)).toBe(4)
    expect(await coveredCheckIns(admin, `?department=${encodeURIComponent(DEPT)}`)).toBe(4)
    expect(await coveredCheckIns(province, `?campaign=${provincialCampaign.id}`)).toBe(1)
    expect(await coveredCheckIns(province, `?campaign=${gzCampaign.id}`)).toBe(1)
  })

  it("keeps another city's check-ins, photos' records and evidence packages from a city's supervisor", async () => {
    const status = async (who: Who, url: string) => (await get(who, url)).statusCode
    for (const id of [gzCheckIn.id, gzLoose.id]) {
      expect(await status(gzSupervisor, `/api/checkins/${id}`)).toBe(200)
      expect(await status(gzSupervisor, `/api/checkins/${id}/evidence.zip`)).toBe(200)
    }
    for (const id of [szCheckIn.id, szLoose.id]) {
      const res = await get(gzSupervisor, `/api/checkins/${id}`)
      expect(res.statusCode).toBe(404)
      expect(res.json().error).toBe('not_found')
      expect(await status(gzSupervisor, `/api/checkins/${id}/evidence.zip`)).toBe(404)
      // Nor review it.
      const review = await send(gzSupervisor, 'POST', `/api/checkins/${id}/review`, { action: 'reviewed' })
      expect(review.statusCode).toBe(404)
      // The province's supervisor reads every city's.
      expect(await status(province, `/api/checkins/${id}`)).toBe(200)
      expect(await status(province, `/api/checkins/${id}/evidence.zip`)).toBe(200)
    }
  })

  it("lists a city's supervisor the people of their city only", async () => {
    const ids = async (who: Who) => ((await get(who, '/api/people')).json().people as { id: string }[]).map((p) => p.id)
    const gzPeople = await ids(gzSupervisor)
    expect(gzPeople).toEqual(expect.arrayContaining([gzSupervisor.user.id, gzInspector.user.id]))
    expect(gzPeople).not.toContain(szInspector.user.id)
    expect(gzPeople).not.toContain(province.user.id)
    expect(await ids(province)).toEqual(expect.arrayContaining([gzInspector.user.id, szInspector.user.id]))
  })

  it("lets a city's supervisor run campaigns of their city only, with their city's inspectors", async () => {
    const other = await send(gzSupervisor, 'POST', '/api/campaigns', campaignInput({ region: 'shenzhen' }))
    expect(other.statusCode).toBe(403)
    expect(other.json().error).toBe('forged_region')
    const provincial = await send(gzSupervisor, 'POST', '/api/campaigns', campaignInput({ region: 'province' }))
    expect(provincial.statusCode).toBe(403)
    const stranger = await send(
      gzSupervisor,
      'POST',
      '/api/campaigns',
      campaignInput({ inspectorIds: [szInspector.user.id] }),
    )
    expect(stranger.statusCode).toBe(400)
    expect(stranger.json().error).toBe('unknown_inspector')
    // The province's supervisor may give a campaign to a city; an edit that says no region keeps it.
    const forGz = await send(province, 'POST', '/api/campaigns', campaignInput({ region: 'guangzhou' }))
    expect(forGz.statusCode).toBe(201)
    const { id, version } = forGz.json().campaign as Campaign
    const edited = await send(province, 'PUT', `/api/campaigns/${id}`, campaignInput({ name: '改名', version }))
    expect(edited.statusCode, edited.body).toBe(200)
    expect(edited.json().campaign.region).toBe('guangzhou')
    expect((await get(gzSupervisor, `/api/campaigns/${id}`)).statusCode).toBe(200)
  })

  it('refuses a region that is neither the province nor one of its cities with 400 invalid_region', async () => {
    for (const region of ['atlantis', '', 'Guangzhou', '广州市']) {
      const campaign = await send(province, 'POST', '/api/campaigns', campaignInput({ region }))
      expect(campaign.statusCode).toBe(400)
      expect(campaign.json().error).toBe('invalid_region')
    }
    const user = await send(admin, 'POST', '/api/users', {
      username: `bad.region.${kind}`,
      displayName: '无地区',
      department: DEPT,
      role: 'inspector',
      password: TEST_PASSWORD,
      region: 'atlantis',
    })
    expect(user.statusCode).toBe(400)
    expect(user.json().error).toBe('invalid_region')
    const change = await send(admin, 'PATCH', `/api/users/${szInspector.user.id}`, { region: 'nowhere' })
    expect(change.statusCode).toBe(400)
    expect(change.json().error).toBe('invalid_region')
  })

  it('lets an admin give an account a region, which ends its sessions and moves what its supervisor sees', async () => {
    const moved = await account('supervisor', 'shenzhen', OTHER_DEPT)
    const created = await send(admin, 'POST', '/api/users', {
      username: `fs.inspector.${kind}`,
      displayName: '佛山检查员',
      department: DEPT,
      role: 'inspector',
      password: TEST_PASSWORD,
      region: 'foshan',
    })
    expect(created.statusCode, created.body).toBe(201)
    expect(created.json().user.region).toBe('foshan')
    const change = await send(admin, 'PATCH', `/api/users/${moved.user.id}`, { region: 'province' })
    expect(change.statusCode).toBe(200)
    expect(change.json().user.region).toBe('province')
    expect((await get(moved, '/api/campaigns')).statusCode).toBe(401)
    const accounts = (await get(admin, '/api/users')).json().users as { id: string; region: string }[]
    expect(accounts.find((a) => a.id === gzInspector.user.id)?.region).toBe('guangzhou')
  })
})

describeStores('migration 0016_regions, on %s', (kind: StoreKind) => {
  const earlier = databaseBefore(kind, '0016')
  afterAll(async () => {
    await earlier.drop()
  })

  it('makes existing accounts, records and campaigns provincial', async () => {
    const raw = await earlier.migratedTo<Record<string, Record<string, unknown>>>('0015_push_horizon')
    const at = '2026-11-20T00:00:00.000Z'
    try {
      await raw
        .insertInto('users')
        .values({
          id: 'u-old',
          username: 'old.supervisor',
          display_name: '老主管',
          department: DEPT,
          role: 'supervisor',
          password_hash: 'x',
          disabled: 0,
          created_at: at,
        })
        .execute()
      await raw
        .insertInto('campaigns')
        .values({
          id: 'c-old',
          name: '旧专项',
          owner_department: DEPT,
          data: JSON.stringify({
            description: '',
            taskNumbers: [28],
            departments: [DEPT],
            inspectorIds: [],
            startDate: '2026-11-01',
            endDate: '2026-11-30',
            venues: [],
          }),
          version: 1,
          created_by: 'u-old',
          created_at: at,
          updated_at: at,
        })
        .execute()
      const checkIn = makeCheckIn({ authorId: 'u-old' })
      await raw
        .insertInto('records')
        .values({
          id: checkIn.id,
          kind: 'checkin',
          version: 1,
          client_id: 'old-phone',
          data: JSON.stringify(checkIn),
          hash: 'h',
          deleted: 0,
          author_id: 'u-old',
          department: DEPT,
          created_at: at,
          updated_at: at,
        })
        .execute()
    } finally {
      await raw.destroy()
    }
    const store = await earlier.open()
    try {
      const user = await store.db.selectFrom('users').select('region').executeTakeFirstOrThrow()
      expect(user.region).toBe('province')
      const record = await store.db.selectFrom('records').select('region').executeTakeFirstOrThrow()
      expect(record.region).toBe('province')
      const { campaignOf } = await import('../../server/campaigns/store')
      const campaign = await store.db.selectFrom('campaigns').selectAll().executeTakeFirstOrThrow()
      expect(campaignOf(campaign).region).toBe('province')
    } finally {
      await store.close()
    }
  })
})

describeStores('npm run user:add --region, on %s', (kind: StoreKind) => {
  const dir = mkdtempSync(join(tmpdir(), 'zhixun-user-add-region-'))
  const schema = uniqueSchema('useradd')
  const env = {
    ...process.env,
    DATA_DIR: dir,
    ZHIXUN_PASSWORD: 'user-add-password',
    DATABASE_URL: kind === 'postgres' ? PG_URL : '',
    DATABASE_SCHEMA: kind === 'postgres' ? schema : '',
  }
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true })
    if (kind === 'postgres') await dropSchema(schema)
  })
  function userAdd(...args: string[]): { status: number; out: string } {
    try {
      const out = execFileSync('npx', ['tsx', 'scripts/user-add.ts', ...args], {
        env,
        encoding: 'utf8',
        timeout: 60_000,
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      return { status: 0, out }
    } catch (err) {
      const e = err as { status: number; stdout: string; stderr: string }
      return { status: e.status, out: `${e.stdout}${e.stderr}` }
    }
  }
  const base = ['--name', '王五', '--department', DEPT, '--role', 'supervisor']

  it('adds a city account with --region, a provincial one without, and refuses an unknown region', async () => {
    const city = userAdd('--username', 'gz.wang', ...base, '--region', 'guangzhou')
    expect(city.status, city.out).toBe(0)
    expect(city.out).toContain('guangzhou')
    const plain = userAdd('--username', 'sheng.wang', ...base)
    expect(plain.status, plain.out).toBe(0)
    const bad = userAdd('--username', 'bad.wang', ...base, '--region', 'atlantis')
    expect(bad.status).toBe(1)
    expect(bad.out).toContain('not added: No region atlantis')
    expect(bad.out).toContain('regions: province, guangzhou')
    const store = kind === 'sqlite' ? await openStore(join(dir, 'zhixun.sqlite')) : await openStore(PG_URL, { schema })
    try {
      const rows = await store.db.selectFrom('users').select(['username', 'region']).orderBy('username').execute()
      expect(rows).toEqual([
        { username: 'gz.wang', region: 'guangzhou' },
        { username: 'sheng.wang', region: 'province' },
      ])
    } finally {
      await store.close()
    }
  })
})
