// @vitest-environment happy-dom
/**
 * A supervisor reviews a check-in from the report list: "reviewed", or "return with comment". The buttons call
 * the review API; a refusal is said in the supervisor's language, beside the comment when the comment is what
 * is missing. The server is a stand-in answering as the contract says (tests/server/review.test.ts tests the
 * real one).
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createMemoryHistory } from 'vue-router'
import ReportCheckInItem from '../../src/components/campaign/ReportCheckInItem.vue'
import type { ReportCheckIn } from '../../src/kernel/campaign-schema'
import type { Review } from '../../src/kernel/sync-schema'
import { i18n, setLocale, type Locale } from '../../src/modules/i18n'
import { createAppRouter } from '../../src/router'
import { HOSTILE, makeCheckIn } from '../helpers/records'

const REVIEWER = '01900000-0000-7000-8000-0000000000bb'
const checkIn: ReportCheckIn = { ...makeCheckIn(), authorName: '李巡查', department: '省知识产权局', review: null }

interface Call {
  url: string
  method: string
  body: unknown
}
/** A stand-in server: records each call and answers with `answer(body)`. */
function serve(answer: (body: { action: string; comment: string }) => Response | Promise<Response>) {
  const calls: Call[] = []
  vi.stubGlobal('fetch', async (input: string, init: RequestInit = {}) => {
    const body = init.body ? (JSON.parse(String(init.body)) as { action: string; comment: string }) : undefined
    calls.push({ url: input, method: init.method ?? 'GET', body })
    return answer(body!)
  })
  return calls
}
const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } })
const made = (b: { action: string; comment: string }): Review => ({
  id: '01900000-0000-7000-8000-0000000000ee',
  checkInId: checkIn.id,
  action: b.action as Review['action'],
  comment: b.comment,
  reviewerId: REVIEWER,
  reviewerName: '王主管',
  at: '2026-11-21T01:00:00.000Z',
})

async function mountItem(locale: Locale = 'zh-CN', canReview = true, c: ReportCheckIn = checkIn) {
  await setLocale(locale)
  const router = createAppRouter(createMemoryHistory())
  return mount(ReportCheckInItem, {
    props: { checkIn: c, canReview },
    global: { plugins: [i18n, router] },
    attachTo: document.body,
  })
}
type Item = Awaited<ReturnType<typeof mountItem>>
/** The review state as it reads, without its mark (a symbol for the eye). */
const stateOf = (w: Item) => w.find('[data-testid="review-state"] > span:last-child').text().replace(/\s+/g, ' ')

async function typeComment(w: Item, text: string) {
  const box = w.find<HTMLTextAreaElement>('[data-testid="review-comment-input"]')
  await box.setValue(text)
}
const settle = async () => {
  await flushPromises()
  await flushPromises()
}

afterEach(async () => {
  vi.unstubAllGlobals()
  document.body.innerHTML = ''
  await setLocale('zh-CN')
})

