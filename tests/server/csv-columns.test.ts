/**
 * The campaign CSV a supervisor hands on: coordinates to 6 decimals, and at the end (after every column older
 * exports had, in their places) the co-inspectors, whether two certified inspectors were there, and the review.
 */
import { afterAll, beforeAll, expect, it } from 'vitest'
import type { Campaign } from '../../src/kernel/campaign-schema'
import type { CheckIn } from '../../src/kernel/sync-schema'
import { makeCampaign, pusher, setCertificate, type Who } from '../helpers/integrity'
import { makeCheckIn } from '../helpers/records'
import { describeStores, makeServer, signedIn, type TestServer } from '../helpers/server'
import { parseCsv } from '../helpers/csv'

/** The columns of exports before these were added, in their order: they stay where they were. */
const OLD_ZH =
  '记录编号,时间（北京时间）,日期,巡查员,部门,场所,场所类型,检查结果,检查场所数,查扣物品数,任务编号,纬度,经度,定位精度（米）,照片数,照片 SHA-256,照片在服务器上的路径,情况说明,更正的记录'
const OLD_EN =
  'Record ID,Time (UTC+8),Date,Inspector,Department,Venue,Venue type,Outcome,Premises inspected,Items seized,Tasks,Latitude,Longitude,Accuracy (m),Photos,Photo SHA-256,Photo paths on the server,Note,Corrects record'

describeStores('the campaign CSV for handing on, on %s', (kind) => {
  let s: TestServer
  let supervisor: Who
  let lead: Who
  let mate: Who
  let other: Who
  let campaign: Campaign
  let twoThere: CheckIn
  let alone: CheckIn
  let unchecked: CheckIn

  const csv = async (lang: string) => {
    const res = await s.app.inject({
      url: `/api/campaigns/${campaign.id}/checkins.csv?lang=${lang}`,
      headers: { cookie: supervisor.cookie },
    })
    expect(res.statusCode).toBe(200)
    return parseCsv(res.rawPayload.subarray(3).toString('utf8'))
  }
  const review = async (checkIn: CheckIn, action: 'reviewed' | 'returned') => {
    const res = await s.app.inject({
      method: 'POST',
      url: `/api/checkins/${checkIn.id}/review`,
      headers: { cookie: supervisor.cookie },
      payload: { action, comment: action === 'returned' ? '请补拍照片。' : '' },
    })
    expect(res.statusCode, res.body).toBe(200)
  }

  beforeAll(async () => {
    s = await makeServer(kind)
    supervisor = await signedIn(s, 'supervisor')
    lead = await signedIn(s)
    mate = await signedIn(s)
    other = await signedIn(s)
    await setCertificate(s, lead, `粤A-csv-${kind}-1`, '2027-12-31')
    await setCertificate(s, mate, `粤A-csv-${kind}-2`, '2027-12-31')
    campaign = await makeCampaign(s, supervisor, [lead, mate, other], { requireTwoCertified: true })
    const base = { authorId: lead.user.id, taskNumbers: [37], campaignId: campaign.id }
    twoThere = makeCheckIn({
      ...base,
      occurredAt: '2026-11-20T03:00:00.000Z',
      // What a phone's GPS gives: more decimals than any place needs.
      location: { lat: 23.10349038286209, lng: 113.32456789012345, accuracy: 8.4 },
      coInspectors: [
        { userId: mate.user.id, name: '王同行', certificateNumber: null },
        { userId: other.user.id, name: '赵, "同事"', certificateNumber: null },
      ],
    })
    alone = makeCheckIn({ ...base, occurredAt: '2026-11-20T02:00:00.000Z', location: null })
    unchecked = makeCheckIn({
      ...base,
      occurredAt: '2026-11-20T01:00:00.000Z',
      location: { lat: -0.0000001, lng: 113.3, accuracy: 5 },
    })
    const phone = pusher(
      () => s,
      () => lead,
    )
    const pushed = await phone.push([twoThere, alone, unchecked].map((args) => ({ name: 'checkin.create', args })))
    expect(pushed.body.results.map((r) => r.status)).toEqual(['applied', 'applied', 'applied'])
    // A record stored before the server counted certificates.
    await s.store.db
      .updateTable('records')
      .set({ certified_count: null, two_certified: null })
      .where('id', '=', unchecked.id)
      .execute()
    await review(alone, 'returned')
    await review(twoThere, 'returned')
    // The latest review is what the CSV says.
    await review(twoThere, 'reviewed')
  }, 60_000)
  afterAll(() => s?.close())

  it('adds co-inspectors, two certified present and the review after the columns older exports had', async () => {
    const zh = await csv('zh-CN')
    expect(zh[0]!.join(',')).toBe(`${OLD_ZH},同行检查人员,两名持证执法人员在场,审核状态`)
    const en = await csv('en')
    expect(en[0]!.join(',')).toBe(`${OLD_EN},Co-inspectors,Two certified inspectors present,Review`)
    expect(zh.every((r) => r.length === 22)).toBe(true)

    const row = (rows: string[][], c: CheckIn) => {
      const found = rows.find((r) => r[0] === c.id)!
      return { coInspectors: found[19], twoCertified: found[20], review: found[21] }
    }
    expect(row(zh, twoThere)).toEqual({ coInspectors: '王同行、赵, "同事"', twoCertified: '是', review: '审核通过' })
    expect(row(zh, alone)).toEqual({ coInspectors: '', twoCertified: '否', review: '已退回' })
    expect(row(zh, unchecked)).toEqual({ coInspectors: '', twoCertified: '未核对', review: '未审核' })
    expect(row(en, twoThere)).toEqual({ coInspectors: '王同行; 赵, "同事"', twoCertified: 'Yes', review: 'Approved' })
    expect(row(en, alone)).toEqual({ coInspectors: '', twoCertified: 'No', review: 'Returned' })
    expect(row(en, unchecked)).toEqual({ coInspectors: '', twoCertified: 'Not checked', review: 'Not reviewed' })
  })

  it('writes coordinates to 6 decimals (about 0.1 m), as numbers', async () => {
    const zh = await csv('zh-CN')
    const header = zh[0]!
    const cell = (c: CheckIn, name: string) => zh.find((r) => r[0] === c.id)![header.indexOf(name)]
    expect(cell(twoThere, '纬度')).toBe('23.10349')
    expect(cell(twoThere, '经度')).toBe('113.324568')
    expect(cell(twoThere, '定位精度（米）')).toBe('8')
    expect(cell(alone, '纬度')).toBe('')
    // A hair south of the equator is 0, never "-0" (nor a cell the formula guard would change).
    expect(cell(unchecked, '纬度')).toBe('0')
    expect(cell(unchecked, '经度')).toBe('113.3')
  })
})
