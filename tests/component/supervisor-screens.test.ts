// @vitest-environment happy-dom
/**
 * What a tester found walking the app as Guangzhou's (a city's) supervisor and as an admin, in both languages,
 * against the real server: the campaign form (the lead department listed once, the focus on the first error, the
 * error saying what the field takes, why no inspector is offered), the coverage page's scope, the accounts page's
 * button that also changes the region, the settings naming the city, and the header's sign-in link coming back.
 */
import 'fake-indexeddb/auto'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { mount } from '@vue/test-utils'
import { createPinia } from 'pinia'
import { createMemoryHistory, RouterView } from 'vue-router'
import { createUser } from '../../server/auth/accounts'
import App from '../../src/App.vue'
import { db } from '../../src/db/db'
import { replaceDataset } from '../../src/db/dataset'
import { startSession } from '../../src/db/session'
import type { Campaign } from '../../src/kernel/campaign-schema'
import type { SessionUser } from '../../src/kernel/users'
import { i18n, setLocale } from '../../src/modules/i18n'
import { createAppRouter } from '../../src/router'
import { settle } from '../helpers/mount'
import { realDataset } from '../helpers/seed'
import { makeServer, signedIn, TEST_PASSWORD, type TestServer } from '../helpers/server'
import { injectFetch } from '../helpers/sync'

type Who = { user: SessionUser; cookie: string }
const DEPARTMENT = '省工商局'
let s: TestServer
let admin: Who
let province: Who
let gz: Who
/** Of Guangzhou's supervisor's department, with both it and another department taking part. */
let campaign: Campaign

async function cityAccount(username: string, role: 'supervisor' | 'inspector', region: string): Promise<Who> {
  await createUser(s.store.db, new Set(realDataset.departments.map((d) => d.name)), {
    username,
    displayName: role === 'supervisor' ? '黄主管' : '城市巡查员',
    department: DEPARTMENT,
    role,
    region,
    password: TEST_PASSWORD,
  })
  const res = await s.app.inject({
    method: 'POST',
    url: '/api/auth/login',
    payload: { username, password: TEST_PASSWORD },
  })
  return { user: res.json().user, cookie: String(res.headers['set-cookie']).split(';')[0]! }
}

beforeAll(async () => {
  s = await makeServer('sqlite')
  admin = await signedIn(s, 'admin')
  province = await signedIn(s, 'supervisor', DEPARTMENT)
  gz = await cityAccount('gz.huang', 'supervisor', 'guangzhou')
  // The department has inspectors, in the province's region and in Shenzhen: none in Guangzhou.
  await signedIn(s, 'inspector', DEPARTMENT)
  await cityAccount('sz.inspector', 'inspector', 'shenzhen')
  const res = await s.app.inject({
    method: 'POST',
    url: '/api/campaigns',
    headers: { cookie: gz.cookie },
    payload: {
      name: '广州市展会专项',
      description: '',
      taskNumbers: [28],
      departments: [DEPARTMENT, '省知识产权局'],
      inspectorIds: [],
      startDate: '2026-11-01',
      endDate: '2026-12-31',
      venues: [],
    },
  })
  expect(res.statusCode).toBe(201)
  campaign = res.json().campaign
  expect(campaign.ownerDepartment).toBe(DEPARTMENT)
  expect(campaign.departments).toContain(DEPARTMENT)
})
afterAll(() => s.close())
afterEach(async () => {
  vi.unstubAllGlobals()
  document.body.innerHTML = ''
  await setLocale('zh-CN')
  await Promise.all(db.tables.map((t) => t.clear()))
})

/** The app's page at `path` as `who` (or nobody), answered by the server; the whole app (with its header) if asked. */
async function open(who: Who | undefined, path: string, locale: 'zh-CN' | 'en' = 'zh-CN', whole = false) {
  vi.stubGlobal('fetch', injectFetch(s.app, who?.cookie))
  await setLocale(locale)
  if (who) await startSession(db, who.user, '2099-01-01T00:00:00Z')
  await replaceDataset(db, realDataset)
  const router = createAppRouter(createMemoryHistory())
  await router.push(path)
  await router.isReady()
  const wrapper = mount(whole ? App : RouterView, {
    global: { plugins: [createPinia(), router, i18n] },
    attachTo: document.body,
  })
  await settle()
  return { wrapper, router }
}

