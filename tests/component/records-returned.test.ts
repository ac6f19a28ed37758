// @vitest-environment happy-dom
/**
 * "My records" marks a check-in a supervisor returned, while no correction of it is on the phone, with the start
 * of the comment, and its header counts those check-ins and lists them alone. A later review, a correction, or
 * another inspector's check-in take the mark away.
 */
import 'fake-indexeddb/auto'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { db, type LocalReview } from '../../src/db/db'
import { saveCheckIn } from '../../src/db/records'
import { setLocale } from '../../src/modules/i18n'
import { uuidv7 } from '../../src/kernel/uuid'
import { mountAt, settle } from '../helpers/mount'
import { makeCheckIn, NO_AUTHOR } from '../helpers/records'

const OTHER = '01900000-0000-7000-8000-0000000000cc'
const HOSTILE_COMMENT = `<img src=x onerror=alert(1)>\n\u202e第二行 ${'长'.repeat(300)}`

function review(checkInId: string, action: LocalReview['action'], at: string, comment = ''): LocalReview {
  return { id: uuidv7(), checkInId, action, comment, reviewerName: '王主管', at }
}

/** Check-ins of every kind, by name: only `returned` is returned and awaits a correction. */
async function seed() {
  const returned = await saveCheckIn(db, makeCheckIn({ venueName: '退回市场' }))
  const reviewed = await saveCheckIn(db, makeCheckIn({ venueName: '审核市场' }))
  const reviewedAgain = await saveCheckIn(db, makeCheckIn({ venueName: '复审市场' }))
  const corrected = await saveCheckIn(db, makeCheckIn({ venueName: '已更正市场' }))
  await saveCheckIn(db, makeCheckIn({ venueName: '更正记录', correctionOf: corrected.id }))
  const plain = await saveCheckIn(db, makeCheckIn({ venueName: '未审核市场' }))
  // Another inspector's check-in on this phone (pulled for a campaign report, say): not "my" record.
  const others = await saveCheckIn(db, makeCheckIn({ venueName: '别人的市场', authorId: OTHER }))
  await db.reviews.bulkPut([
    review(returned.id, 'reviewed', '2026-11-21T01:00:00.000Z'),
    review(returned.id, 'returned', '2026-11-21T02:00:00.000Z', HOSTILE_COMMENT),
    review(reviewed.id, 'reviewed', '2026-11-21T01:00:00.000Z'),
    review(reviewedAgain.id, 'returned', '2026-11-21T01:00:00.000Z', '请补照片'),
    review(reviewedAgain.id, 'reviewed', '2026-11-21T03:00:00.000Z'),
    review(corrected.id, 'returned', '2026-11-21T01:00:00.000Z', '地址写错了'),
    review(others.id, 'returned', '2026-11-21T01:00:00.000Z', '别人的意见'),
  ])
  return { returned, plain }
}

const LATER = { timeout: 5000, interval: 50 }

const rows = (w: Awaited<ReturnType<typeof mountAt>>['wrapper']) =>
  w.findAll('[data-testid="checkin-list"] li').map((li) => ({
    venue: li.get('.venue').text(),
    mark: li.find('[data-testid="returned-mark"]'),
    comment: li.find('[data-testid="returned-comment"]'),
  }))

beforeEach(async () => {
  await Promise.all([db.checkins.clear(), db.outbox.clear(), db.reviews.clear(), db.session.clear()])
  await db.session.put({
    key: 'me',
    user: { id: NO_AUTHOR, username: 'wang', displayName: '王', department: '省知识产权局', role: 'inspector' },
    expiresAt: '2099-01-01T00:00:00Z',
    expired: true,
  })
})
afterEach(async () => {
  document.body.innerHTML = ''
  await setLocale('zh-CN')
})

