// @vitest-environment happy-dom
/**
 * The campaign setting "requires two certified inspectors" (issue 11): set and cleared in the campaign form
 * against the real server, shown on the campaign page and the printable report with how many check-ins miss it.
 */
import 'fake-indexeddb/auto'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { mount } from '@vue/test-utils'
import { createPinia } from 'pinia'
import { createMemoryHistory, RouterView } from 'vue-router'
import { db } from '../../src/db/db'
import { replaceDataset } from '../../src/db/dataset'
import { startSession } from '../../src/db/session'
import type { Campaign, CampaignReport, ReportCheckIn, ReportFlags } from '../../src/kernel/campaign-schema'
import type { SessionUser } from '../../src/kernel/users'
import { i18n, setLocale, type Locale } from '../../src/modules/i18n'
import { createAppRouter } from '../../src/router'
import { settle } from '../helpers/mount'
import { makeCheckIn } from '../helpers/records'
import { realDataset } from '../helpers/seed'
import { makeServer, signedIn, type TestServer } from '../helpers/server'
import { injectFetch } from '../helpers/sync'

let s: TestServer
let supervisor: Awaited<ReturnType<typeof signedIn>>

beforeAll(async () => {
  s = await makeServer('sqlite')
  supervisor = await signedIn(s, 'supervisor')
})
afterAll(() => s.close())
afterEach(async () => {
  vi.unstubAllGlobals()
  document.body.innerHTML = ''
  await setLocale('zh-CN')
  await Promise.all(db.tables.map((t) => t.clear()))
})

async function open(who: SessionUser, path: string, locale: Locale = 'zh-CN') {
  await setLocale(locale)
  await startSession(db, who, '2099-01-01T00:00:00Z')
  await replaceDataset(db, realDataset)
  const router = createAppRouter(createMemoryHistory())
  await router.push(path)
  await router.isReady()
  const wrapper = mount(RouterView, { global: { plugins: [createPinia(), router, i18n] }, attachTo: document.body })
  await settle()
  return { wrapper, router }
}

const campaignsOnServer = async () =>
  (await s.app.inject({ url: '/api/campaigns', headers: { cookie: supervisor.cookie } })).json().campaigns as Campaign[]

describe('the campaign setting: two certified inspectors', () => {
  it('is ticked in a new campaign, saved, shown ticked when edited, and cleared again', async () => {
    vi.stubGlobal('fetch', injectFetch(s.app, supervisor.cookie))
    const { wrapper, router } = await open(supervisor.user, '/campaigns/new')
    await vi.waitFor(() => expect(wrapper.find('[data-testid="campaign-form"]').exists()).toBe(true))
    const box = wrapper.find<HTMLInputElement>('[data-testid="c-two-certified"]')
    expect(box.element.checked).toBe(false)
    expect(wrapper.find('label[for="c-two-certified"]').text()).toBe('须两名持证执法人员')
    expect(document.getElementById(box.attributes('aria-describedby')!)?.textContent).toContain('服务器仍会保存')
    await wrapper.find('[data-testid="c-name"]').setValue('双人持证专项')
    await wrapper.find('[data-testid="c-tasks"]').setValue('28')
    await box.setValue(true)
    await wrapper.find('[data-testid="campaign-form"]').trigger('submit')
    await vi.waitFor(() => expect(router.currentRoute.value.name).toBe('campaign'), { timeout: 10_000 })
    const saved = (await campaignsOnServer()).find((c) => c.name === '双人持证专项')!
    expect(saved.requireTwoCertified).toBe(true)
    await settle()
    await vi.waitFor(() =>
      expect(wrapper.find('[data-testid="campaign-two-certified"]').text()).toBe('每次检查须两名持有效执法证的人员'),
    )
    wrapper.unmount()

    const edit = await open(supervisor.user, `/campaigns/${saved.id}/edit`, 'en')
    await vi.waitFor(() => expect(edit.wrapper.find('[data-testid="campaign-form"]').exists()).toBe(true))
    const again = edit.wrapper.find<HTMLInputElement>('[data-testid="c-two-certified"]')
    expect(again.element.checked).toBe(true)
    expect(edit.wrapper.find('label[for="c-two-certified"]').text()).toBe('Requires two certified inspectors')
    await again.setValue(false)
    await edit.wrapper.find('[data-testid="campaign-form"]').trigger('submit')
    await vi.waitFor(() => expect(edit.router.currentRoute.value.name).toBe('campaign'), {
      timeout: 10_000,
    })
    expect((await campaignsOnServer()).find((c) => c.id === saved.id)!.requireTwoCertified).toBe(false)
    await settle()
    await vi.waitFor(() =>
      expect(edit.wrapper.find('[data-testid="campaign-two-certified"]').text()).toBe(
        'Two certified inspectors not required',
      ),
    )
    edit.wrapper.unmount()
  })
})

