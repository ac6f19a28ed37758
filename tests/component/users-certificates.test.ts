// @vitest-environment happy-dom
/**
 * The accounts page sets inspectors' enforcement certificates (issue 11), against the real server: every fetch
 * the page makes is answered by the server's own routes over an in-memory database.
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
import type { Account } from '../../src/kernel/users'
import { createAppRouter } from '../../src/router'
import { settle } from '../helpers/mount'
import { realDataset } from '../helpers/seed'
import { injectFetch } from '../helpers/sync'
import { makeServer, signedIn, type TestServer } from '../helpers/server'

/** How long a wait for the real server's answer may take on a loaded machine. */
const SERVER_ANSWER = { timeout: 10_000 }

let s: TestServer
let admin: Awaited<ReturnType<typeof signedIn>>
let inspector: Awaited<ReturnType<typeof signedIn>>

beforeAll(async () => {
  s = await makeServer('sqlite')
  admin = await signedIn(s, 'admin')
  inspector = await signedIn(s)
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
  // Attached to the document, so that where the page puts the cursor can be read.
  const wrapper = mount(RouterView, { global: { plugins: [createPinia(), router, i18n] }, attachTo: document.body })
  await settle()
  await vi.waitFor(
    () => expect(wrapper.findAll('[data-testid="user-list"] li').length).toBeGreaterThan(0),
    SERVER_ANSWER,
  )
  return wrapper
}

/** Types into a field by its label's text, as a person finds it. */
async function typeInto(wrapper: VueWrapper, labelText: string, value: string, within: Element = wrapper.element) {
  const label = [...within.querySelectorAll('label')].find((l) => l.textContent?.trim() === labelText)
  expect(label, `a field labelled ${labelText}`).toBeDefined()
  const input = within.querySelector<HTMLInputElement | HTMLSelectElement>(`#${CSS.escape(label!.htmlFor)}`)!
  input.value = value
  input.dispatchEvent(new Event(input.tagName === 'SELECT' ? 'change' : 'input'))
  await settle()
}

const rowOf = (wrapper: VueWrapper, name: string) =>
  wrapper.findAll('[data-testid="user-list"] li').find((li) => li.find('.name').text() === name)!

describe('enforcement certificates on the accounts page', () => {
  afterEach(async () => {
    vi.unstubAllGlobals()
    await setLocale('zh-CN')
    await Promise.all(db.tables.map((t) => t.clear()))
  })

  it('adds an account with a certificate, first saying beside the date field that its expiry is missing', async () => {
    answerWithServer()
    const wrapper = await openPage()
    await typeInto(wrapper, '姓名', '王执法')
    await typeInto(wrapper, '用户名', 'wang.zhifa')
    await typeInto(wrapper, '部门', '省知识产权局')
    await typeInto(wrapper, '初始密码', 'a-long-first-password')
    await typeInto(wrapper, '执法证号', '44010020001')
    await wrapper.find('[data-testid="user-form"]').trigger('submit')
    await settle()
    expect(wrapper.find('[data-testid="u-cert-expiry-error"]').text()).toBe('请填写执法证的有效期（到哪一天为止）。')
    expect(document.activeElement?.id).toBe('u-cert-expiry')
    expect(wrapper.find('#u-cert-expiry').attributes('aria-invalid')).toBe('true')
    expect((await accountsOnServer()).map((a) => a.username)).not.toContain('wang.zhifa')

    await typeInto(wrapper, '执法证有效期至', '2027-06-30')
    await wrapper.find('[data-testid="user-form"]').trigger('submit')
    // The server hashes the new account's password first: seconds on a busy machine, not vitest's default second.
    await vi.waitFor(() => expect(wrapper.find('[data-testid="user-created"]').exists()).toBe(true), SERVER_ANSWER)
    expect((await accountsOnServer()).find((a) => a.username === 'wang.zhifa')).toMatchObject({
      certificateNumber: '44010020001',
      certificateExpiry: '2027-06-30',
    })
    await vi.waitFor(() =>
      expect(rowOf(wrapper, '王执法').find('[data-testid="user-certificate"]').text()).toBe(
        '执法证 44010020001，有效期至 2027-06-30',
      ),
    )
    wrapper.unmount()
  })

  it('sets, refuses a taken number beside the field, and marks an expired certificate', async () => {
    answerWithServer()
    const holder = await s.app.inject({
      method: 'PATCH',
      url: `/api/users/${admin.user.id}`,
      headers: { cookie: admin.cookie },
      payload: { certificateNumber: '粤-HELD-1', certificateExpiry: '2030-01-01' },
    })
    expect(holder.statusCode).toBe(200)
    const wrapper = await openPage()
    const ofInspector = () =>
      wrapper.findAll('[data-testid="user-list"] li').find((li) =>
        li
          .find('.small')
          .text()
          .startsWith(inspector.user.username ?? ''),
      )!
    expect(ofInspector().find('[data-testid="user-certificate"]').text()).toBe('未登记执法证')
    await ofInspector().find('[data-testid="user-certificate-edit"]').trigger('click')
    await settle()
    const form = ofInspector().find('[data-testid="certificate-form"]')
    const numberLabel = `${inspector.user.displayName} 的执法证号`
    await typeInto(wrapper, numberLabel, '粤-HELD-1', form.element)
    await typeInto(wrapper, '执法证有效期至', '2020-05-31', form.element)
    await form.trigger('submit')
    await vi.waitFor(() => expect(ofInspector().find('.error').exists()).toBe(true))
    expect(ofInspector().find('.error').text()).toBe('另一个账号已登记了这个执法证号。')
    expect(document.activeElement?.id).toBe(`cert-${inspector.user.id}`)

    await typeInto(wrapper, numberLabel, '粤-OWN-2', ofInspector().find('[data-testid="certificate-form"]').element)
    await ofInspector().find('[data-testid="certificate-form"]').trigger('submit')
    await vi.waitFor(() => expect(wrapper.find('[data-testid="row-done"]').exists()).toBe(true), SERVER_ANSWER)
    expect((await accountsOnServer()).find((a) => a.id === inspector.user.id)).toMatchObject({
      certificateNumber: '粤-OWN-2',
      certificateExpiry: '2020-05-31',
    })
    await vi.waitFor(() =>
      expect(ofInspector().find('[data-testid="user-certificate"]').text()).toBe(
        '执法证 粤-OWN-2 已过期（有效期至 2020-05-31）',
      ),
    )
    expect(ofInspector().find('[data-testid="user-certificate"]').classes()).toContain('expired')
    wrapper.unmount()
  })

  it('labels the fields in English too', async () => {
    answerWithServer()
    const wrapper = await openPage('en')
    const labels = wrapper.findAll('label').map((l) => l.text())
    expect(labels).toContain('Enforcement certificate number')
    expect(labels).toContain('Certificate valid until')
    await typeInto(wrapper, 'Certificate valid until', '2027-01-01')
    await wrapper.find('[data-testid="user-form"]').trigger('submit')
    await settle()
    expect(wrapper.find('[data-testid="u-cert-error"]').text()).toBe(
      'Enter the certificate number for this expiry date.',
    )
    wrapper.unmount()
  })
})
