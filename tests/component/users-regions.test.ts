// @vitest-environment happy-dom
/**
 * The accounts page gives each account its region, the province or one of Guangdong's 21 cities (issue 13),
 * against the real server: every fetch the page makes is answered by the server's own routes over an in-memory
 * database.
 */
import 'fake-indexeddb/auto'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { mount, type VueWrapper } from '@vue/test-utils'
import { createPinia } from 'pinia'
import { createMemoryHistory, RouterView } from 'vue-router'
import { db } from '../../src/db/db'
import { replaceDataset } from '../../src/db/dataset'
import { startSession } from '../../src/db/session'
import { i18n, setLocale } from '../../src/modules/i18n'
import { REGIONS } from '../../src/kernel/regions'
import type { Account } from '../../src/kernel/users'
import { createAppRouter } from '../../src/router'
import { settle } from '../helpers/mount'
import { realDataset } from '../helpers/seed'
import { injectFetch } from '../helpers/sync'
import { makeServer, signedIn, type TestServer } from '../helpers/server'

let s: TestServer
let admin: Awaited<ReturnType<typeof signedIn>>

beforeAll(async () => {
  s = await makeServer('sqlite')
  admin = await signedIn(s, 'admin')
})
afterAll(() => s.close())

/** The page's fetches, answered by the server as the signed-in admin. */
function answerWithServer() {
  vi.stubGlobal('fetch', injectFetch(s.app, admin.cookie))
}

const accountsOnServer = async () =>
  (await s.app.inject({ url: '/api/users', headers: { cookie: admin.cookie } })).json().users as Account[]

async function openPage(locale: 'zh-CN' | 'en' = 'zh-CN') {
  await setLocale(locale)
  await startSession(db, admin.user, '2099-01-01T00:00:00Z')
  await replaceDataset(db, realDataset)
  const router = createAppRouter(createMemoryHistory())
  await router.push('/admin/users')
  await router.isReady()
  const wrapper = mount(RouterView, { global: { plugins: [createPinia(), router, i18n] }, attachTo: document.body })
  await settle()
  await vi.waitFor(() => expect(wrapper.findAll('[data-testid="user-list"] li').length).toBeGreaterThan(0))
  return wrapper
}

/** The field labelled `labelText` (within `within`), found as a person finds it: by its label. */
function fieldLabelled(wrapper: VueWrapper, labelText: string, within: Element = wrapper.element) {
  const label = [...within.querySelectorAll('label')].find((l) => l.textContent?.trim() === labelText)
  expect(label, `a field labelled ${labelText}`).toBeDefined()
  return within.querySelector<HTMLInputElement | HTMLSelectElement>(`#${CSS.escape(label!.htmlFor)}`)!
}

async function typeInto(wrapper: VueWrapper, labelText: string, value: string, within?: Element) {
  const input = fieldLabelled(wrapper, labelText, within)
  input.value = value
  input.dispatchEvent(new Event(input.tagName === 'SELECT' ? 'change' : 'input'))
  await settle()
}

const rowOf = (wrapper: VueWrapper, name: string) =>
  wrapper.findAll('[data-testid="user-list"] li').find((li) => li.find('.name').text() === name)!

describe('regions on the accounts page', () => {
  afterEach(async () => {
    vi.unstubAllGlobals()
    await setLocale('zh-CN')
    await Promise.all(db.tables.map((t) => t.clear()))
  })

  it('offers the province and its 21 cities in a labelled select, the province first and chosen', async () => {
    answerWithServer()
    const wrapper = await openPage()
    const select = fieldLabelled(wrapper, '地区') as HTMLSelectElement
    expect(select.tagName).toBe('SELECT')
    // The app's 44 px form control, and a hint it is described by.
    expect(select.classList.contains('input')).toBe(true)
    expect(document.getElementById(select.getAttribute('aria-describedby')!)?.textContent).toContain('地市主管')
    const options = [...select.options]
    expect(options).toHaveLength(22)
    expect(options.map((o) => o.value)).toEqual(REGIONS.map((r) => r.id))
    expect(options.slice(1).map((o) => o.textContent?.trim())).toEqual(REGIONS.slice(1).map((r) => r.name))
    expect(select.value).toBe('province')
    expect(options[0]!.textContent?.trim()).toBe('广东省（全省）')
    wrapper.unmount()
  })

  it('adds a city account, shows its city in the list, and moves it to the province', async () => {
    answerWithServer()
    const wrapper = await openPage()
    await typeInto(wrapper, '姓名', '广州主管')
    await typeInto(wrapper, '用户名', 'gz.zhuguan')
    await typeInto(wrapper, '部门', '省知识产权局')
    await typeInto(wrapper, '角色', 'supervisor')
    await typeInto(wrapper, '地区', 'guangzhou')
    await typeInto(wrapper, '初始密码', 'a-long-first-password')
    await wrapper.find('[data-testid="user-form"]').trigger('submit')
    await vi.waitFor(() => expect(wrapper.find('[data-testid="user-created"]').exists()).toBe(true))
    expect((await accountsOnServer()).find((a) => a.username === 'gz.zhuguan')).toMatchObject({
      role: 'supervisor',
      region: 'guangzhou',
    })
    // The form is blank again: the next account is provincial unless chosen otherwise.
    expect(fieldLabelled(wrapper, '地区').value).toBe('province')
    await vi.waitFor(() => expect(rowOf(wrapper, '广州主管').text()).toContain('广州市'))

    await rowOf(wrapper, '广州主管')
      .findAll('button')
      .find((b) => b.text() === '改角色 / 部门 / 地区')!
      .trigger('click')
    await settle()
    const form = rowOf(wrapper, '广州主管').find('form')
    expect((fieldLabelled(wrapper, '地区', form.element) as HTMLSelectElement).value).toBe('guangzhou')
    await typeInto(wrapper, '地区', 'province', form.element)
    await form.trigger('submit')
    await vi.waitFor(() => expect(wrapper.find('[data-testid="row-done"]').exists()).toBe(true))
    expect((await accountsOnServer()).find((a) => a.username === 'gz.zhuguan')?.region).toBe('province')
    await vi.waitFor(() => expect(rowOf(wrapper, '广州主管').text()).toContain('广东省（全省）'))
    wrapper.unmount()
  })

  it('names the cities in English too', async () => {
    answerWithServer()
    const wrapper = await openPage('en')
    const select = fieldLabelled(wrapper, 'Region') as HTMLSelectElement
    expect([...select.options].map((o) => o.textContent?.trim())).toContain('Shenzhen')
    wrapper.unmount()
  })
})
