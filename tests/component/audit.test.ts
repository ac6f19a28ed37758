// @vitest-environment happy-dom
/**
 * The supervisor's review on the campaign page and the admin's audit trail, against the real server: every fetch
 * the pages make is answered by the server's own routes over an in-memory database.
 */
import 'fake-indexeddb/auto'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { mount, type VueWrapper } from '@vue/test-utils'
import { createPinia } from 'pinia'
import { createMemoryHistory, RouterView } from 'vue-router'
import { db } from '../../src/db/db'
import { replaceDataset } from '../../src/db/dataset'
import { startSession } from '../../src/db/session'
import type { Campaign } from '../../src/kernel/campaign-schema'
import type { SessionUser } from '../../src/kernel/users'
import { i18n, setLocale, type Locale } from '../../src/modules/i18n'
import { createAppRouter } from '../../src/router'
import { settle } from '../helpers/mount'
import { HOSTILE, makeCheckIn } from '../helpers/records'
import { realDataset } from '../helpers/seed'
import { makeServer, signedIn, type TestServer } from '../helpers/server'
import { injectFetch } from '../helpers/sync'

let s: TestServer
type Person = Awaited<ReturnType<typeof signedIn>>
let admin: Person
let supervisor: Person
let inspector: Person
let campaign: Campaign
const checkIn = makeCheckIn({ venueName: HOSTILE[0]!, note: HOSTILE[3]!, taskNumbers: [28] })
const COMMENT = `${HOSTILE[0]} 请补拍展位照片。`

beforeAll(async () => {
  s = await makeServer('sqlite')
  admin = await signedIn(s, 'admin')
  supervisor = await signedIn(s, 'supervisor')
  inspector = await signedIn(s)
  const made = await s.app.inject({
    method: 'POST',
    url: '/api/campaigns',
    headers: { cookie: supervisor.cookie },
    payload: {
      name: '秋季展会专项',
      description: '',
      taskNumbers: [28],
      departments: ['省知识产权局'],
      inspectorIds: [inspector.user.id],
      startDate: '2026-10-01',
      endDate: '2026-12-31',
      venues: [],
      requireTwoCertified: true,
    },
  })
  expect(made.statusCode).toBe(201)
  campaign = made.json().campaign as Campaign
  Object.assign(checkIn, { authorId: inspector.user.id, campaignId: campaign.id })
  const pushed = await s.app.inject({
    method: 'POST',
    url: '/api/sync/push',
    headers: { cookie: inspector.cookie },
    payload: { clientId: 'phone-audit-test', mutations: [{ seq: 1, name: 'checkin.create', args: checkIn }] },
  })
  expect(pushed.json().results[0].status).toBe('applied')
})
afterAll(() => s.close())
afterEach(async () => {
  vi.unstubAllGlobals()
  document.body.innerHTML = ''
  await setLocale('zh-CN')
  await Promise.all(db.tables.map((t) => t.clear()))
})

/** Opens `path` as `who` signed in on this phone, each fetch answered by the server with `cookie`'s session. */
async function openAs(who: SessionUser, cookie: string, path: string, locale: Locale = 'zh-CN') {
  const fetched: string[] = []
  const answer = injectFetch(s.app, cookie)
  vi.stubGlobal('fetch', (input: string, init?: RequestInit) => {
    fetched.push(String(input))
    return answer(input, init)
  })
  await setLocale(locale)
  await startSession(db, who, '2099-01-01T00:00:00Z')
  await replaceDataset(db, realDataset)
  const router = createAppRouter(createMemoryHistory())
  await router.push(path)
  await router.isReady()
  const wrapper = mount(RouterView, { global: { plugins: [createPinia(), router, i18n] }, attachTo: document.body })
  await settle()
  return { wrapper, router, fetched }
}

const inert = (w: VueWrapper) => expect(w.element.querySelectorAll('script, img[src="x"], [onerror]')).toHaveLength(0)

