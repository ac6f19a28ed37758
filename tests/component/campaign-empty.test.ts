// @vitest-environment happy-dom
/**
 * A campaign's progress before anything is in it, or when the filter matches nothing: every part (the four
 * breakdowns, the check-ins, the places; the printable report's too) says so once, in the reader's language,
 * and no bar is drawn for a count of 0. Also the printable report's photo label, and the legend's word on
 * checking an evidence package, written for a supervisor. Against the real server.
 */
import 'fake-indexeddb/auto'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { mount, type VueWrapper } from '@vue/test-utils'
import { createPinia } from 'pinia'
import { createMemoryHistory, RouterView } from 'vue-router'
import ReportFlagsLegend from '../../src/components/campaign/ReportFlagsLegend.vue'
import { db } from '../../src/db/db'
import { replaceDataset } from '../../src/db/dataset'
import { startSession } from '../../src/db/session'
import type { Campaign } from '../../src/kernel/campaign-schema'
import type { SessionUser } from '../../src/kernel/users'
import { i18n, setLocale, type Locale } from '../../src/modules/i18n'
import { createAppRouter } from '../../src/router'
import { makeCampaign, pusher, upload, type Who } from '../helpers/integrity'
import { settle } from '../helpers/mount'
import { makeCheckIn, photoBytes, sha256 } from '../helpers/records'
import { realDataset } from '../helpers/seed'
import { makeServer, signedIn, type TestServer } from '../helpers/server'
import { injectFetch } from '../helpers/sync'

let s: TestServer
let supervisor: Who & { user: SessionUser }
let inspector: Who
let empty: Campaign
let busy: Campaign

beforeAll(async () => {
  s = await makeServer('sqlite')
  supervisor = (await signedIn(s, 'supervisor')) as Who & { user: SessionUser }
  inspector = await signedIn(s)
  empty = await makeCampaign(s, supervisor, [inspector])
  busy = await makeCampaign(s, supervisor, [inspector])
  const photo = photoBytes(7)
  await upload(s, inspector, photo, 'image/jpeg')
  const phone = pusher(
    () => s,
    () => inspector,
  )
  const pushed = await phone.push([
    {
      name: 'checkin.create',
      args: makeCheckIn({
        authorId: inspector.user.id,
        campaignId: busy.id,
        taskNumbers: [37],
        venueType: 'market',
        outcome: 'suspected',
        photos: [{ sha256: sha256(photo), size: photo.length, type: 'image/jpeg' }],
      }),
    },
  ])
  expect(pushed.body.results.map((r) => r.status)).toEqual(['applied'])
}, 60_000)
afterAll(() => s.close())
afterEach(async () => {
  vi.unstubAllGlobals()
  document.body.innerHTML = ''
  await setLocale('zh-CN')
  await Promise.all(db.tables.map((t) => t.clear()))
})

async function open(path: string, locale: Locale = 'zh-CN') {
  vi.stubGlobal('fetch', injectFetch(s.app, supervisor.cookie))
  await setLocale(locale)
  await startSession(db, supervisor.user, '2099-01-01T00:00:00Z')
  await replaceDataset(db, realDataset)
  const router = createAppRouter(createMemoryHistory())
  await router.push(path)
  await router.isReady()
  const wrapper = mount(RouterView, { global: { plugins: [createPinia(), router, i18n] }, attachTo: document.body })
  await settle()
  return wrapper
}

const BREAKDOWNS = ['by-day', 'by-venue-type', 'by-outcome', 'by-inspector']

/** Each breakdown shows its caption and `message`, no table and no bar. */
function expectEmptyBreakdowns(wrapper: VueWrapper, message: string) {
  for (const testid of BREAKDOWNS) {
    const part = wrapper.get(`[data-testid="${testid}"]`)
    expect(part.find('table').exists(), testid).toBe(false)
    expect(part.get('[data-testid="count-empty"]').text(), testid).toBe(message)
  }
  expect(wrapper.findAll('.bar')).toHaveLength(0)
}

