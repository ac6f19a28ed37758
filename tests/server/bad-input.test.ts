/**
 * Every bad input is a 4xx or a record rejected with a reason: never a 5xx, which a phone would retry for ever.
 * Each case here once was a 503 (on PostgreSQL, or on both databases).
 */
import type { InjectOptions } from 'fastify'
import { afterAll, beforeAll, expect, it } from 'vitest'
import type { Campaign } from '../../src/kernel/campaign-schema'
import type { PushResponse } from '../../src/kernel/sync-schema'
import { makeCheckIn, makeNote } from '../helpers/records'
import { describeStores, makeServer, signedIn, type TestServer } from '../helpers/server'

type Who = { user: { id: string }; cookie: string }

/** A push body as text, so that it can hold what JSON.stringify of a value could not build (5,000 levels deep). */
const pushText = (clientId: string, argsJson: string, name = 'checkin.create') =>
  `{"clientId":${JSON.stringify(clientId)},"mutations":[{"seq":1,"name":${JSON.stringify(name)},"args":${argsJson}}]}`

const nestedJson = (depth: number) => '['.repeat(depth) + ']'.repeat(depth)

describeStores('bad input on %s', (kind) => {
  let s: TestServer
  let me: Who
  let boss: Who
  let admin: Who
  let campaign: Campaign
  beforeAll(async () => {
    s = await makeServer(kind)
    me = await signedIn(s)
    boss = await signedIn(s, 'supervisor')
    admin = await signedIn(s, 'admin')
    const created = await s.app.inject({
      method: 'POST',
      url: '/api/campaigns',
      headers: { cookie: boss.cookie },
      payload: {
        name: '专项',
        description: '',
        taskNumbers: [28],
        departments: ['省知识产权局'],
        inspectorIds: [me.user.id],
        startDate: '2026-11-01',
        endDate: '2026-11-30',
        venues: [],
      },
    })
    expect(created.statusCode, created.body).toBe(201)
    campaign = created.json().campaign
  })
  afterAll(() => s.close())

  let clientNo = 0
  const newClient = () => `bad-${kind}-${++clientNo}-${Math.random().toString(36).slice(2, 8)}`
  const get = (url: string, who: Who | undefined = me) =>
    s.app.inject({ url, headers: who ? { cookie: who.cookie } : {} })
  const push = (clientId: string, mutations: { seq: number; name: string; args: unknown }[]) =>
    s.app.inject({
      method: 'POST',
      url: '/api/sync/push',
      headers: { cookie: me.cookie },
      payload: { clientId, mutations },
    })
  const recordCount = async () =>
    Number(
      (
        await s.store.db
          .selectFrom('records')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    )

  it('rejects, with a reason it can keep, a record with a NUL character or a 300-character unknown key, and applies the next', async () => {
    const client = newClient()
    const mine = (o = {}) => makeCheckIn({ authorId: me.user.id, ...o })
    const mutations = [
      { seq: 1, name: 'checkin.create', args: { ...mine(), 'key\u0000': 1 } },
      { seq: 2, name: 'checkin.create', args: { ...mine(), ['k'.repeat(300)]: 1 } },
      { seq: 3, name: 'checkin.create', args: mine({ outcome: 'x\u0000y' as never }) },
      { seq: 4, name: 'checkin\u0000create', args: mine() },
      { seq: 5, name: 'checkin.create', args: mine({ note: 'a NUL in the text itself: \u0000, kept as text' }) },
    ]
    const res = await push(client, mutations)
    expect(res.statusCode, res.body).toBe(200)
    const body = res.json() as PushResponse
    expect(body.lastProcessedSeq).toBe(5)
    expect(body.results.map((r) => [r.status, r.code])).toEqual([
      ['rejected', 'invalid'],
      ['rejected', 'invalid'],
      ['rejected', 'invalid'],
      ['rejected', 'unknown_mutation'],
      ['applied', undefined],
    ])
    for (const r of body.results.slice(0, 4)) {
      expect(r.reason).toMatch(/\S/)
      expect(r.reason).not.toContain('\u0000')
      expect(r.detail).not.toContain('\u0000')
      expect(Array.from(r.detail ?? '').length).toBeLessThanOrEqual(200)
    }
    // What was kept is what was said: a replay answers the same.
    const replay = await push(client, mutations)
    // A replay says what was kept of each; what this push committed (signature, hash, version) was said once.
    expect(replay.json()).toEqual({
      lastProcessedSeq: 5,
      results: body.results.map(({ signature: _s, hash: _h, version: _v, ...r }) => r),
    })
  })

  it('refuses a push whose args are nested 5,000 deep with a 400, writing nothing, and the next push applies', async () => {
    const client = newClient()
    const before = await recordCount()
    for (const args of [nestedJson(5000), `{"note":${nestedJson(5000)}}`]) {
      const res = await s.app.inject({
        method: 'POST',
        url: '/api/sync/push',
        headers: { cookie: me.cookie, 'content-type': 'application/json' },
        payload: pushText(client, args),
      })
      expect(res.statusCode).toBe(400)
      expect(res.json()).toMatchObject({ error: 'invalid_request' })
    }
    // Deep JSON is refused on every route, before anything walks it.
    const campaignRes = await s.app.inject({
      method: 'POST',
      url: '/api/campaigns',
      headers: { cookie: boss.cookie, 'content-type': 'application/json' },
      payload: `{"name":${nestedJson(5000)}}`,
    })
    expect(campaignRes.statusCode).toBe(400)
    expect(await recordCount()).toBe(before)
    const next = await push(client, [{ seq: 1, name: 'checkin.create', args: makeCheckIn({ authorId: me.user.id }) }])
    expect(next.statusCode).toBe(200)
    expect(await recordCount()).toBe(before + 1)
  })

  it('answers a sign-in with a NUL or İ×64 username with a 4xx', async () => {
    for (const username of ['a\u0000b', '\u0000', 'İ'.repeat(64), 'İ'.repeat(32), `${'x'.repeat(40)}\u0000`]) {
      const res = await s.app.inject({
        method: 'POST',
        url: '/api/auth/login',
        payload: { username, password: 'some-password-1' },
      })
      expect(res.statusCode, JSON.stringify(username)).toBeGreaterThanOrEqual(400)
      expect(res.statusCode, JSON.stringify(username)).toBeLessThan(500)
    }
  })

  it('refuses a cursor, limit or offset larger than a database integer with a 400', async () => {
    for (const url of ['/api/sync/pull?cursor=9999999999', '/api/sync/pull?cursor=2147483648']) {
      const res = await get(url)
      expect(res.statusCode).toBe(400)
      expect(res.json()).toMatchObject({ error: 'invalid_request', field: 'cursor' })
    }
    expect((await get('/api/sync/pull?cursor=2147483647')).json()).toMatchObject({ changes: [], more: false })
    const upload = await s.app.inject({
      method: 'PATCH',
      url: `/api/photos/${'a'.repeat(64)}`,
      headers: { cookie: me.cookie, 'content-type': 'application/offset+octet-stream', 'upload-offset': '9999999999' },
      payload: Buffer.from('x'),
    })
    expect(upload.statusCode).toBe(400)
  })

  it('refuses a campaign, user or filter id with a NUL (%00) with a 400', async () => {
    const urls = [
      '/api/campaigns/a%00b',
      '/api/campaigns/a%00b/report',
      '/api/campaigns/a%00b/checkins.csv',
      '/api/coverage?campaign=a%00b',
      `/api/campaigns/${campaign.id}/report?inspector=a%00b`,
      `/api/campaigns/${campaign.id}/checkins.csv?inspector=%00`,
    ]
    for (const url of urls) {
      const res = await get(url, boss)
      expect(res.statusCode, url).toBe(400)
      expect(res.json(), url).toMatchObject({ error: 'invalid_request' })
    }
    const put = await s.app.inject({
      method: 'PUT',
      url: '/api/campaigns/a%00b',
      headers: { cookie: boss.cookie },
      payload: {},
    })
    expect(put.statusCode).toBe(400)
    const patch = await s.app.inject({
      method: 'PATCH',
      url: '/api/users/a%00b',
      headers: { cookie: admin.cookie },
      payload: {},
    })
    expect(patch.statusCode).toBe(400)
  })

  it('takes a cookie with a malformed % escape for no session: 401 where one is needed, and no harm elsewhere', async () => {
    for (const cookie of ['zhixun_session=%E0%A4%A', 'zhixun_session=%', '%zz=%; zhixun_session=%ZZ%00']) {
      expect((await s.app.inject({ url: '/api/auth/me', headers: { cookie } })).statusCode).toBe(401)
      expect((await s.app.inject({ url: '/api/sync/pull', headers: { cookie } })).statusCode).toBe(401)
      expect((await s.app.inject({ url: '/api/dataset', headers: { cookie } })).statusCode).toBe(200)
      expect((await s.app.inject({ method: 'POST', url: '/api/auth/logout', headers: { cookie } })).statusCode).toBe(
        200,
      )
    }
  })

  it('refuses a repeated query parameter with a 400', async () => {
    const urls = [
      '/api/coverage?campaign=a&campaign=b',
      `/api/coverage?campaign=${campaign.id}&campaign=${campaign.id}`,
      '/api/sync/pull?cursor=1&cursor=2',
      `/api/campaigns/${campaign.id}/report?day=2026-11-20&day=2026-11-21`,
    ]
    for (const url of urls) {
      const res = await get(url, boss)
      expect(res.statusCode, url).toBe(400)
      expect(res.json(), url).toMatchObject({ error: 'invalid_request' })
    }
  })

  it('refuses a name with a NUL in a campaign or an account with a 400', async () => {
    const campaignRes = await s.app.inject({
      method: 'POST',
      url: '/api/campaigns',
      headers: { cookie: boss.cookie },
      payload: { ...campaign, id: undefined, name: 'a\u0000b' },
    })
    expect(campaignRes.statusCode).toBe(400)
    const userRes = await s.app.inject({
      method: 'POST',
      url: '/api/users',
      headers: { cookie: admin.cookie },
      payload: {
        username: 'nul.name',
        displayName: 'a\u0000b',
        department: '省知识产权局',
        role: 'inspector',
        password: 'long-password-1',
      },
    })
    expect(userRes.statusCode).toBe(400)
  })
})

/** Values a careless or hostile client puts anywhere: each must come back as a 4xx or a success. */
const HOSTILE: unknown[] = [
  '\u0000',
  'x'.repeat(300),
  'İ'.repeat(64),
  9_999_999_999,
  -1,
  JSON.parse(nestedJson(100)),
  { '\u0000': 1 },
]

/** `base` with one hostile value in one place, for every place in it (and an unknown key beside each object's). */
function variants(base: unknown): { where: string; value: unknown }[] {
  const out: { where: string; value: unknown }[] = []
  const replaced = (node: unknown, path: string[], value: unknown): unknown => {
    if (path.length === 0) return value
    const [head, ...rest] = path as [string, ...string[]]
    const copy = (Array.isArray(node) ? [...node] : { ...(node as object) }) as Record<string, unknown>
    copy[head] = replaced(copy[head], rest, value)
    return copy
  }
  const walk = (node: unknown, path: string[]) => {
    for (const h of HOSTILE)
      out.push({ where: `${path.join('.')} = ${JSON.stringify(h).slice(0, 16)}`, value: replaced(base, path, h) })
    if (node && typeof node === 'object') {
      if (!Array.isArray(node))
        out.push({
          where: `${path.join('.')} + long key`,
          value: replaced(base, path, { ...node, ['k'.repeat(300)]: 1 }),
        })
      for (const key of Object.keys(node)) walk((node as Record<string, unknown>)[key], [...path, key])
    }
  }
  walk(base, [])
  return out
}

describeStores('hostile values anywhere, on %s', (kind) => {
  let s: TestServer
  let me: Who
  let boss: Who
  let admin: Who
  let other: Who
  let campaignId: string
  beforeAll(async () => {
    s = await makeServer(kind)
    me = await signedIn(s)
    boss = await signedIn(s, 'supervisor')
    admin = await signedIn(s, 'admin')
    other = await signedIn(s)
  })
  afterAll(() => s.close())

  const campaignBody = () => ({
    name: '专项',
    description: 'd',
    taskNumbers: [28],
    departments: ['省知识产权局'],
    inspectorIds: [me.user.id],
    startDate: '2026-11-01',
    endDate: '2026-11-30',
    venues: ['v'],
  })

  it('answers every request with a hostile value in any field with a 4xx or a success, never a 5xx', async () => {
    const created = await s.app.inject({
      method: 'POST',
      url: '/api/campaigns',
      headers: { cookie: boss.cookie },
      payload: campaignBody(),
    })
    campaignId = created.json().campaign.id
    const failed: string[] = []
    const send = async (what: string, opts: InjectOptions) => {
      const res = await s.app.inject(opts)
      if (res.statusCode >= 500) failed.push(`${what}: ${res.statusCode} ${res.body.slice(0, 120)}`)
    }
    let clientNo = 0
    const pushOf = (name: string, args: unknown): InjectOptions => ({
      method: 'POST',
      url: '/api/sync/push',
      headers: { cookie: me.cookie },
      payload: { clientId: `hostile-${kind}-${++clientNo}`, mutations: [{ seq: 1, name, args }] },
    })
    const bodies: [InjectOptions['method'], string, string, Who | undefined, unknown][] = [
      ['POST', '/api/campaigns', 'campaign', boss, campaignBody()],
      ['PUT', `/api/campaigns/${campaignId}`, 'campaign edit', boss, { ...campaignBody(), version: 1 }],
      [
        'POST',
        '/api/users',
        'new user',
        admin,
        {
          username: 'new.user',
          displayName: 'n',
          department: '省知识产权局',
          role: 'inspector',
          password: 'pw-long-enough-1',
        },
      ],
      ['PATCH', `/api/users/${other.user.id}`, 'user edit', admin, { displayName: 'n', department: '省知识产权局' }],
      ['POST', '/api/auth/login', 'sign-in', undefined, { username: 'nobody.here', password: 'pw' }],
      ['POST', '/api/photos', 'photo', me, { sha256: 'a'.repeat(64), size: 10, type: 'image/jpeg' }],
      [
        'POST',
        '/api/keys',
        'signing key',
        me,
        { clientId: 'hostile-keys', publicKey: { kty: 'EC', crv: 'P-256', x: 'x'.repeat(43), y: 'y'.repeat(43) } },
      ],
    ]
    for (const [method, url, what, who, base] of bodies)
      for (const v of variants(base))
        await send(`${what} ${v.where}`, {
          method,
          url,
          headers: who ? { cookie: who.cookie } : {},
          payload: v.value as InjectOptions['payload'],
        })
    const records: [string, unknown][] = [
      ['checkin.create', makeCheckIn({ authorId: me.user.id })],
      ['note.put', { note: makeNote({ authorId: me.user.id }), baseVersion: null }],
      ['note.delete', { id: makeNote().id, baseVersion: null }],
    ]
    for (const [name, base] of records)
      for (const v of variants(base)) await send(`${name} ${v.where}`, pushOf(name, v.value))
    const envelope = {
      clientId: 'hostile-envelope',
      mutations: [
        { seq: 1, name: 'note.delete', args: {}, signature: { keyId: 'a'.repeat(64), value: 'v'.repeat(86) } },
      ],
    }
    for (const v of variants(envelope))
      await send(`push envelope ${v.where}`, { ...pushOf('', null), payload: v.value as InjectOptions['payload'] })
    const values = ['%00', 'a%00b', 'x'.repeat(300), '9999999999', '-1', encodeURIComponent('İ'.repeat(64)), '%25', '']
    for (const q of values) {
      const urls = [
        `/api/sync/pull?cursor=${q}&limit=${q}`,
        `/api/campaigns/${q}`,
        `/api/campaigns/${q}/report`,
        `/api/campaigns/${campaignId}/report?day=${q}&venueType=${q}&outcome=${q}&inspector=${q}&limit=${q}`,
        `/api/campaigns/${campaignId}/checkins.csv?lang=${q}&inspector=${q}`,
        `/api/coverage?campaign=${q}`,
        `/api/coverage?department=${q}`,
        `/api/photos/${q}`,
        `/api/photos/${q}/upload`,
        `/api/keys/${q}`,
      ]
      for (const url of urls)
        for (const who of [me, boss, admin]) await send(`GET ${url}`, { url, headers: { cookie: who.cookie } })
    }
    expect(failed).toEqual([])
    // The server still works, and kept nothing it could not keep.
    const after = await s.app.inject(pushOf('checkin.create', makeCheckIn({ authorId: me.user.id })))
    expect(after.json()).toMatchObject({ lastProcessedSeq: 1, results: [{ seq: 1, status: 'applied' }] })
    const kept = await s.store.db.selectFrom('mutations').select(['detail', 'reason']).execute()
    for (const row of kept) {
      expect(Array.from(row.detail ?? '').length).toBeLessThanOrEqual(200)
      expect(`${row.detail}${row.reason}`).not.toContain('\u0000')
    }
  }, 120_000)
})