describe('a returned check-in in my records', () => {
  it('is marked with the start of the comment as text, counted in the header and listed alone (zh-CN)', async () => {
    const { returned } = await seed()
    const { wrapper, router } = await mountAt('/records')

    const list = rows(wrapper)
    expect(list.map((r) => r.venue)).toEqual([
      '未审核市场',
      '更正记录',
      '已更正市场',
      '复审市场',
      '审核市场',
      '退回市场',
    ])
    const marked = list.filter((r) => r.mark.exists())
    expect(marked.map((r) => r.venue)).toEqual(['退回市场'])
    expect(list.filter((r) => r.comment.exists())).toHaveLength(1)
    expect(marked[0]!.mark.text()).toContain('已退回')
    const comment = marked[0]!.comment.text()
    // The comment's start, on one line, as text: the markup reads as typed, and nothing of it is an element.
    expect(comment.startsWith('退回意见：<img src=x onerror=alert(1)> \u202e第二行 长')).toBe(true)
    expect(comment.endsWith('…')).toBe(true)
    expect(Array.from(comment.replace('退回意见：', '')).length).toBe(61)
    expect(wrapper.find('[data-testid="checkin-list"] img').exists()).toBe(false)
    expect(wrapper.get(`[data-checkin="${returned.id}"]`).attributes('data-returned')).toBe('true')

    const count = wrapper.get('[data-testid="returned-count"]')
    expect(count.text()).toContain('1 条巡查登记被退回，等待更正')
    await router.push(count.attributes('href')!)
    await settle()
    expect(router.currentRoute.value.query.returned).toBe('1')
    expect(wrapper.get('[data-testid="checkin-total"]').text()).toBe('被退回、待更正的巡查登记（1）')
    expect(rows(wrapper).map((r) => r.venue)).toEqual(['退回市场'])
    expect(wrapper.find('[data-testid="returned-count"]').exists()).toBe(false)

    // A correction saved on the phone answers the return: the mark and the count go, the filter says so.
    await saveCheckIn(db, makeCheckIn({ venueName: '退回市场（更正）', correctionOf: returned.id }))
    // The lists catch up with a save at most a second later (useSettledQuery).
    await vi.waitFor(() => expect(wrapper.find('[data-testid="checkin-list"]').exists()).toBe(false), LATER)
    expect(wrapper.text()).toContain('没有被退回、待更正的巡查登记。')
    await router.push(wrapper.get('[data-testid="returned-all"]').attributes('href')!)
    await settle()
    expect(wrapper.find('[data-testid="returned-mark"]').exists()).toBe(false)
    expect(wrapper.find('[data-testid="returned-count"]').exists()).toBe(false)
    expect(rows(wrapper)).toHaveLength(7)
  })

  it('says the same in English, and a later return marks a check-in while the page is open', async () => {
    const { plain } = await seed()
    await setLocale('en')
    const { wrapper } = await mountAt('/records')
    const marked = rows(wrapper).filter((r) => r.mark.exists())
    expect(marked.map((r) => r.venue)).toEqual(['退回市场'])
    expect(marked[0]!.mark.text()).toContain('Returned')
    expect(marked[0]!.comment.text().startsWith('Comment: <img src=x onerror=alert(1)>')).toBe(true)
    expect(wrapper.find('[data-testid="checkin-list"] img').exists()).toBe(false)
    expect(wrapper.get('[data-testid="returned-count"]').text()).toContain('Returned, waiting for a correction: 1')

    await db.reviews.put(review(plain.id, 'returned', '2026-11-22T01:00:00.000Z', 'Photo\tmissing\r\nplease'))
    await vi.waitFor(() => expect(wrapper.findAll('[data-testid="returned-mark"]')).toHaveLength(2), LATER)
    await vi.waitFor(
      () => expect(wrapper.get('[data-testid="returned-count"]').text()).toContain('correction: 2'),
      LATER,
    )
    const now = rows(wrapper).filter((r) => r.mark.exists())
    expect(now.map((r) => r.venue)).toEqual(['未审核市场', '退回市场'])
    expect(now[0]!.comment.text()).toBe('Comment: Photo missing please')
    expect(wrapper.get('[data-testid="returned-count"]').text()).toContain('Returned, waiting for a correction: 2')
  })
})
