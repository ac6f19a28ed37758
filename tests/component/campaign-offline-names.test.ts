// @vitest-environment happy-dom
/**
 * The campaign page names its inspectors offline: the report that names them comes from the server, but the
 * phone keeps the colleagues it lists to pick co-inspectors offline (the inspectors of the user's campaigns
 * among them), and the signed-in user. An inspector it cannot name is said to be so in the user's language.
 */
import 'fake-indexeddb/auto'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { mount } from '@vue/test-utils'
import { createPinia } from 'pinia'
import { createMemoryHistory, RouterView } from 'vue-router'
import { replaceCampaigns } from '../../src/db/campaigns'
import { replaceColleagues } from '../../src/db/colleagues'
import { db } from '../../src/db/db'
import { replaceDataset } from '../../src/db/dataset'
import { startSession } from '../../src/db/session'
import type { Campaign, CampaignReport } from '../../src/kernel/campaign-schema'
import type { SessionUser } from '../../src/kernel/users'
import { i18n, setLocale, type Locale } from '../../src/modules/i18n'
import { createAppRouter } from '../../src/router'
import { settle } from '../helpers/mount'
import { realDataset } from '../helpers/seed'

const me: SessionUser = {
  id: '01900000-0000-7000-8000-0000000000a1',
  username: 'chen',
  displayName: '陈巡查',
  department: '省知识产权局',
  role: 'inspector',
}
const li = '01900000-0000-7000-8000-0000000000a2'
const wang = '01900000-0000-7000-8000-0000000000a3'
/** On the campaign, but not among the colleagues the phone keeps (an account disabled since, say). */
const stranger = '01900000-0000-7000-8000-0000000000a4'

const campaign: Campaign = {
  id: '01900000-0000-7000-8000-0000000000c1',
  name: '冬季市场专项',
  description: '',
  taskNumbers: [28],
  departments: ['省知识产权局', '省市场监管局'],
  inspectorIds: [me.id, li, stranger, wang],
  startDate: '2026-11-01',
  endDate: '2026-12-31',
  venues: [],
  ownerDepartment: '省知识产权局',
  requireTwoCertified: false,
  createdBy: '01900000-0000-7000-8000-0000000000b1',
  version: 1,
  createdAt: '2026-10-01T00:00:00.000Z',
  updatedAt: '2026-10-01T00:00:00.000Z',
}

afterEach(async () => {
  vi.unstubAllGlobals()
  document.body.innerHTML = ''
  await setLocale('zh-CN')
  await Promise.all(db.tables.map((t) => t.clear()))
})

/** The phone as the last sync left it: the session, the campaign and the colleagues; then the campaign page. */
async function open(locale: Locale) {
  await setLocale(locale)
  await startSession(db, me, '2099-01-01T00:00:00Z')
  await replaceDataset(db, realDataset)
  await replaceCampaigns(db, [campaign])
  // The user is named by their session: the colleagues listed for picking co-inspectors need not hold them.
  await replaceColleagues(db, [
    { id: li, displayName: '李同事', department: '省知识产权局', certificateNumber: null, certificateExpiry: null },
    { id: wang, displayName: '王同事', department: '省市场监管局', certificateNumber: null, certificateExpiry: null },
  ])
  const router = createAppRouter(createMemoryHistory())
  await router.push(`/campaigns/${campaign.id}`)
  await router.isReady()
  const wrapper = mount(RouterView, { global: { plugins: [createPinia(), router, i18n] }, attachTo: document.body })
  await settle()
  return wrapper
}

describe('the campaign page names its inspectors', () => {
  it.each([
    ['zh-CN', '陈巡查、李同事、（本机没有此人姓名）、王同事'],
    ['en', '陈巡查、李同事、(name not on this phone)、王同事'],
  ] as const)('offline (%s), from the colleagues and the user the phone keeps', async (locale, names) => {
    vi.stubGlobal('fetch', () => Promise.reject(new TypeError('Failed to fetch')))
    const wrapper = await open(locale)
    await vi.waitFor(() => expect(wrapper.find('[data-testid="report-problem"]').exists()).toBe(true))
    expect(wrapper.find('h1').text()).toBe(campaign.name)
    expect(wrapper.find('[data-testid="campaign-inspectors"]').text()).toBe(names)
    wrapper.unmount()
  })

  it.each([
    ['zh-CN', '陈巡查、李建国、（未知人员）、王同事'],
    ['en', '陈巡查、李建国、(unknown person)、王同事'],
  ] as const)('online (%s), by the report first, then the phone', async (locale, names) => {
    // The report names the colleague as the server has them now; one it does not name is unknown to it too.
    vi.stubGlobal('fetch', async (input: string) => {
      if (!new URL(input, 'http://phone.test').pathname.endsWith('/report')) return new Response('{}', { status: 404 })
      const report: CampaignReport = {
        campaign,
        people: [{ id: li, displayName: '李建国', department: '省知识产权局', role: 'inspector' }],
        filter: {},
        total: 0,
        matched: 0,
        byDay: [],
        byVenueType: [],
        byOutcome: [],
        byInspector: [],
        checkIns: [],
      }
      return new Response(JSON.stringify(report), { headers: { 'content-type': 'application/json' } })
    })
    const wrapper = await open(locale)
    await vi.waitFor(() => expect(wrapper.find('[data-testid="report-summary"]').exists()).toBe(true))
    expect(wrapper.find('[data-testid="campaign-inspectors"]').text()).toBe(names)
    wrapper.unmount()
  })
})
