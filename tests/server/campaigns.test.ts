import { afterAll, beforeAll, beforeEach, expect, it, onTestFinished } from 'vitest'
import type { Campaign, CampaignReport, CoverageReport } from '../../src/kernel/campaign-schema'
import { makeCheckIn, photoBytes, sha256 } from '../helpers/records'
import { makeServer, signedIn, describeStores, TEST_PASSWORD, type TestServer } from '../helpers/server'

type Who = { user: { id: string }; cookie: string }
const ACTORS = ['anonymous', 'inspector', 'otherInspector', 'otherSupervisor', 'supervisor', 'admin'] as const
type Actor = (typeof ACTORS)[number]

const campaignBody = (inspectorIds: string[], extra: Record<string, unknown> = {}) => ({
  name: '广交会知识产权保护专项',
  description: '第 140 届广交会期间的展会执法。',
  taskNumbers: [28],
  departments: ['省知识产权局'],
  inspectorIds,
  startDate: '2026-11-01',
  endDate: '2026-11-30',
  venues: ['广交会展馆 A 区', '广交会展馆 B 区'],
  ...extra,
})

describeStores('campaigns, reports and accounts: the role matrix, on %s', (kind) => {
  let s: TestServer
  const who = {} as Record<Exclude<Actor, 'anonymous'>, Who>
  let teammate: Who
  let campaign: Campaign
  const bytes = photoBytes(7, 20_000)
  const sha = sha256(bytes)
  let photoNo = 0
  const ownPhoto = () => photoBytes(1000 + ++photoNo, 2_000)
  const announce = (a: Actor, photo: Buffer) =>
    req(a, 'POST', '/api/photos', { sha256: sha256(photo), size: photo.length, type: 'image/jpeg' })
  let userNo = 0

  const as = (actor: Actor | Who) => {
    const w = typeof actor === 'string' ? (actor === 'anonymous' ? undefined : who[actor]) : actor
    return w ? { cookie: w.cookie } : {}
  }
  const req = (actor: Actor | Who, method: 'GET' | 'POST' | 'PUT' | 'PATCH', url: string, payload?: unknown) =>
    s.app.inject({ method, url, headers: as(actor), ...(payload === undefined ? {} : { payload: payload as object }) })
  const count = async (table: 'records' | 'campaigns' | 'mutations' | 'users') =>
    Number(
      (
        await s.store.db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    )

  type World = { s: TestServer; who: typeof who; teammate: Who }
  const use = (w: World) => {
    s = w.s
    Object.assign(who, w.who)
    teammate = w.teammate
  }
  /** A new server with everyone signed in (a slow password hash each, so shared) and the inspector's photo on it. */
  async function openServer(): Promise<World> {
    const server = await makeServer(kind)
    const people = {
      inspector: await signedIn(server, 'inspector', '省知识产权局'),
      otherInspector: await signedIn(server, 'inspector', '省知识产权局'),
      otherSupervisor: await signedIn(server, 'supervisor', '省工商局'),
      supervisor: await signedIn(server, 'supervisor', '省知识产权局'),
      admin: await signedIn(server, 'admin', '省知识产权局'),
    }
    const mate = await signedIn(server, 'inspector', '省知识产权局')
    const cookie = people.inspector.cookie
    await server.app.inject({
      method: 'POST',
      url: '/api/photos',
      payload: { sha256: sha, size: bytes.length, type: 'image/jpeg' },
      headers: { cookie },
    })
    await server.app.inject({
      method: 'PATCH',
      url: `/api/photos/${sha}`,
      payload: bytes,
      headers: { cookie, 'content-type': 'application/offset+octet-stream', 'upload-offset': '0' },
    })
    return { s: server, who: people, teammate: mate }
  }
  let phoneNo = 0
  /** Each test's own campaign, with the inspector and the teammate in it: what one test changes, no other sees. */
  async function startCampaign() {
    const created = await req(
      'supervisor',
      'POST',
      '/api/campaigns',
      campaignBody([who.inspector.user.id, teammate.user.id]),
    )
    expect(created.statusCode, created.body).toBe(201)
    campaign = created.json().campaign
    // The inspector checks in under it with the photo.
    const checkIn = makeCheckIn({
      authorId: who.inspector.user.id,
      campaignId: campaign.id,
      photos: [{ sha256: sha, size: bytes.length, type: 'image/jpeg' }],
    })
    const pushed = await req('inspector', 'POST', '/api/sync/push', {
      clientId: `phone-of-inspector-${++phoneNo}`,
      mutations: [{ seq: 1, name: 'checkin.create', args: checkIn }],
    })
    expect(pushed.json().results[0].status).toBe('applied')
  }
  /** Time for a test or hook that opens a server: six sign-ins of a deliberately slow hash (0.1 s, more under load). */
  const OWN_SERVER_MS = 30_000
  /**
   * For a test that counts everything on the server, or ends everyone's sessions: a server of its own, with
   * everyone signed in again and a campaign. The shared server is back for the next test.
   */
  async function ownServer() {
    const shared: World = { s, who: { ...who }, teammate }
    const own = await openServer()
    onTestFinished(async () => {
      use(shared)
      await own.s.close()
    })
    use(own)
    await startCampaign()
  }

  beforeAll(async () => use(await openServer()), OWN_SERVER_MS)
  beforeEach(startCampaign)
  afterAll(() => s.close())

  // Each endpoint against every actor: the status each must get, in ACTORS order.
  const matrix: {
    name: string
    expect: number[]
    call: (a: Actor) => Promise<{ statusCode: number; body: string }>
  }[] = [
    {
      name: 'GET /api/campaigns',
      expect: [401, 200, 200, 200, 200, 200],
      call: (a) => req(a, 'GET', '/api/campaigns'),
    },
    {
      name: 'POST /api/campaigns',
      expect: [401, 403, 403, 201, 201, 201],
      call: (a) =>
        req(
          a,
          'POST',
          '/api/campaigns',
          campaignBody([], { departments: [a === 'otherSupervisor' ? '省工商局' : '省知识产权局'] }),
        ),
    },
    {
      name: 'GET /api/campaigns/:id',
      expect: [401, 200, 403, 403, 200, 200],
      call: (a) => req(a, 'GET', `/api/campaigns/${campaign.id}`),
    },
    {
      name: 'PUT /api/campaigns/:id',
      expect: [401, 403, 403, 403, 200, 200],
      call: (a) =>
        req(a, 'PUT', `/api/campaigns/${campaign.id}`, campaignBody([who.inspector.user.id, teammate.user.id])),
    },
    {
      name: 'GET /api/campaigns/:id/report',
      expect: [401, 200, 403, 403, 200, 200],
      call: (a) => req(a, 'GET', `/api/campaigns/${campaign.id}/report`),
    },
    {
      name: 'GET /api/campaigns/:id/checkins.csv',
      expect: [401, 200, 403, 403, 200, 200],
      call: (a) => req(a, 'GET', `/api/campaigns/${campaign.id}/checkins.csv`),
    },
    { name: 'GET /api/coverage', expect: [401, 403, 403, 200, 200, 200], call: (a) => req(a, 'GET', '/api/coverage') },
    {
      name: 'GET /api/coverage?department=省知识产权局',
      expect: [401, 403, 403, 403, 200, 200],
      call: (a) => req(a, 'GET', `/api/coverage?department=${encodeURIComponent('省知识产权局')}`),
    },
    {
      name: 'GET /api/coverage?campaign=',
      expect: [401, 403, 403, 403, 200, 200],
      call: (a) => req(a, 'GET', `/api/coverage?campaign=${campaign.id}`),
    },
    { name: 'GET /api/people', expect: [401, 403, 403, 200, 200, 200], call: (a) => req(a, 'GET', '/api/people') },
    { name: 'GET /api/users', expect: [401, 403, 403, 403, 403, 200], call: (a) => req(a, 'GET', '/api/users') },
    {
      name: 'POST /api/users',
      expect: [401, 403, 403, 403, 403, 201],
      call: (a) =>
        req(a, 'POST', '/api/users', {
          username: `new.${++userNo}.${kind}`,
          displayName: '新巡查员',
          department: '省工商局',
          role: 'inspector',
          password: 'a-long-password-1',
        }),
    },
    {
      name: 'PATCH /api/users/:id',
      expect: [401, 403, 403, 403, 403, 200],
      call: (a) => req(a, 'PATCH', `/api/users/${teammate.user.id}`, { displayName: '队友' }),
    },
    {
      name: 'GET /api/photos/:sha (a campaign photo)',
      expect: [401, 200, 404, 404, 200, 200],
      call: (a) => req(a, 'GET', `/api/photos/${sha}`),
    },
    {
      name: 'GET /api/sync/pull',
      expect: [401, 200, 200, 200, 200, 200],
      call: (a) => req(a, 'GET', '/api/sync/pull?cursor=0'),
    },
    { name: 'GET /api/auth/me', expect: [401, 200, 200, 200, 200, 200], call: (a) => req(a, 'GET', '/api/auth/me') },
    {
      name: 'POST /api/sync/push (own records)',
      expect: [401, 200, 200, 200, 200, 200],
      call: (a) =>
        req(a, 'POST', '/api/sync/push', {
          clientId: `matrix-${a}-${kind}`,
          mutations:
            a === 'anonymous'
              ? []
              : [
                  {
                    seq: 1,
                    name: 'checkin.create',
                    args: makeCheckIn({ authorId: who[a].user.id, taskNumbers: [160] }),
                  },
                ],
        }),
    },
    // Uploads are each user's own: every call starts one of a photo of its own, so the rows do not depend
    // on each other's order (tests/server/photo-ownership.test.ts covers uploads of the same photo).
    {
      name: 'POST /api/photos',
      expect: [401, 201, 201, 201, 201, 201],
      call: (a) => announce(a, ownPhoto()),
    },
    {
      name: 'GET /api/photos/:sha/upload',
      expect: [401, 200, 200, 200, 200, 200],
      call: async (a) => {
        const photo = ownPhoto()
        await announce(a, photo)
        return req(a, 'GET', `/api/photos/${sha256(photo)}/upload`)
      },
    },
    {
      name: 'PATCH /api/photos/:sha',
      expect: [401, 200, 200, 200, 200, 200],
      call: async (a) => {
        const photo = ownPhoto()
        await announce(a, photo)
        return s.app.inject({
          method: 'PATCH',
          url: `/api/photos/${sha256(photo)}`,
          payload: photo,
          headers: { ...as(a), 'content-type': 'application/offset+octet-stream', 'upload-offset': '0' },
        })
      },
    },
    {
      name: 'POST /api/auth/login (wrong password)',
      expect: [401, 401, 401, 401, 401, 401],
      call: (a) => req(a, 'POST', '/api/auth/login', { username: `nobody.${a}`, password: 'wrong-password' }),
    },
    { name: 'GET /api/health', expect: [200, 200, 200, 200, 200, 200], call: (a) => req(a, 'GET', '/api/health') },
    { name: 'GET /api/dataset', expect: [200, 200, 200, 200, 200, 200], call: (a) => req(a, 'GET', '/api/dataset') },
    { name: 'GET /api/limits', expect: [200, 200, 200, 200, 200, 200], call: (a) => req(a, 'GET', '/api/limits') },
  ]

  it.each(matrix)('$name', async ({ expect: statuses, call }) => {
    const got: Record<string, number> = {}
    for (const a of ACTORS) got[a] = (await call(a)).statusCode
    expect(got).toEqual(Object.fromEntries(ACTORS.map((a, i) => [a, statuses[i]])))
  })

  it('lists to each user only the campaigns they take part in or run', async () => {
    const ids = async (a: Actor | Who) =>
      ((await req(a, 'GET', '/api/campaigns')).json().campaigns as Campaign[]).map((c) => c.id)
    expect(await ids('inspector')).toContain(campaign.id)
    expect(await ids(teammate)).toContain(campaign.id)
    expect(await ids('otherInspector')).not.toContain(campaign.id)
    expect(await ids('otherSupervisor')).not.toContain(campaign.id)
    expect(await ids('supervisor')).toContain(campaign.id)
    expect(await ids('admin')).toContain(campaign.id)
  })

  it('lets a campaign teammate read the campaign’s records but not change them', async () => {
    const report = (await req(teammate, 'GET', `/api/campaigns/${campaign.id}/report`)).json() as CampaignReport
    expect(report.checkIns.map((c) => c.authorId)).toContain(who.inspector.user.id)
    expect((await req(teammate, 'GET', `/api/photos/${sha}`)).statusCode).toBe(200)
    expect(
      (await req(teammate, 'PUT', `/api/campaigns/${campaign.id}`, campaignBody([teammate.user.id]))).statusCode,
    ).toBe(403)
  })

  it('refuses a check-in under a campaign the pusher is not in, or one that does not exist, and writes nothing', async () => {
    const before = { records: await count('records'), mutations: await count('mutations') }
    for (const [actor, campaignId] of [
      ['otherInspector', campaign.id],
      ['supervisor', campaign.id],
      ['admin', campaign.id],
      ['inspector', '0190aaaa-0000-7000-8000-000000000000'],
    ] as const) {
      const w = who[actor]
      const ok = makeCheckIn({ authorId: w.user.id })
      const forged = makeCheckIn({ authorId: w.user.id, campaignId })
      const res = await req(actor, 'POST', '/api/sync/push', {
        clientId: `forger-${actor}`,
        mutations: [
          { seq: 1, name: 'checkin.create', args: ok },
          { seq: 2, name: 'checkin.create', args: forged },
        ],
      })
      expect(res.statusCode, `${actor}: ${res.body}`).toBe(403)
      expect(res.json()).toMatchObject({ error: 'forged_campaign', seq: 2 })
    }
    expect({ records: await count('records'), mutations: await count('mutations') }).toEqual(before)
  })

  it('refuses a supervisor running a campaign for another department, and writes nothing', async () => {
    const before = await count('campaigns')
    const res = await req(
      'otherSupervisor',
      'POST',
      '/api/campaigns',
      campaignBody([], { ownerDepartment: '省知识产权局' }),
    )
    expect(res.statusCode).toBe(403)
    expect(res.json().error).toBe('forged_department')
    const edit = await req(
      'otherSupervisor',
      'PUT',
      `/api/campaigns/${campaign.id}`,
      campaignBody([], { ownerDepartment: '省工商局' }),
    )
    expect(edit.statusCode).toBe(403)
    expect(await count('campaigns')).toBe(before)
    expect(
      ((await req('admin', 'GET', `/api/campaigns/${campaign.id}`)).json().campaign as Campaign).ownerDepartment,
    ).toBe('省知识产权局')
  })

  it('refuses unknown tasks, departments and inspectors, and inspectors of departments not taking part', async () => {
    const before = await count('campaigns')
    const outsider = await signedIn(s, 'inspector', '省公安厅')
    const cases: [Record<string, unknown>, string][] = [
      [campaignBody([], { taskNumbers: [161] }), 'unknown_task'],
      [campaignBody([], { departments: ['省魔法局'] }), 'unknown_department'],
      [campaignBody(['0190aaaa-0000-7000-8000-000000000001']), 'unknown_inspector'],
      [campaignBody([outsider.user.id]), 'unknown_inspector'],
      [campaignBody([], { startDate: '2026-12-01', endDate: '2026-11-01' }), 'invalid'],
      [campaignBody([], { name: '   ' }), 'invalid'],
      [campaignBody([], { extra: 1 }), 'invalid'],
    ]
    for (const [body, code] of cases) {
      const res = await req('supervisor', 'POST', '/api/campaigns', body)
      expect(res.statusCode, res.body).toBe(400)
      expect(res.json().error).toBe(code)
    }
    expect(await count('campaigns')).toBe(before)
  })

  it('refuses an edit made from an out-of-date copy', async () => {
    const current = (await req('supervisor', 'GET', `/api/campaigns/${campaign.id}`)).json().campaign as Campaign
    const first = await req(
      'supervisor',
      'PUT',
      `/api/campaigns/${campaign.id}`,
      campaignBody(current.inspectorIds, { version: current.version, name: '改名一' }),
    )
    expect(first.statusCode).toBe(200)
    expect(first.json().campaign.version).toBe(current.version + 1)
    const stale = await req(
      'admin',
      'PUT',
      `/api/campaigns/${campaign.id}`,
      campaignBody(current.inspectorIds, { version: current.version, name: '改名二' }),
    )
    expect(stale.statusCode).toBe(409)
    expect(((await req('admin', 'GET', `/api/campaigns/${campaign.id}`)).json().campaign as Campaign).name).toBe(
      '改名一',
    )
  })

  it('keeps the running department when an edit does not name one, even made by an admin of another department', async () => {
    const farAdmin = await signedIn(s, 'admin', '省工商局')
    const current = (await req('admin', 'GET', `/api/campaigns/${campaign.id}`)).json().campaign as Campaign
    const res = await req(
      farAdmin,
      'PUT',
      `/api/campaigns/${campaign.id}`,
      campaignBody(current.inspectorIds, { name: current.name }),
    )
    expect(res.statusCode, res.body).toBe(200)
    expect((res.json().campaign as Campaign).ownerDepartment).toBe('省知识产权局')
  })

  it('still takes a check-in from an inspector taken off the campaign after they recorded it', async () => {
    const offline = makeCheckIn({ authorId: teammate.user.id, campaignId: campaign.id })
    await req('supervisor', 'PUT', `/api/campaigns/${campaign.id}`, campaignBody([who.inspector.user.id]))
    const res = await req(teammate, 'POST', '/api/sync/push', {
      clientId: 'phone-of-teammate',
      mutations: [{ seq: 1, name: 'checkin.create', args: offline }],
    })
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json().results[0].status).toBe('applied')
    // …but no longer reads the campaign.
    expect((await req(teammate, 'GET', `/api/campaigns/${campaign.id}/report`)).statusCode).toBe(403)
  })

  it(
    'shows coverage of all 160 tasks, counting the campaign check-in against task 28 only',
    async () => {
      await ownServer()
      // Everyone pushes a check-in of their own to task 160, as the matrix's push does.
      for (const a of ['inspector', 'otherInspector', 'supervisor', 'admin', 'otherSupervisor'] as const) {
        const pushed = await req(a, 'POST', '/api/sync/push', {
          clientId: `coverage-${a}`,
          mutations: [
            { seq: 1, name: 'checkin.create', args: makeCheckIn({ authorId: who[a].user.id, taskNumbers: [160] }) },
          ],
        })
        expect(pushed.json().results[0].status, pushed.body).toBe('applied')
      }
      const res = (await req('supervisor', 'GET', '/api/coverage')).json() as CoverageReport
      expect(res.scope).toEqual({ department: '省知识产权局' })
      expect(res.tasks).toHaveLength(160)
      expect(res.tasks.find((t) => t.taskNumber === 28)!.checkIns).toBeGreaterThanOrEqual(1)
      // Those of the supervisor's department went to task 160: the two inspectors', the supervisor's and the admin's.
      expect(res.tasks.find((t) => t.taskNumber === 160)!.checkIns).toBe(4)
      expect(res.tasks.filter((t) => t.taskNumber !== 28 && t.taskNumber !== 160).every((t) => t.checkIns === 0)).toBe(
        true,
      )
      // The other department sees its own supervisor's one check-in, nothing of this department's.
      const other = (await req('otherSupervisor', 'GET', '/api/coverage')).json() as CoverageReport
      expect(other.tasks.find((t) => t.taskNumber === 160)!.checkIns).toBe(1)
      expect(other.tasks.filter((t) => t.taskNumber !== 160).every((t) => t.checkIns === 0 && t.notes === 0)).toBe(true)
    },
    OWN_SERVER_MS,
  )

  it('lets an admin disable an account, which ends its sessions', async () => {
    const victim = await signedIn(s, 'inspector', '省工商局')
    expect((await req(victim, 'GET', '/api/auth/me')).statusCode).toBe(200)
    expect((await req('admin', 'PATCH', `/api/users/${victim.user.id}`, { disabled: true })).statusCode).toBe(200)
    expect((await req(victim, 'GET', '/api/auth/me')).statusCode).toBe(401)
    expect((await req('admin', 'PATCH', `/api/users/${who.admin.user.id}`, { disabled: true })).statusCode).toBe(409)
    const list = (await req('admin', 'GET', '/api/users')).json().users as { id: string; disabled: boolean }[]
    expect(list.find((u) => u.id === victim.user.id)!.disabled).toBe(true)
    expect(JSON.stringify(list)).not.toContain('scrypt')
  })

  it('lets an admin set their own password and stay signed in on this device only', async () => {
    const me = await signedIn(s, 'admin', '省工商局')
    const login = await s.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { username: (await req(me, 'GET', '/api/auth/me')).json().user.username, password: TEST_PASSWORD },
    })
    const otherDevice = String(login.headers['set-cookie']).split(';')[0]!
    const res = await req(me, 'PATCH', `/api/users/${me.user.id}`, { password: 'a-brand-new-password' })
    expect(res.statusCode, res.body).toBe(200)
    expect((await req(me, 'GET', '/api/auth/me')).statusCode).toBe(200)
    expect((await s.app.inject({ url: '/api/auth/me', headers: { cookie: otherDevice } })).statusCode).toBe(401)
  })

  it(
    'POST /api/auth/logout answers everyone, and ends the session of whoever had one',
    async () => {
      // It ends every actor's session: on a server of its own.
      await ownServer()
      for (const a of ACTORS) expect((await req(a, 'POST', '/api/auth/logout')).statusCode, a).toBe(200)
      for (const a of ACTORS) expect((await req(a, 'GET', '/api/campaigns')).statusCode, a).toBe(401)
    },
    OWN_SERVER_MS,
  )
})