describe('the progress of a campaign with no check-ins', () => {
  for (const [locale, message, noPlaces] of [
    ['zh-CN', '还没有巡查登记。', '这些登记都没有定位。'],
    ['en', 'No check-ins yet.', 'None of these check-ins has a location.'],
  ] as const) {
    it(`says "${message}" once in each part (${locale})`, async () => {
      const wrapper = await open(`/campaigns/${empty.id}`, locale)
      await vi.waitFor(() => expect(wrapper.find('[data-testid="report-summary"]').exists()).toBe(true))
      expectEmptyBreakdowns(wrapper, message)
      expect(wrapper.get('[data-testid="checkins-empty"]').text()).toBe(message)
      expect(wrapper.get('[data-testid="locations-empty"]').text()).toBe(message)
      // Not "these check-ins have no location": there are none.
      expect(wrapper.text()).not.toContain(noPlaces)
      expect(wrapper.text()).not.toContain(locale === 'en' ? 'open it in' : '点地点')
      wrapper.unmount()
    })
  }

  it('in the printable report too', async () => {
    const wrapper = await open(`/campaigns/${empty.id}/report`)
    await vi.waitFor(() => expect(wrapper.find('[data-testid="report-detail-empty"]').exists()).toBe(true))
    expectEmptyBreakdowns(wrapper, '还没有巡查登记。')
    expect(wrapper.get('[data-testid="report-detail-empty"]').text()).toBe('还没有巡查登记。')
    expect(wrapper.find('table').exists()).toBe(false)
    wrapper.unmount()
  })
})

describe('the progress of a campaign filtered to nothing', () => {
  it('says no check-ins match, in each part', async () => {
    const wrapper = await open(`/campaigns/${busy.id}?outcome=referred`)
    await vi.waitFor(() => expect(wrapper.find('[data-testid="report-summary"]').exists()).toBe(true))
    expectEmptyBreakdowns(wrapper, '没有符合条件的巡查登记。')
    expect(wrapper.get('[data-testid="checkins-empty"]').text()).toBe('没有符合条件的巡查登记。')
    expect(wrapper.get('[data-testid="locations-empty"]').text()).toBe('没有符合条件的巡查登记。')
    wrapper.unmount()
  })
})

describe('the breakdowns of a campaign with check-ins', () => {
  it('draw a bar for each count above 0 and none for a 0', async () => {
    const wrapper = await open(`/campaigns/${busy.id}`)
    await vi.waitFor(() => expect(wrapper.find('table[data-testid="by-venue-type"]').exists()).toBe(true))
    const rows = wrapper.findAll('[data-testid="by-venue-type"] tbody tr')
    expect(rows).toHaveLength(6)
    for (const row of rows) {
      const count = Number(row.get('td.num').text())
      expect(row.find('.bar').exists(), row.text()).toBe(count > 0)
    }
    expect(wrapper.findAll('[data-testid="by-outcome"] .bar')).toHaveLength(1)
    expect(wrapper.find('[data-testid="count-empty"]').exists()).toBe(false)
    wrapper.unmount()
  })
})

describe('the printable report’s photos', () => {
  for (const [locale, label] of [
    ['zh-CN', '照片：'],
    ['en', 'Photos:'],
  ] as const) {
    it(`are labelled "${label}", not a count (${locale})`, async () => {
      const wrapper = await open(`/campaigns/${busy.id}/report`, locale)
      await vi.waitFor(() => expect(wrapper.find('[data-testid="report-photos"]').exists()).toBe(true))
      expect(wrapper.get('[data-testid="report-photos-label"]').text()).toBe(label)
      wrapper.unmount()
    })
  }
})

describe('the legend on checking an evidence package', () => {
  for (const [locale, words] of [
    ['zh-CN', '系统管理员用本系统附带的核验工具'],
    ['en', 'ask the system administrator to verify it with the verification tool'],
  ] as const) {
    it(`sends a supervisor to the administrator, not to a developer's command (${locale})`, async () => {
      await setLocale(locale)
      const wrapper = mount(ReportFlagsLegend, { global: { plugins: [i18n] } })
      const text = wrapper.text()
      expect(text).toContain(words)
      expect(text).not.toMatch(/npm|verify-package/)
      wrapper.unmount()
    })
  }
})