describe('reviewing a check-in from the report', () => {
  it('offers no review buttons to someone who may not review', async () => {
    const calls = serve(() => json(500, {}))
    const w = await mountItem('zh-CN', false)
    expect(w.find('[data-testid="review-reviewed"]').exists()).toBe(false)
    expect(w.find('[data-testid="review-return"]').exists()).toBe(false)
    expect(calls).toHaveLength(0)
    w.unmount()
  })

  it('marks it reviewed through the API and shows who reviewed it', async () => {
    const calls = serve((b) => json(200, { review: made(b) }))
    const w = await mountItem()
    // Awaiting review: the buttons say so; the state appears once there is one.
    expect(w.find('[data-testid="review-state"]').exists()).toBe(false)
    await w.find('[data-testid="review-reviewed"]').trigger('click')
    await settle()
    expect(calls).toEqual([
      { url: `/api/checkins/${checkIn.id}/review`, method: 'POST', body: { action: 'reviewed', comment: '' } },
    ])
    const state = w.find('[data-testid="review-state"]')
    expect(state.attributes('data-state')).toBe('reviewed')
    expect(stateOf(w)).toMatch(/^已审核 · 王主管，/)
    expect(w.find('[data-testid="review-problem"]').exists()).toBe(false)
    w.unmount()
  })

  it('returns it with a comment, asking for the comment first without calling the API', async () => {
    const calls = serve((b) => json(200, { review: made(b) }))
    const w = await mountItem('en')
    await w.find('[data-testid="review-return"]').trigger('click')
    await settle()
    const box = w.find('[data-testid="review-comment-input"]')
    expect(document.activeElement).toBe(box.element)
    const label = w.find(`label[for="${box.attributes('id')}"]`)
    expect(label.text()).toBe('Comment for the inspector')

    await typeComment(w, '   ')
    await w.find('[data-testid="review-return-form"]').trigger('submit')
    await settle()
    expect(calls).toHaveLength(0)
    expect(w.find('[data-testid="review-comment-error"]').text()).toBe(
      'Write a comment when returning a check-in, so the inspector knows what to correct.',
    )
    expect(box.attributes('aria-invalid')).toBe('true')
    expect(document.activeElement).toBe(box.element)

    await typeComment(w, '  Photos of booth 3.2C are missing.  ')
    await w.find('[data-testid="review-return-form"]').trigger('submit')
    await settle()
    expect(calls).toEqual([
      {
        url: `/api/checkins/${checkIn.id}/review`,
        method: 'POST',
        body: { action: 'returned', comment: 'Photos of booth 3.2C are missing.' },
      },
    ])
    expect(stateOf(w)).toMatch(/^Returned · by 王主管, /)
    expect(w.find('[data-testid="review-comment"]').text()).toBe('Photos of booth 3.2C are missing.')
    expect(w.find('[data-testid="review-return-form"]').exists()).toBe(false)
    w.unmount()
  })

  it('shows the server’s 400 comment_required beside the comment, in both languages', async () => {
    for (const [locale, message] of [
      ['zh-CN', '退回时请写明意见，让巡查员知道要改什么。'],
      ['en', 'Write a comment when returning a check-in, so the inspector knows what to correct.'],
    ] as const) {
      const calls = serve(() => json(400, { error: 'comment_required', message: 'a comment is required to return' }))
      const w = await mountItem(locale)
      await w.find('[data-testid="review-return"]').trigger('click')
      await typeComment(w, '\u200b')
      await w.find('[data-testid="review-return-form"]').trigger('submit')
      await settle()
      expect(calls).toHaveLength(1)
      expect(w.find('[data-testid="review-comment-error"]').text()).toBe(message)
      expect(w.find('[data-testid="review-comment-input"]').attributes('aria-invalid')).toBe('true')
      expect(w.find('[data-testid="review-state"]').exists()).toBe(false)
      w.unmount()
      vi.unstubAllGlobals()
    }
  })

  const refusals: [string, () => Response | never, string, string][] = [
    [
      '403',
      () => json(403, { error: 'forbidden' }),
      '只有这条登记所属部门或其专项行动牵头部门的主管，以及管理员，可以审核。',
      'Only supervisors of the check-in’s department or of the department running its campaign, and admins, may review it.',
    ],
    [
      '404',
      () => json(404, { error: 'not_found' }),
      '找不到这条巡查登记，或你无权查看。',
      'This check-in was not found, or you may not read it.',
    ],
    [
      'signed out (401)',
      () => json(401, { error: 'unauthenticated' }),
      '登录已过期，请重新登录。',
      'Your session has expired; please sign in again.',
    ],
    [
      'offline',
      () => {
        throw new TypeError('Failed to fetch')
      },
      '连不上服务器。这一页需要联网，请联网后再试。',
      'Cannot reach the server. This page needs the network; try again when online.',
    ],
  ]
  it.each(refusals)('says a %s refusal in the reviewer’s language and keeps the state', async (_, answer, zh, en) => {
    for (const [locale, message] of [
      ['zh-CN', zh],
      ['en', en],
    ] as const) {
      const calls = serve(answer)
      const w = await mountItem(locale)
      await w.find('[data-testid="review-reviewed"]').trigger('click')
      await settle()
      expect(calls).toHaveLength(1)
      const problem = w.find('[data-testid="review-problem"]')
      expect(problem.text()).toBe(message)
      expect(problem.attributes('role')).toBe('alert')
      expect(w.find('[data-testid="review-state"]').exists()).toBe(false)
      expect(w.find<HTMLButtonElement>('[data-testid="review-reviewed"]').element.disabled).toBe(false)
      w.unmount()
      vi.unstubAllGlobals()
    }
  })

  it('sends a hostile comment as typed and shows it back as text', async () => {
    for (const hostile of HOSTILE) {
      const calls = serve((b) => json(200, { review: made(b) }))
      const w = await mountItem()
      await w.find('[data-testid="review-return"]').trigger('click')
      await typeComment(w, hostile)
      await w.find('[data-testid="review-return-form"]').trigger('submit')
      await settle()
      expect((calls[0]!.body as { comment: string }).comment).toBe(hostile.trim())
      expect(w.find('[data-testid="review-comment"]').element.textContent).toBe(hostile.trim())
      expect(w.element.querySelectorAll('script, img, [onerror]')).toHaveLength(0)
      w.unmount()
      vi.unstubAllGlobals()
    }
  })
})