describe('how many check-ins miss two certified inspectors', () => {
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
    requireTwoCertified: true,
    createdBy: '01900000-0000-7000-8000-0000000000aa',
    version: 1,
    createdAt: '2026-09-01T00:00:00.000Z',
    updatedAt: '2026-09-01T00:00:00.000Z',
  }
  const flags = (twoCertified: ReportFlags['twoCertified'], certifiedCount: number): ReportFlags => ({
    signature: 'valid',
    chain: 'linked',
    clockSkewMs: 0,
    certifiedCount,
    twoCertified,
  })
  /** 130 check-ins, every fifth lacking two certified inspectors (26): more than the page's first fetch of 100. */
  const all: ReportCheckIn[] = Array.from({ length: 130 }, (_, i) => ({
    ...makeCheckIn({ campaignId: campaign.id, venueName: `展位 ${i + 1}` }),
    authorName: '李巡查',
    department: '省知识产权局',
    flags: i % 5 === 0 ? flags('missing', 1) : flags('ok', 2),
    inspection: null,
    review: null,
  }))
  function serveReport() {
    vi.stubGlobal('fetch', async (input: string) => {
      const url = new URL(input, 'http://phone.test')
      if (!url.pathname.endsWith('/report')) return new Response('{}', { status: 404 })
      const limit = Number(url.searchParams.get('limit'))
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
  }

  it('on the campaign page: among those loaded so far, then all of them', async () => {
    serveReport()
    const { wrapper } = await open(supervisor.user, `/campaigns/${campaign.id}`)
    await vi.waitFor(() => expect(wrapper.find('[data-testid="campaign-two-certified-missing"]').exists()).toBe(true))
    // 100 loaded, 20 of them missing.
    expect(wrapper.find('[data-testid="campaign-two-certified-missing"]').text()).toBe(
      '已加载的 100 条中有 20 条不足两名持证执法人员',
    )
    for (let i = 0; i < 6; i++) {
      const more = wrapper.find('[data-testid="more-checkins"]')
      if (!more.exists()) break
      await more.trigger('click')
      await settle()
    }
    await vi.waitFor(() =>
      expect(wrapper.find('[data-testid="campaign-two-certified-missing"]').text()).toBe(
        '26 条巡查登记不足两名持证执法人员',
      ),
    )
    wrapper.unmount()
  })

  it('in the printable report’s header, in English', async () => {
    serveReport()
    const { wrapper } = await open(supervisor.user, `/campaigns/${campaign.id}/report`, 'en')
    await vi.waitFor(() => expect(wrapper.find('[data-testid="report-two-certified"]').exists()).toBe(true))
    expect(wrapper.find('[data-testid="report-two-certified"]').text().replace(/\s+/g, ' ')).toBe(
      'Certified inspectors: Two inspectors with valid certificates required at every inspection · 26 check-ins lack two certified inspectors',
    )
    wrapper.unmount()
  })

  it('says nothing missing for a campaign stored before the setting', async () => {
    const old = { ...campaign } as Partial<Campaign>
    delete old.requireTwoCertified
    vi.stubGlobal('fetch', async () => {
      const report: CampaignReport = {
        campaign: old as Campaign,
        people: [],
        filter: {},
        total: 1,
        matched: 1,
        byDay: [],
        byVenueType: [],
        byOutcome: [],
        byInspector: [],
        checkIns: [{ ...all[1]!, flags: undefined }],
      }
      return new Response(JSON.stringify(report), { headers: { 'content-type': 'application/json' } })
    })
    const { wrapper } = await open(supervisor.user, `/campaigns/${campaign.id}`)
    await vi.waitFor(() => expect(wrapper.findAll('[data-testid="report-checkin"]')).toHaveLength(1))
    expect(wrapper.find('[data-testid="campaign-two-certified"]').text()).toBe('不要求两名持证执法人员')
    expect(wrapper.find('[data-testid="campaign-two-certified-missing"]').exists()).toBe(false)
    wrapper.unmount()
  })
})
