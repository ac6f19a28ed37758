/**
 * The inspected-party register (issue 11): created from phones with their own ids, merged by credit code,
 * read and searched within department and campaign scope; bad input is a 4xx with a reason, never a 5xx.
 */
import { afterAll, beforeAll, expect, it } from 'vitest'
import type { Campaign } from '../../src/kernel/campaign-schema'
import { creditCodeCheckChar } from '../../src/kernel/credit-code'
import type { Party, PartyCheckIn, PartyForPhone } from '../../src/kernel/party'
import type { CheckIn } from '../../src/kernel/sync-schema'
import { uuidv7 } from '../../src/kernel/uuid'
import { HOSTILE, makeCheckIn } from '../helpers/records'
import { describeStores, makeServer, signedIn, type TestServer } from '../helpers/server'

type Who = { user: { id: string; department: string }; cookie: string }

/** The published example of ../shared/docs/domain.md. */
const SHENZHEN = '914403001922038216'
/** Valid by the algorithm, with letters in it. */
const WITH_LETTERS = '9144030071526726XG'

describeStores('the party register on %s', (kind) => {
  let s: TestServer
  let me: Who
  let colleague: Who
  let boss: Who
  let stranger: Who
  let strangerBoss: Who
  let admin: Who
  let fairInspector: Who
  let campaign: Campaign

  beforeAll(async () => {
    s = await makeServer(kind)
    me = await signedIn(s)
    colleague = await signedIn(s)
    boss = await signedIn(s, 'supervisor')
    stranger = await signedIn(s, 'inspector', '省工商局')
    strangerBoss = await signedIn(s, 'supervisor', '省工商局')
    admin = await signedIn(s, 'admin', '省公安厅')
    // An inspector of another department taking part in a campaign run by mine.
    fairInspector = await signedIn(s, 'inspector', '省工商局')
    const created = await s.app.inject({
      method: 'POST',
      url: '/api/campaigns',
      headers: { cookie: boss.cookie },
      payload: {
        name: '广交会专项',
        description: '',
        taskNumbers: [28],
        departments: ['省知识产权局', '省工商局'],
        inspectorIds: [me.user.id, fairInspector.user.id],
        startDate: '2026-11-01',
        endDate: '2026-11-30',
        venues: [],
      },
    })
    expect(created.statusCode, created.body).toBe(201)
    campaign = created.json().campaign
  })
  afterAll(() => s.close())

  const create = (who: Who | undefined, payload: unknown) =>
    s.app.inject({
      method: 'POST',
      url: '/api/parties',
      headers: who ? { cookie: who.cookie } : {},
      payload: payload as object,
    })
  const list = (who: Who, query = '') => s.app.inject({ url: `/api/parties${query}`, headers: { cookie: who.cookie } })
  const names = async (who: Who, query = '') => {
    const res = await list(who, query)
    expect(res.statusCode, res.body).toBe(200)
    return (res.json().parties as Party[]).map((p) => p.name)
  }
  const party = (extra: Record<string, unknown> = {}) => ({
    id: uuidv7(),
    name: `深圳某电子有限公司 ${Math.random().toString(36).slice(2, 7)}`,
    address: '深圳市龙岗区坂田华为基地',
    personPresent: '李四',
    personRole: '店长',
    phone: '0755-28780808',
    ...extra,
  })

  it('creates a party (201) with a normalized credit code, and answers it again for the same id (200)', async () => {
    const body = party({ creditCode: '9144 0300 7152 6726 xg' })
    const first = await create(me, body)
    expect(first.statusCode, first.body).toBe(201)
    const created = first.json().party as Party
    expect(created).toMatchObject({
      id: body.id,
      name: body.name,
      creditCode: WITH_LETTERS,
      address: body.address,
      personPresent: '李四',
      personRole: '店长',
      phone: '0755-28780808',
      department: '省知识产权局',
      createdBy: me.user.id,
    })
    // The phone retries after a lost answer, even with changed words: the party made the first time.
    const again = await create(me, { ...body, name: '改过的名字' })
    expect(again.statusCode, again.body).toBe(200)
    expect(again.json()).toEqual({ party: created, merged: 'id' })
    const read = await s.app.inject({ url: `/api/parties/${body.id}`, headers: { cookie: me.cookie } })
    expect(read.json().party).toEqual(created)
  })

  it('merges a second party with the same credit code into the first, across departments, keeping the first’s words', async () => {
    const first = await create(me, party({ name: '华为技术有限公司', creditCode: SHENZHEN }))
    expect(first.statusCode, first.body).toBe(201)
    const second = await create(stranger, party({ name: '华为（另录）', creditCode: SHENZHEN.toLowerCase() }))
    expect(second.statusCode, second.body).toBe(200)
    expect(second.json().merged).toBe('creditCode')
    expect(second.json().party).toEqual(first.json().party)
    // Now filed for the other department too: its inspector finds it; there is still one party with the code.
    expect(await names(stranger, `?q=${SHENZHEN}`)).toEqual(['华为技术有限公司'])
    expect(await names(admin, `?q=${SHENZHEN}`)).toEqual(['华为技术有限公司'])
  })

  it('merges parties created at the same moment with one credit code: one party, both answered it', async () => {
    const code = '91330100716105852F'
    const answers = await Promise.all([
      create(me, party({ name: '甲', creditCode: code })),
      create(colleague, party({ name: '乙', creditCode: code })),
      create(stranger, party({ name: '丙', creditCode: code })),
    ])
    expect(answers.map((a) => a.statusCode).sort()).toEqual([200, 200, 201])
    const ids = new Set(answers.map((a) => (a.json().party as Party).id))
    expect(ids.size).toBe(1)
    expect(await names(admin, `?q=${code}`)).toHaveLength(1)
  })

  it('keeps stalls without a code apart, each its own party', async () => {
    const a = await create(me, party({ name: '无证摊位 甲' }))
    const b = await create(me, party({ name: '无证摊位 甲', creditCode: '' }))
    expect([a.statusCode, b.statusCode]).toEqual([201, 201])
    expect(a.json().party.creditCode).toBeNull()
    expect(b.json().party.creditCode).toBeNull()
    expect(await names(me, `?q=${encodeURIComponent('无证摊位 甲')}`)).toEqual(['无证摊位 甲', '无证摊位 甲'])
  })

  it('shows a department’s parties to its people only, and a campaign’s to everyone in it', async () => {
    const own = party({ name: '本局登记的摊位' })
    const inCampaign = party({ name: '展会登记的展位', campaignId: campaign.id })
    expect((await create(me, own)).statusCode).toBe(201)
    expect((await create(me, inCampaign)).statusCode).toBe(201)
    for (const who of [me, colleague, boss]) {
      expect(await names(who, '?q=登记的'), 'same department').toEqual(['展会登记的展位', '本局登记的摊位'].sort())
    }
    // Another department's inspector sees neither unless in the campaign; its supervisor (whose department
    // joins the campaign) reads the campaign's parties.
    expect(await names(stranger, '?q=登记的')).toEqual([])
    expect(await names(fairInspector, '?q=登记的')).toEqual(['展会登记的展位'])
    expect(await names(strangerBoss, '?q=登记的')).toEqual(['展会登记的展位'])
    expect(await names(fairInspector, `?campaign=${campaign.id}&q=登记的`)).toEqual(['展会登记的展位'])
    expect(await names(admin, '?q=登记的')).toHaveLength(2)
    // Reading one: 404 for a party not theirs, as for one that does not exist.
    const read = (who: Who, id: string) => s.app.inject({ url: `/api/parties/${id}`, headers: { cookie: who.cookie } })
    expect((await read(stranger, own.id)).statusCode).toBe(404)
    expect((await read(fairInspector, inCampaign.id)).statusCode).toBe(200)
    expect((await read(me, uuidv7())).statusCode).toBe(404)
    expect((await read(me, 'x'.repeat(65))).statusCode).toBe(404)
    // Filters: a campaign they may not read, a department not theirs.
    expect((await list(stranger, `?campaign=${campaign.id}`)).statusCode).toBe(403)
    expect((await list(me, `?department=${encodeURIComponent('省工商局')}`)).statusCode).toBe(403)
    expect(await names(admin, `?department=${encodeURIComponent('省知识产权局')}&q=登记的`)).toHaveLength(2)
    expect(await names(me, `?campaign=${campaign.id}&q=登记的`)).toEqual(['展会登记的展位'])
  })

  it('refuses creating under a campaign the inspector is not in, and the id of someone else’s party', async () => {
    const refused = await create(stranger, party({ campaignId: campaign.id }))
    expect(refused.statusCode).toBe(403)
    const missing = await create(me, party({ campaignId: uuidv7() }))
    expect(missing.statusCode).toBe(404)
    const mine = party({ name: '只归本局' })
    expect((await create(me, mine)).statusCode).toBe(201)
    const taken = await create(stranger, party({ id: mine.id, name: '冒用编号' }))
    expect(taken.statusCode).toBe(409)
    expect(taken.json().error).toBe('id_taken')
    expect(taken.body).not.toContain('只归本局')
  })

  it('finds parties by words of the name and by the start of a credit code, with % and _ taken literally', async () => {
    expect((await create(me, party({ name: '广州100%正品鞋店' }))).statusCode).toBe(201)
    expect((await create(me, party({ name: '广州一百正品鞋店' }))).statusCode).toBe(201)
    expect(await names(me, `?q=${encodeURIComponent('100%')}`)).toEqual(['广州100%正品鞋店'])
    expect(await names(me, `?q=${encodeURIComponent('_')}`)).toEqual([])
    expect(await names(me, `?q=${encodeURIComponent('正品鞋店')}`)).toHaveLength(2)
    // A Guangzhou code of its own (440101), made valid with the check character the algorithm gives.
    const stem = '91440101MA59ABCDE'
    const code = stem + creditCodeCheckChar(stem)!
    expect((await create(me, party({ name: '广州某贸易有限公司', creditCode: code }))).statusCode).toBe(201)
    expect(await names(me, '?q=91440101MA5')).toEqual(['广州某贸易有限公司'])
    expect(await names(me, `?q=${encodeURIComponent('９１４４ ０１０１ ma59')}`)).toEqual(['广州某贸易有限公司'])
    expect(await names(me, '?limit=1')).toHaveLength(1)
  })

  it('stores hostile text as typed and answers it as JSON', async () => {
    const body = party({
      name: HOSTILE[0],
      address: HOSTILE[1],
      personPresent: HOSTILE[2],
      personRole: '"><svg onload=x>',
      phone: "'; drop table parties; --",
    })
    const res = await create(me, body)
    expect(res.statusCode, res.body).toBe(201)
    expect(res.headers['content-type']).toMatch(/^application\/json/)
    const read = await s.app.inject({ url: `/api/parties/${body.id}`, headers: { cookie: me.cookie } })
    expect(read.json().party).toMatchObject({
      name: HOSTILE[0],
      address: HOSTILE[1],
      personPresent: HOSTILE[2],
      personRole: '"><svg onload=x>',
      phone: "'; drop table parties; --",
    })
    expect(await names(me, `?q=${encodeURIComponent('<script>')}`)).toEqual([HOSTILE[0]])
    // The register is still there.
    expect((await list(me)).statusCode).toBe(200)
  })

  it('refuses bad input with a 4xx and a reason, never a 5xx, and stores nothing', async () => {
    const before = (await list(admin, '?limit=500')).json().parties.length as number
    const cases: [unknown, number, string, string?][] = [
      [party({ creditCode: '914403001922038217' }), 400, 'invalid_credit_code', 'check'],
      [party({ creditCode: '91440300192203821' }), 400, 'invalid_credit_code', 'length'],
      [party({ creditCode: '91440300I92203821' + '6' }), 400, 'invalid_credit_code', 'character'],
      [party({ creditCode: 'x'.repeat(61) }), 400, 'invalid'],
      [party({ creditCode: 18 }), 400, 'invalid'],
      [party({ name: '' }), 400, 'invalid'],
      [party({ name: '   ' }), 400, 'invalid'],
      [party({ name: '名'.repeat(201) }), 400, 'invalid'],
      [party({ name: 'a\u0000b' }), 400, 'invalid'],
      [party({ address: '址'.repeat(301) }), 400, 'invalid'],
      [party({ personPresent: '人'.repeat(101) }), 400, 'invalid'],
      [party({ personRole: '职'.repeat(51) }), 400, 'invalid'],
      [party({ phone: '1'.repeat(41) }), 400, 'invalid'],
      [party({ phone: '123\n456' }), 400, 'invalid'],
      [party({ id: 'not-a-uuid' }), 400, 'invalid'],
      [party({ id: 'x'.repeat(10_000) }), 400, 'invalid'],
      [party({ campaignId: 'nope' }), 400, 'invalid'],
      [party({ extra: 1 }), 400, 'invalid'],
      [null, 400, 'invalid'],
      [[1, 2], 400, 'invalid'],
      ['text', 400, 'invalid'],
    ]
    for (const [payload, status, error, problem] of cases) {
      const res = await s.app.inject({
        method: 'POST',
        url: '/api/parties',
        headers: { cookie: me.cookie, 'content-type': 'application/json' },
        payload: JSON.stringify(payload),
      })
      expect(res.statusCode, `${JSON.stringify(payload).slice(0, 80)}: ${res.body}`).toBe(status)
      expect(res.json().error).toBe(error)
      if (problem) expect(res.json()).toMatchObject({ field: 'creditCode', problem })
    }
    for (const query of ['?limit=0', '?limit=501', '?limit=x', `?q=${'字'.repeat(101)}`, '?q=a&q=b', '?q=%00']) {
      const res = await list(me, query)
      expect(res.statusCode, query).toBe(400)
      expect(res.json().error).toBe('invalid_request')
    }
    expect((await list(admin, '?limit=500')).json().parties).toHaveLength(before)
  })

  it('answers only signed-in users', async () => {
    expect((await create(undefined, party())).statusCode).toBe(401)
    expect((await s.app.inject({ url: '/api/parties' })).statusCode).toBe(401)
    expect((await s.app.inject({ url: `/api/parties/${uuidv7()}` })).statusCode).toBe(401)
    expect((await s.app.inject({ url: '/api/parties/mine' })).statusCode).toBe(401)
    expect((await s.app.inject({ url: `/api/parties/${uuidv7()}/inspections` })).statusCode).toBe(401)
  })

  const mine = async (who: Who) => {
    const res = await s.app.inject({ url: '/api/parties/mine', headers: { cookie: who.cookie } })
    expect(res.statusCode, res.body).toBe(200)
    expect(res.headers['cache-control']).toBe('private, no-store')
    return res.json().parties as PartyForPhone[]
  }
  const seqs = new Map<string, number>()
  const push = async (who: Who, records: CheckIn[]) => {
    const start = seqs.get(who.user.id) ?? 0
    seqs.set(who.user.id, start + records.length)
    const res = await s.app.inject({
      method: 'POST',
      url: '/api/sync/push',
      headers: { cookie: who.cookie },
      payload: {
        clientId: `phone-${who.user.id}`,
        mutations: records.map((args, i) => ({ seq: start + i + 1, name: 'checkin.create', args })),
      },
    })
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json().results.map((r: { status: string }) => r.status)).toEqual(records.map(() => 'applied'))
  }

  it('gives a phone its department’s and campaigns’ parties with pinyin initials, found by initials too', async () => {
    const shop = party({ name: '广州市某某商行' })
    const booth = party({ name: '重庆银行展位', campaignId: campaign.id })
    expect((await create(me, shop)).statusCode).toBe(201)
    expect((await create(me, booth)).statusCode).toBe(201)
    const own = await mine(me)
    expect(own.find((p) => p.id === shop.id)).toMatchObject({ name: '广州市某某商行', initials: 'gzsmmsh', visits: [] })
    // 重庆 is chong-qing and 银行 yin-hang: the reading in context, not each character's first.
    expect(own.find((p) => p.id === booth.id)?.initials).toBe('cqyhzw')
    // Another department's inspector: neither; the campaign's inspector of that department: the campaign's only.
    expect((await mine(stranger)).map((p) => p.id)).not.toContain(shop.id)
    expect((await mine(stranger)).map((p) => p.id)).not.toContain(booth.id)
    const theirs = (await mine(fairInspector)).map((p) => p.id)
    expect(theirs).toContain(booth.id)
    expect(theirs).not.toContain(shop.id)
    // The register's search takes initials as well as words of the name and the start of a code.
    expect(await names(me, '?q=gzsm')).toEqual(['广州市某某商行'])
    expect(await names(me, '?q=SMMSH')).toEqual(['广州市某某商行'])
    expect(await names(stranger, '?q=gzsm')).toEqual([])
    expect(await names(fairInspector, '?q=cqyh')).toEqual(['重庆银行展位'])
  })

  it('lists a party’s earlier inspections: in short for its phones across departments, in full for those who may read them', async () => {
    const stall = party({ name: '东门夜市档口 <img src=x onerror=alert(1)>', campaignId: campaign.id })
    expect((await create(me, stall)).statusCode).toBe(201)
    const first = makeCheckIn({
      authorId: me.user.id,
      partyId: stall.id,
      outcome: 'no_problem',
      occurredAt: '2026-11-02T02:00:00.000Z',
    })
    const second = makeCheckIn({
      authorId: me.user.id,
      partyId: stall.id,
      campaignId: campaign.id,
      outcome: 'no_problem',
      // 23:30 UTC is the next morning in Guangdong.
      occurredAt: '2026-11-09T23:30:00.000Z',
    })
    // The second, corrected by its author: the correction stands in its place.
    const correction = { ...second, id: uuidv7(), outcome: 'suspected' as const, correctionOf: second.id }
    await push(me, [first, second, correction])
    // Another department's inspector of the campaign, once under the campaign and once on their own.
    const theirCampaign = makeCheckIn({
      authorId: fairInspector.user.id,
      partyId: stall.id,
      campaignId: campaign.id,
      outcome: 'suspected',
      occurredAt: '2026-11-15T03:00:00.000Z',
    })
    const theirOwn = makeCheckIn({
      authorId: fairInspector.user.id,
      partyId: stall.id,
      outcome: 'case_opened',
      occurredAt: '2026-11-20T03:00:00.000Z',
    })
    // A check-in of another party is not this one's.
    await push(fairInspector, [theirCampaign, theirOwn, makeCheckIn({ authorId: fairInspector.user.id })])

    const visits = [
      { date: '2026-11-20', department: '省工商局', outcome: 'case_opened' },
      { date: '2026-11-15', department: '省工商局', outcome: 'suspected' },
      { date: '2026-11-10', department: '省知识产权局', outcome: 'suspected' },
      { date: '2026-11-02', department: '省知识产权局', outcome: 'no_problem' },
    ]
    expect((await mine(me)).find((p) => p.id === stall.id)?.visits).toEqual(visits)
    expect((await mine(fairInspector)).find((p) => p.id === stall.id)?.visits).toEqual(visits)

    const inspections = async (who: Who, id = stall.id) =>
      s.app.inject({ url: `/api/parties/${id}/inspections`, headers: { cookie: who.cookie } })
    // Mine: my own two and the campaign's; the other department's own check-in is not mine to read.
    const forMe = await inspections(me)
    expect(forMe.statusCode, forMe.body).toBe(200)
    const body = forMe.json() as { party: Party; checkIns: PartyCheckIn[]; total: number; hidden: number }
    expect(body.party.name).toBe(stall.name)
    expect(body.checkIns.map((c) => c.id)).toEqual([theirCampaign.id, correction.id, first.id])
    expect(body.checkIns[0]).toMatchObject({
      venueName: theirCampaign.venueName,
      outcome: 'suspected',
      authorName: '测试inspector',
      department: '省工商局',
    })
    expect(body.checkIns[1]).toMatchObject({
      outcome: 'suspected',
      correctionOf: second.id,
      department: '省知识产权局',
    })
    expect([body.total, body.hidden]).toEqual([4, 1])
    // Theirs: their own and the campaign's (my correction among them), not my check-in outside the campaign.
    const forThem = (await inspections(fairInspector)).json() as { checkIns: PartyCheckIn[]; hidden: number }
    expect(forThem.checkIns.map((c) => c.id)).toEqual([theirOwn.id, theirCampaign.id, correction.id])
    expect(forThem.hidden).toBe(1)
    // The admin reads them all; someone the party is not filed for learns nothing, as for no party at all.
    expect(((await inspections(admin)).json() as { checkIns: unknown[] }).checkIns).toHaveLength(4)
    for (const [who, id] of [
      [stranger, stall.id],
      [me, uuidv7()],
      [me, 'x'.repeat(65)],
    ] as const) {
      const res = await inspections(who, id)
      expect(res.statusCode).toBe(404)
      expect(res.json().error).toBe('not_found')
      expect(res.body).not.toContain('东门夜市')
    }
  })
  it('lets a supervisor merge a stall without a code into another entry of it: hidden, read as the other, visits combined', async () => {
    const merge = (who: Who, id: string, payload: unknown) =>
      s.app.inject({
        method: 'POST',
        url: `/api/parties/${id}/merge`,
        headers: { cookie: who.cookie },
        payload: payload as object,
      })
    // One stall recorded twice, without a code, by two inspectors of the department.
    const stallA = party({ name: '西门夜市档口 甲', campaignId: campaign.id })
    const stallB = party({ name: '西门夜市档口 乙' })
    const codeOf = (stem: string) => stem + creditCodeCheckChar(stem)!
    const coded = party({ creditCode: codeOf('91440103MA59MERG1'), name: '广州有码公司' })
    const codedToo = party({ creditCode: codeOf('91440103MA59MERG2') })
    const faraway = party({ name: '省工商局档口' })
    expect((await create(me, stallA)).statusCode).toBe(201)
    expect((await create(colleague, stallB)).statusCode).toBe(201)
    expect((await create(me, coded)).statusCode).toBe(201)
    expect((await create(me, codedToo)).statusCode).toBe(201)
    const [codedId, codedTooId] = [coded.id, codedToo.id]
    expect((await create(stranger, faraway)).statusCode).toBe(201)
    const onA = makeCheckIn({
      authorId: me.user.id,
      partyId: stallA.id,
      outcome: 'suspected',
      occurredAt: '2026-11-03T02:00:00.000Z',
    })
    const onB = makeCheckIn({
      authorId: colleague.user.id,
      partyId: stallB.id,
      outcome: 'no_problem',
      occurredAt: '2026-11-04T02:00:00.000Z',
    })
    await push(me, [onA])
    await push(colleague, [onB])

    // Refusals: an inspector; the same id; unknown or unreadable; two coded; a coded one into one without.
    const refused = async (who: Who, id: string, payload: unknown, status: number, error: string) => {
      const res = await merge(who, id, payload)
      expect(res.statusCode, res.body).toBe(status)
      expect(res.json().error).toBe(error)
    }
    await refused(me, stallA.id, { into: stallB.id }, 403, 'forbidden')
    await refused(boss, stallA.id, { into: stallA.id }, 400, 'same_party')
    await refused(boss, stallA.id, {}, 400, 'invalid')
    await refused(boss, stallA.id, { into: uuidv7() }, 404, 'not_found')
    await refused(boss, uuidv7(), { into: stallB.id }, 404, 'not_found')
    await refused(boss, stallA.id, { into: faraway.id }, 404, 'not_found')
    await refused(strangerBoss, faraway.id, { into: stallB.id }, 404, 'not_found')
    await refused(boss, codedId, { into: codedTooId }, 409, 'both_coded')
    await refused(boss, codedId, { into: stallA.id }, 409, 'coded_party')
    // Nothing was merged by any of them. The campaign's inspector of another department has A only.
    expect((await mine(fairInspector)).map((p) => p.id)).toContain(stallA.id)
    expect((await mine(fairInspector)).map((p) => p.id)).not.toContain(stallB.id)
    expect((await mine(me)).map((p) => p.id)).toEqual(expect.arrayContaining([stallA.id, stallB.id, codedId]))

    const done = await merge(boss, stallA.id, { into: stallB.id })
    expect(done.statusCode, done.body).toBe(200)
    expect(done.json()).toMatchObject({ party: { id: stallB.id, name: stallB.name }, mergedFrom: [stallA.id] })
    await refused(boss, stallA.id, { into: stallB.id }, 409, 'already_merged')
    // Back the other way: B's survivor is B itself, A stands for B now.
    await refused(boss, stallB.id, { into: stallA.id }, 400, 'same_party')

    // The merged one is gone from lists, search and phones; reading it answers the party it went into.
    const listed = (await mine(me)).map((p) => p.id)
    expect(listed).not.toContain(stallA.id)
    expect(listed).toContain(stallB.id)
    const mineBody = (await s.app.inject({ url: '/api/parties/mine', headers: { cookie: me.cookie } })).json() as {
      merged: { id: string; into: string }[]
    }
    expect(mineBody.merged).toContainEqual({ id: stallA.id, into: stallB.id })
    // The party it went into is filed where the merged one was: the campaign's phones get it instead.
    const theirs = (await mine(fairInspector)).map((p) => p.id)
    expect(theirs).toContain(stallB.id)
    expect(theirs).not.toContain(stallA.id)
    expect(await names(me, '?q=西门夜市')).toEqual([stallB.name])
    expect(await names(admin, '?q=西门夜市')).toEqual([stallB.name])
    const read = await s.app.inject({ url: `/api/parties/${stallA.id}`, headers: { cookie: me.cookie } })
    expect(read.statusCode, read.body).toBe(200)
    expect(read.json()).toMatchObject({ party: { id: stallB.id }, mergedFrom: stallA.id })
    const direct = await s.app.inject({ url: `/api/parties/${stallB.id}`, headers: { cookie: me.cookie } })
    expect(direct.json().mergedFrom).toBeUndefined()
    // Someone the party was never filed for still learns nothing.
    expect(
      (await s.app.inject({ url: `/api/parties/${stallA.id}`, headers: { cookie: stranger.cookie } })).statusCode,
    ).toBe(404)
    // Both rows are still there, unchanged.
    const rows = await s.store.db
      .selectFrom('parties')
      .select(['id', 'name'])
      .where('id', 'in', [stallA.id, stallB.id])
      .execute()
    expect(rows).toHaveLength(2)

    // Visits of either id count for the survivor, also a check-in naming the merged id pushed afterwards.
    const later = makeCheckIn({
      authorId: me.user.id,
      partyId: stallA.id,
      outcome: 'case_opened',
      occurredAt: '2026-11-05T02:00:00.000Z',
    })
    await push(me, [later])
    expect((await mine(me)).find((p) => p.id === stallB.id)?.visits).toEqual([
      { date: '2026-11-05', department: '省知识产权局', outcome: 'case_opened' },
      { date: '2026-11-04', department: '省知识产权局', outcome: 'no_problem' },
      { date: '2026-11-03', department: '省知识产权局', outcome: 'suspected' },
    ])
    for (const id of [stallA.id, stallB.id]) {
      const full = await s.app.inject({ url: `/api/parties/${id}/inspections`, headers: { cookie: boss.cookie } })
      expect(full.statusCode, full.body).toBe(200)
      const body = full.json() as { party: Party; checkIns: PartyCheckIn[]; total: number }
      expect(body.party.id).toBe(stallB.id)
      expect(body.checkIns.map((c) => c.id)).toEqual([later.id, onB.id, onA.id])
    }

    // A phone retrying the merged party's creation is answered the party it went into.
    const again = await create(me, stallA)
    expect(again.statusCode).toBe(200)
    expect(again.json().party.id).toBe(stallB.id)

    // The audit trail names who merged what into what.
    const audit = await s.app.inject({ url: `/api/audit?recordId=${stallA.id}`, headers: { cookie: admin.cookie } })
    expect(audit.statusCode, audit.body).toBe(200)
    const entries = (audit.json() as { entries: { action: string; actorId: string; detail: { into?: string } }[] })
      .entries
    expect(entries.filter((e) => e.action === 'party.merge')).toEqual([
      expect.objectContaining({ actorId: boss.user.id, detail: expect.objectContaining({ into: stallB.id }) }),
    ])
  })
})
