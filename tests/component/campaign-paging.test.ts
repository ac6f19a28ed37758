// @vitest-environment happy-dom
import 'fake-indexeddb/auto'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { Campaign, CampaignReport, ReportCheckIn } from '../../src/kernel/campaign-schema'
import { db } from '../../src/db/db'
import { makeCheckIn } from '../helpers/records'
import { mountAt, settle } from '../helpers/mount'

const campaign: Campaign = {
  id: '01900000-0000-7000-8000-0000000000cc',
  name: '秋季展会专项',
  description: '',
  taskNumbers: [28],
  departments: ['省知识产权局'],
  inspectorIds: [],
  startDate: '2026-10-01',
  endDate: '2026-12-31',
  venues: [],
  ownerDepartment: '省知识产权局',
  createdBy: '01900000-0000-7000-8000-0000000000aa',
  version: 1,
  createdAt: '2026-09-01T00:00:00.000Z',
  updatedAt: '2026-09-01T00:00:00.000Z',
}
/** 250 check-ins, every other one with a location: more than one fetch of 100 holds. */
const all: ReportCheckIn[] = Array.from({ length: 250 }, (_, i) => ({
  ...makeCheckIn({
    campaignId: campaign.id,
    venueName: `展位 ${i + 1}`,
    location: i % 2 ? null : { lat: 23.1, lng: 113.3, accuracy: 10 },
  }),
  authorName: '巡查员',
  department: '省知识产权局',
}))

/**
 * A campaign page over a server that answers the report with `limit` check-ins, and the limits asked for. (That
 * "more" moves the focus to what it revealed is checked in the browser, in tests/e2e/layout.test.ts.)
 */
describe('the campaign page shows a long campaign 20 at a time', () => {
  const limits: number[] = []
  beforeEach(() => {
    limits.length = 0
    vi.stubGlobal('fetch', async (input: RequestInfo | URL) => {
      const url = new URL(String(input), 'http://phone.test')
      if (!url.pathname.endsWith('/report')) return new Response('{}', { status: 404 })
      const limit = Number(url.searchParams.get('limit'))
      limits.push(limit)
      const report: CampaignReport = {
        campaign,
        people: [],
        filter: {},
        total: all.length,
        matched: all.length,
        byDay: [],
        byVenueType: [],
        byOutcome: [],
        byInspector: [],
        checkIns: all.slice(0, limit),
      }
      return new Response(JSON.stringify(report), { headers: { 'content-type': 'application/json' } })
    })
  })
  afterEach(async () => {
    vi.unstubAllGlobals()
    await Promise.all(db.tables.map((t) => t.clear()))
  })

  it('fetches 100, shows 20, and fetches the next 100 only when "more" reaches past them', async () => {
    const { wrapper } = await mountAt(`/campaigns/${campaign.id}`)
    const items = () => wrapper.findAll('[data-testid="report-checkin"]')
    const places = () => wrapper.findAll('[data-testid="locations"] > li')
    expect(items()).toHaveLength(20)
    expect(places()).toHaveLength(20)
    expect(limits).toEqual([100])

    for (let shown = 40; shown <= 100; shown += 20) {
      await wrapper.get('[data-testid="more-checkins"]').trigger('click')
      await settle()
      expect(items()).toHaveLength(shown)
      expect(wrapper.get('[data-testid="more-checkins"]').text()).toBe(`再显示巡查登记（还有 ${250 - shown} 条）`)
    }
    expect(limits).toEqual([100])

    await wrapper.get('[data-testid="more-checkins"]').trigger('click')
    await settle()
    expect(limits).toEqual([100, 200])
    expect(items()).toHaveLength(120)

    // Not all check-ins are on the phone yet, so how many places are left is not known: the button says only "more".
    expect(wrapper.get('[data-testid="more-places"]').text()).toBe('再显示巡查地点')
    wrapper.unmount()
  })

  it('offers more places beyond the check-ins it holds, fetching them', async () => {
    const { wrapper } = await mountAt(`/campaigns/${campaign.id}`)
    const places = () => wrapper.findAll('[data-testid="locations"] > li')
    // 50 of the first 100 check-ins have a place: the first press shows 40 of them from what the phone holds,
    // the second needs more check-ins than it holds and fetches them.
    await wrapper.get('[data-testid="more-places"]').trigger('click')
    await settle()
    expect(places()).toHaveLength(40)
    expect(limits).toEqual([100])
    await wrapper.get('[data-testid="more-places"]').trigger('click')
    await settle()
    expect(limits).toEqual([100, 200])
    expect(places()).toHaveLength(60)
    wrapper.unmount()
  })
})
