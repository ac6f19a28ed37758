import { afterAll, beforeAll, expect, it, vi } from 'vitest'
import type { Campaign, CampaignReport } from '../../src/kernel/campaign-schema'
import type { CheckIn } from '../../src/kernel/sync-schema'
import { csvField } from '../../server/campaigns/report'
import { HOSTILE, makeCheckIn } from '../helpers/records'
import { makeServer, signedIn, describeStores, type TestServer } from '../helpers/server'
import { parseCsv } from '../helpers/csv'

describeStores('campaign progress and export, on %s', (kind) => {
  let s: TestServer
  let supervisor: { cookie: string; user: { id: string } }
  let a: { cookie: string; user: { id: string; displayName: string } }
  let b: { cookie: string; user: { id: string; displayName: string } }
  let campaign: Campaign
  let corrected: CheckIn

  const get = (url: string) => s.app.inject({ url, headers: { cookie: supervisor.cookie } })

  beforeAll(async () => {
    s = await makeServer(kind)
    supervisor = await signedIn(s, 'supervisor', '省知识产权局')
    a = await signedIn(s, 'inspector', '省知识产权局')
    b = await signedIn(s, 'inspector', '省知识产权局')
    const res = await s.app.inject({
      method: 'POST',
      url: '/api/campaigns',
      headers: { cookie: supervisor.cookie },
      payload: {
        name: '清源行动',
        description: '',
        taskNumbers: [37],
        departments: ['省知识产权局'],
        inspectorIds: [a.user.id, b.user.id],
        startDate: '2026-11-01',
        endDate: '2026-12-31',
        venues: [],
      },
    })
    campaign = res.json().campaign
    const under = (o: Partial<CheckIn>) => makeCheckIn({ campaignId: campaign.id, taskNumbers: [37], ...o })
    // 23:30 UTC on the 20th is the 21st in Guangdong.
    corrected = under({
      authorId: a.user.id,
      occurredAt: '2026-11-20T01:00:00.000Z',
      venueType: 'market',
      outcome: 'no_problem',
    })
    const aRecords = [
      corrected,
      under({ authorId: a.user.id, occurredAt: '2026-11-20T23:30:00.000Z', venueType: 'market', outcome: 'suspected' }),
      under({
        authorId: a.user.id,
        occurredAt: '2026-11-21T02:00:00.000Z',
        venueType: 'port',
        outcome: 'case_opened',
        venueName: HOSTILE[0]!,
        note: HOSTILE[3]!,
      }),
      under({
        authorId: a.user.id,
        correctionOf: corrected.id,
        occurredAt: '2026-11-20T01:00:00.000Z',
        venueType: 'market',
        outcome: 'referred',
        venueName: HOSTILE[1]!,
      }),
      // Not in the campaign: never counted in it.
      makeCheckIn({ authorId: a.user.id }),
    ]
    const bRecords = [
      under({
        authorId: b.user.id,
        occurredAt: '2026-11-22T03:00:00.000Z',
        venueType: 'trade_fair',
        outcome: 'suspected',
        venueName: HOSTILE[2]!,
        note: HOSTILE[4]!,
      }),
    ]
    for (const [w, records] of [
      [a, aRecords],
      [b, bRecords],
    ] as const) {
      const pushed = await s.app.inject({
        method: 'POST',
        url: '/api/sync/push',
        headers: { cookie: w.cookie },
        payload: {
          clientId: `phone-${w.user.id}`,
          mutations: records.map((args, i) => ({ seq: i + 1, name: 'checkin.create', args })),
        },
      })
      expect(pushed.json().results.every((r: { status: string }) => r.status === 'applied')).toBe(true)
    }
  })
  afterAll(() => s.close())

  it('counts per day (Guangdong time), venue type, outcome and inspector, a corrected check-in once', async () => {
    const r = (await get(`/api/campaigns/${campaign.id}/report`)).json() as CampaignReport
    expect(r.total).toBe(4)
    expect(r.matched).toBe(4)
    expect(r.byDay).toEqual([
      { key: '2026-11-20', count: 1 },
      { key: '2026-11-21', count: 2 },
      { key: '2026-11-22', count: 1 },
    ])
    expect(Object.fromEntries(r.byVenueType.map((c) => [c.key, c.count]))).toEqual({
      market: 2,
      trade_fair: 1,
      port: 1,
      online: 0,
      enterprise: 0,
      other: 0,
    })
    expect(Object.fromEntries(r.byOutcome.map((c) => [c.key, c.count]))).toEqual({
      no_problem: 0,
      suspected: 2,
      case_opened: 1,
      referred: 1,
    })
    expect(r.byInspector).toEqual([
      { key: a.user.id, count: 3 },
      { key: b.user.id, count: 1 },
    ])
    expect(r.checkIns.map((c) => c.id)).not.toContain(corrected.id)
    expect(r.people.map((p) => p.displayName).sort()).toEqual([a.user.displayName, b.user.displayName].sort())
    // Hostile text comes back exactly as written: it is data, for the page to show as text.
    const venues = r.checkIns.map((c) => c.venueName)
    expect(venues).toContain(HOSTILE[0])
    expect(venues).toContain(HOSTILE[2])
  })

  it('filters by day, venue type, outcome and inspector, and says what it filtered by', async () => {
    const r = (
      await get(`/api/campaigns/${campaign.id}/report?day=2026-11-21&outcome=suspected`)
    ).json() as CampaignReport
    expect(r.matched).toBe(1)
    expect(r.total).toBe(4)
    expect(r.filter).toEqual({ day: '2026-11-21', outcome: 'suspected' })
    const byB = (
      await get(`/api/campaigns/${campaign.id}/report?inspector=${b.user.id}&venueType=trade_fair`)
    ).json() as CampaignReport
    expect(byB.checkIns.map((c) => c.authorId)).toEqual([b.user.id])
    for (const bad of ['day=21-11-2026', 'venueType=moon', 'outcome=maybe', 'limit=-1']) {
      const res = await get(`/api/campaigns/${campaign.id}/report?${bad}`)
      expect(res.statusCode, bad).toBe(400)
    }
  })

  it('exports CSV that Excel opens as UTF-8 Chinese, formulas defused, every row one record', async () => {
    const res = await get(`/api/campaigns/${campaign.id}/checkins.csv`)
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8')
    expect(String(res.headers['content-disposition'])).toContain(`filename*=UTF-8''${encodeURIComponent('清源行动')}`)
    const raw = res.rawPayload
    expect([...raw.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf])
    const text = raw.subarray(3).toString('utf8')
    expect(text.split('\r\n')[0]).toBe(
      '记录编号,时间（北京时间）,日期,巡查员,部门,场所,场所类型,检查结果,检查场所数,查扣物品数,任务编号,纬度,经度,定位精度（米）,照片数,照片 SHA-256,照片在服务器上的路径,情况说明,更正的记录,同行检查人员,两名持证执法人员在场,审核状态',
    )
    expect(text).toContain('检查结果')
    expect(text).toContain('已移交其他部门')
    expect(text).toContain('口岸 / 海关')
    // The venue name that is a formula starts with an apostrophe; the embedded quotes are doubled.
    expect(text).toContain(`"'=HYPERLINK(""http://evil.example"",""点我"")"`)
    // The bell is dropped; the line break inside the note stays inside its quoted field.
    expect(text).not.toContain('\u0007')
    const rows = parseCsv(text)
    expect(rows).toHaveLength(1 + 4)
    expect(rows.every((r) => r.length === rows[0]!.length)).toBe(true)
    expect(rows.some((r) => r.includes(HOSTILE[3]!.replace('\u0007', '')))).toBe(true)
    const en = (await get(`/api/campaigns/${campaign.id}/checkins.csv?lang=en&outcome=suspected`)).rawPayload
      .subarray(3)
      .toString('utf8')
    expect(en.split('\r\n')[0]).toContain('Outcome')
    expect(parseCsv(en)).toHaveLength(1 + 2)
  })

  it("names the CSV file with Guangdong's day: exported at 07:30 there, not UTC's yesterday", async () => {
    // Tomorrow at 23:30 UTC (the session is still valid then) is 07:30 the day after in Guangdong.
    const at = new Date(Date.now() + 86_400_000)
    at.setUTCHours(23, 30, 0, 0)
    const guangdong = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate() + 1))
    vi.useFakeTimers({ toFake: ['Date'] })
    try {
      vi.setSystemTime(at)
      const res = await get(`/api/campaigns/${campaign.id}/checkins.csv`)
      expect(res.statusCode).toBe(200)
      expect(String(res.headers['content-disposition'])).toContain(
        `filename*=UTF-8''${encodeURIComponent(`清源行动-${guangdong.toISOString().slice(0, 10)}.csv`)}`,
      )
    } finally {
      vi.useRealTimers()
    }
  })

  it('escapes CSV fields one by one', () => {
    expect(csvField('普通文本')).toBe('普通文本')
    expect(csvField('a,b')).toBe('"a,b"')
    expect(csvField('-1+1')).toBe(`'-1+1`)
    expect(csvField('@SUM(A1)')).toBe(`'@SUM(A1)`)
    expect(csvField(12)).toBe('12')
    expect(csvField(null)).toBe('')
  })
})
