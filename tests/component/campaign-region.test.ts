// @vitest-environment happy-dom
/**
 * The campaign form's region (issue 13), against the real server: a city's supervisor's new campaign is of their
 * city, the only region offered them; a provincial supervisor chooses any city and the campaign is saved with it.
 */
import 'fake-indexeddb/auto'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { mount } from '@vue/test-utils'
import { createPinia } from 'pinia'
import { createMemoryHistory, RouterView } from 'vue-router'
import { createUser } from '../../server/auth/accounts'
import { db } from '../../src/db/db'
import { replaceDataset } from '../../src/db/dataset'
import { startSession } from '../../src/db/session'
import type { Campaign } from '../../src/kernel/campaign-schema'
import { REGION_IDS } from '../../src/kernel/regions'
import type { SessionUser } from '../../src/kernel/users'
import { i18n, setLocale } from '../../src/modules/i18n'
import { createAppRouter } from '../../src/router'
import { settle } from '../helpers/mount'
import { realDataset } from '../helpers/seed'
import { makeServer, signedIn, TEST_PASSWORD, type TestServer } from '../helpers/server'
import { injectFetch } from '../helpers/sync'

type Who = { user: SessionUser; cookie: string }
let s: TestServer
let province: Who
let gz: Who

beforeAll(async () => {
  s = await makeServer('sqlite')
  province = await signedIn(s, 'supervisor')
  await createUser(s.store.db, new Set(realDataset.departments.map((d) => d.name)), {
    username: 'gz.supervisor',
    displayName: '广州主管',
    department: '省知识产权局',
    role: 'supervisor',
    region: 'guangzhou',
    password: TEST_PASSWORD,
  })
  const res = await s.app.inject({
    method: 'POST',
    url: '/api/auth/login',
    payload: { username: 'gz.supervisor', password: TEST_PASSWORD },
  })
  gz = { user: res.json().user, cookie: String(res.headers['set-cookie']).split(';')[0]! }
})
afterAll(() => s.close())
afterEach(async () => {
  vi.unstubAllGlobals()
  document.body.innerHTML = ''
  await setLocale('zh-CN')
  await Promise.all(db.tables.map((t) => t.clear()))
})

async function openNew(who: Who) {
  vi.stubGlobal('fetch', injectFetch(s.app, who.cookie))
  await setLocale('zh-CN')
  await startSession(db, who.user, '2099-01-01T00:00:00Z')
  await replaceDataset(db, realDataset)
  const router = createAppRouter(createMemoryHistory())
  await router.push('/campaigns/new')
  await router.isReady()
  const wrapper = mount(RouterView, { global: { plugins: [createPinia(), router, i18n] }, attachTo: document.body })
  await settle()
  await vi.waitFor(() => expect(wrapper.find('[data-testid="campaign-form"]').exists()).toBe(true))
  return { wrapper, router }
}

const campaignsOf = async (who: Who) =>
  (await s.app.inject({ url: '/api/campaigns', headers: { cookie: who.cookie } })).json().campaigns as Campaign[]

describe('the campaign form: region', () => {
  it("offers a city's supervisor their own city only, and saves the campaign as that city's", async () => {
    const { wrapper, router } = await openNew(gz)
    const select = wrapper.find<HTMLSelectElement>('[data-testid="c-region"]')
    expect(wrapper.find('label[for="c-region"]').text()).toBe('专项行动所属地区')
    expect([...select.element.options].map((o) => o.textContent?.trim())).toEqual(['广州市'])
    expect(select.element.value).toBe('guangzhou')
    await wrapper.find('[data-testid="c-name"]').setValue('广州市展会专项')
    await wrapper.find('[data-testid="c-tasks"]').setValue('28')
    await wrapper.find('[data-testid="campaign-form"]').trigger('submit')
    await vi.waitFor(() => expect(router.currentRoute.value.name).toBe('campaign'), { timeout: 10_000 })
    expect((await campaignsOf(gz)).find((c) => c.name === '广州市展会专项')?.region).toBe('guangzhou')
    wrapper.unmount()
  })

  it('lets a provincial supervisor choose any city', async () => {
    const { wrapper, router } = await openNew(province)
    const select = wrapper.find<HTMLSelectElement>('[data-testid="c-region"]')
    expect([...select.element.options].map((o) => o.value)).toEqual(REGION_IDS)
    expect(select.element.value).toBe('province')
    await select.setValue('shenzhen')
    await wrapper.find('[data-testid="c-name"]').setValue('深圳市口岸专项')
    await wrapper.find('[data-testid="c-tasks"]').setValue('28')
    await wrapper.find('[data-testid="campaign-form"]').trigger('submit')
    await vi.waitFor(() => expect(router.currentRoute.value.name).toBe('campaign'), { timeout: 10_000 })
    expect((await campaignsOf(province)).find((c) => c.name === '深圳市口岸专项')?.region).toBe('shenzhen')
    // Not Guangzhou's supervisor's to read.
    expect((await campaignsOf(gz)).map((c) => c.name)).not.toContain('深圳市口岸专项')
    wrapper.unmount()
  })
})