async function openForm(who: Who, path: string, locale: 'zh-CN' | 'en' = 'zh-CN') {
  const opened = await open(who, path, locale)
  await vi.waitFor(() => expect(opened.wrapper.find('[data-testid="campaign-form"]').exists()).toBe(true))
  return opened
}

describe('the campaign form', () => {
  it('lists the lead department once among the departments taking part, ticked once', async () => {
    const { wrapper } = await openForm(gz, `/campaigns/${campaign.id}/edit`)
    const boxes = wrapper.findAll('fieldset .choice').filter((l) => l.find('input[type="checkbox"]').exists())
    const departments = boxes.map((l) => l.text()).filter((t) => realDataset.departments.some((d) => d.name === t))
    expect(departments.filter((d) => d === DEPARTMENT)).toHaveLength(1)
    expect(new Set(departments).size).toBe(departments.length)
    const ticked = boxes.filter((l) => (l.find('input').element as HTMLInputElement).checked).map((l) => l.text())
    expect(ticked).toEqual([DEPARTMENT, '省知识产权局'])
    wrapper.unmount()
  })

  it('moves the focus to the first invalid field on the first save, and says the numbers take commas or spaces', async () => {
    for (const [locale, separators] of [
      ['zh-CN', '用逗号或空格分隔'],
      ['en', 'separated by commas or spaces'],
    ] as const) {
      const { wrapper } = await openForm(gz, '/campaigns/new', locale)
      await wrapper.find('[data-testid="c-name"]').setValue('广州市口岸专项')
      await wrapper.find('[data-testid="c-tasks"]').setValue('28 x')
      wrapper.get<HTMLButtonElement>('[data-testid="save-campaign"]').element.focus()
      await wrapper.find('[data-testid="campaign-form"]').trigger('submit')
      await settle()
      expect(document.activeElement?.id, locale).toBe('c-tasks')
      // The hint says what the field takes; the error says the same, not commas only.
      expect(wrapper.find('#c-tasks-hint').text()).toContain(separators)
      expect(wrapper.find('#c-tasks ~ .error').text()).toContain(separators)
      wrapper.unmount()
      document.body.innerHTML = ''
      await Promise.all(db.tables.map((t) => t.clear()))
    }
  })

  it("tells a city's supervisor that the departments have no inspectors in their city, and who sets regions", async () => {
    for (const [locale, expected] of [
      ['zh-CN', ['广州市', '管理员']],
      ['en', ['in Guangzhou', 'admin']],
    ] as const) {
      const { wrapper } = await openForm(gz, '/campaigns/new', locale)
      expect(wrapper.find('[data-testid="c-inspectors"]').exists()).toBe(false)
      const text = wrapper.get('[data-testid="no-candidates"]').text()
      for (const part of expected) expect(text, locale).toContain(part)
      wrapper.unmount()
      document.body.innerHTML = ''
      await Promise.all(db.tables.map((t) => t.clear()))
    }
  })

  it('offers a provincial supervisor the department’s inspectors of every city', async () => {
    const { wrapper } = await openForm(province, '/campaigns/new')
    expect(wrapper.get('[data-testid="c-inspectors"]').text()).toContain('城市巡查员')
    expect(wrapper.find('[data-testid="no-candidates"]').exists()).toBe(false)
    wrapper.unmount()
  })
})