describe('review on the campaign page, and the audit trail', () => {
  it('a supervisor returns a check-in with a comment; an admin reads it in the record’s and the person’s trail', async () => {
    const { wrapper: page } = await openAs(supervisor.user, supervisor.cookie, `/campaigns/${campaign.id}`)
    await vi.waitFor(() => expect(page.findAll('[data-testid="report-checkin"]')).toHaveLength(1))
    expect(page.find('[data-testid="campaign-two-certified"]').text()).toContain('每次检查须两名持有效执法证的人员')
    const item = page.find('[data-testid="report-checkin"]')
    expect(item.find('[data-testid="audit-link"]').exists()).toBe(false)
    await item.find('[data-testid="review-return"]').trigger('click')
    await item.find('[data-testid="review-comment-input"]').setValue(COMMENT)
    await item.find('[data-testid="review-return-form"]').trigger('submit')
    await vi.waitFor(() => expect(page.find('[data-testid="review-state"]').attributes('data-state')).toBe('returned'))
    expect(page.find('[data-testid="review-comment"]').text()).toBe(COMMENT)
    inert(page)
    page.unmount()

    // The report, read again, has the review.
    const report = await s.app.inject({
      url: `/api/campaigns/${campaign.id}/report`,
      headers: { cookie: supervisor.cookie },
    })
    expect(report.json().checkIns[0].review).toMatchObject({ action: 'returned', comment: COMMENT })

    const { wrapper: audit, router } = await openAs(admin.user, admin.cookie, `/audit?recordId=${checkIn.id}`)
    await vi.waitFor(() => expect(audit.findAll('[data-testid="audit-entry"]').length).toBeGreaterThanOrEqual(2))
    const actions = audit.findAll('[data-testid="audit-entry"]').map((e) => e.attributes('data-action'))
    expect(actions).toEqual(expect.arrayContaining(['checkin.create', 'review.returned']))
    const returned = audit
      .findAll('[data-testid="audit-entry"]')
      .find((e) => e.attributes('data-action') === 'review.returned')!
    expect(returned.text()).toContain('退回')
    expect(returned.find('[data-testid="audit-actor"]').text()).toBe(supervisor.user.displayName)
    // The comment as typed, markup and all, as text; the review's id whole.
    const detail = returned.find('[data-testid="audit-detail"]')
    expect(detail.findAll('dd').map((dd) => dd.element.textContent)).toContain(COMMENT)
    expect(detail.find('.token').text()).toMatch(/^[0-9a-f-]{36}$/)
    expect(audit.find('[data-testid="audit-heading"]').text()).toBe(`记录 ${checkIn.id} 的审计日志`)
    inert(audit)

    // The reviewer's name opens their own trail.
    await returned.find('[data-testid="audit-actor"]').trigger('click')
    await vi.waitFor(() => expect(router.currentRoute.value.query.userId).toBe(supervisor.user.id))
    await settle()
    await vi.waitFor(() =>
      expect(audit.find('[data-testid="audit-heading"]').text()).toBe(`${supervisor.user.displayName} 的操作记录`),
    )
    await vi.waitFor(() => {
      const mine = audit.findAll('[data-testid="audit-entry"]').map((e) => e.attributes('data-action'))
      expect(mine).toEqual(expect.arrayContaining(['campaign.create', 'review.returned']))
      expect(mine).not.toContain('checkin.create')
    })
    audit.unmount()
  })

  it('finds a record’s trail by the id typed, asking for one when the field is empty, in English', async () => {
    const { wrapper, router } = await openAs(admin.user, admin.cookie, '/audit', 'en')
    expect(wrapper.find('[data-testid="audit-heading"]').exists()).toBe(false)
    const input = wrapper.find('#a-record')
    expect(wrapper.find('label[for="a-record"]').text()).toBe('Record id')
    await wrapper.find('[data-testid="audit-by-record"]').trigger('submit')
    await settle()
    expect(wrapper.find('#a-record-error').text()).toBe('Enter a record id.')
    expect(document.activeElement).toBe(input.element)
    await input.setValue(` ${checkIn.id} `)
    await wrapper.find('[data-testid="audit-by-record"]').trigger('submit')
    await vi.waitFor(() => expect(router.currentRoute.value.query.recordId).toBe(checkIn.id))
    await vi.waitFor(() => expect(wrapper.findAll('[data-testid="audit-entry"]').length).toBeGreaterThan(0))
    expect(wrapper.find('[data-testid="audit-entry"][data-action="checkin.create"]').text()).toContain(
      'Check-in recorded',
    )
    wrapper.unmount()
  })

  it('picks a person from the accounts, and says when there is nothing', async () => {
    const { wrapper, router } = await openAs(admin.user, admin.cookie, '/audit')
    await vi.waitFor(() => expect(wrapper.findAll('#a-person option').length).toBeGreaterThan(3))
    await wrapper.find('#a-person').setValue(admin.user.id)
    await wrapper.find('[data-testid="audit-by-person"]').trigger('submit')
    await vi.waitFor(() => expect(router.currentRoute.value.query.userId).toBe(admin.user.id))
    await vi.waitFor(() => expect(wrapper.find('[data-testid="audit-count"]').text()).toBe('共 0 条'))
    expect(wrapper.text()).toContain('没有审计记录。')
    expect(wrapper.find('[data-testid="audit-heading"]').text()).toBe(`${admin.user.displayName} 的操作记录`)
    wrapper.unmount()
  })

  it('tells anyone but an admin that the trail is for admins, and asks the server nothing', async () => {
    const { wrapper, fetched } = await openAs(supervisor.user, supervisor.cookie, `/audit?recordId=${checkIn.id}`)
    expect(wrapper.find('[data-testid="audit-forbidden"]').text()).toBe('只有管理员可以查看审计日志。')
    expect(wrapper.find('[data-testid="audit-entries"]').exists()).toBe(false)
    expect(fetched.filter((u) => u.startsWith('/api/audit'))).toEqual([])
    wrapper.unmount()
  })

  it('says the server’s refusal in the user’s language (an admin demoted since this phone signed in)', async () => {
    // The phone still holds an admin session; the server knows the cookie's owner as a supervisor.
    const { wrapper } = await openAs(admin.user, supervisor.cookie, `/audit?recordId=${checkIn.id}`, 'en')
    await vi.waitFor(() =>
      expect(wrapper.find('[data-testid="audit-problem"]').text()).toBe('Your account may not see or change this.'),
    )
    wrapper.unmount()
  })
})