describe('the coverage page', () => {
  const scope = async (who: Who, locale: 'zh-CN' | 'en') => {
    const { wrapper } = await open(who, '/coverage', locale)
    await vi.waitFor(() => expect(wrapper.find('[data-testid="coverage-summary"]').exists()).toBe(true))
    const select = wrapper.get<HTMLSelectElement>('[data-testid="coverage-scope-select"]').element
    const result = {
      option: select.options[0]!.textContent!.trim(),
      line: wrapper.get('[data-testid="coverage-scope"]').text(),
      describedBy: select.getAttribute('aria-describedby'),
    }
    wrapper.unmount()
    return result
  }

  it("names a city supervisor's city in the scope, the department in a line that wraps", async () => {
    expect(await scope(gz, 'zh-CN')).toEqual({
      option: '本部门在广州市的记录',
      line: `统计${DEPARTMENT}在广州市的巡查登记和笔记，以及你本人写的。`,
      describedBy: 'cov-scope',
    })
    const en = await scope(gz, 'en')
    expect(en.option).toBe('My department in Guangzhou')
    expect(en.line).toContain(`${DEPARTMENT} in Guangzhou`)
    // A select's text never wraps: what it shows stays short (the department's name, of any length, is not in it).
    expect(en.option).not.toContain(DEPARTMENT)
    expect(en.option.length).toBeLessThanOrEqual(30)
  })

  it('says "all" for a provincial supervisor, naming no city', async () => {
    const zh = await scope(province, 'zh-CN')
    expect(zh.option).toBe('本部门的全部记录')
    expect(zh.line).toBe(`统计${DEPARTMENT}的全部巡查登记和笔记。`)
    expect((await scope(province, 'en')).option).toBe('All my department’s records')
  })
})

describe('accounts and settings', () => {
  it('labels the button that changes role, department and region with all three', async () => {
    for (const [locale, label] of [
      ['zh-CN', '改角色 / 部门 / 地区'],
      ['en', 'Role / department / region'],
    ] as const) {
      const { wrapper } = await open(admin, '/admin/users', locale)
      await vi.waitFor(() => expect(wrapper.findAll('[data-testid="user-list"] li').length).toBeGreaterThan(0))
      const row = wrapper.findAll('[data-testid="user-list"] li').find((li) => li.text().includes('黄主管'))!
      const button = row.findAll('button').find((b) => b.text() === label)
      expect(button, locale).toBeDefined()
      await button!.trigger('click')
      // It is the button that opens the region's select.
      expect(row.find('[data-testid="edit-region"]').exists()).toBe(true)
      wrapper.unmount()
      document.body.innerHTML = ''
      await Promise.all(db.tables.map((t) => t.clear()))
    }
  })

  it("shows a city's account with its city in the settings, a provincial one without a region", async () => {
    const account = async (who: Who, locale: 'zh-CN' | 'en') => {
      const { wrapper } = await open(who, '/settings', locale)
      const text = wrapper.get('[data-testid="account"] p').text().replace(/\s+/g, ' ')
      wrapper.unmount()
      await Promise.all(db.tables.map((t) => t.clear()))
      return text
    }
    expect(await account(gz, 'zh-CN')).toBe(`黄主管 · ${DEPARTMENT} · 广州市 · 主管`)
    // In English the department by its English name (省工商局).
    expect(await account(gz, 'en')).toContain('Provincial Administration for Industry and Commerce · Guangzhou ·')
    const theirs = await account(province, 'zh-CN')
    expect(theirs).not.toContain('广东省')
    expect(theirs.split(' · ')).toHaveLength(3)
  })
})

describe("the header's sign-in link", () => {
  it('brings the person back to the page they were on once signed in', async () => {
    const { wrapper, router } = await open(undefined, '/tasks/28', 'zh-CN', true)
    const link = wrapper.get('header a.sync')
    expect(link.text()).toContain('登录后才能记录')
    expect(link.attributes('href')).toBe('/signin?next=/tasks/28')
    // Followed (as a tap on it does: happy-dom's click does not reach RouterLink's handler).
    await router.push(link.attributes('href')!)
    await settle()
    expect(router.currentRoute.value.fullPath).toBe('/signin?next=/tasks/28')
    // On the sign-in page itself the link stays there, keeping where to go back to.
    expect(wrapper.get('header a.sync').attributes('href')).toBe(router.currentRoute.value.fullPath)
    await wrapper.get('[data-testid="sign-in-username"]').setValue('gz.huang')
    await wrapper.get('[data-testid="sign-in-password"]').setValue(TEST_PASSWORD)
    await wrapper.get('[data-testid="sign-in-form"]').trigger('submit')
    await vi.waitFor(() => expect(router.currentRoute.value.fullPath).toBe('/tasks/28'))
    wrapper.unmount()
  })
})
