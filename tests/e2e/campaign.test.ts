import { readFileSync } from 'node:fs'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { guangdongDay } from '../../src/kernel/guangdong-time'
import { createUser } from '../../server/auth/accounts'
import { launchChromium, startServer, type RunningServer } from '../helpers/browser'
import { realDataset } from '../helpers/seed'

/**
 * The whole chain, each person on a phone of their own: an admin adds an inspector; a supervisor plans a
 * campaign with them; the inspector signs in, goes offline, checks in under the campaign, comes back
 * online; the supervisor sees it in the campaign's progress and exports it.
 */
let browser: Browser
let server: RunningServer
const PASSWORD = 'e2e-password-long'
const HOSTILE_VENUE = '<img src=x onerror="window.__pwned=1">广交会展馆 \u202eA区\u202c'
const departments = new Set(realDataset.departments.map((d) => d.name))
const violations: string[] = []
const today = guangdongDay(new Date().toISOString())
const inAMonth = guangdongDay(new Date(Date.now() + 30 * 86_400_000).toISOString())

async function phone(): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({
    viewport: { width: 360, height: 740 },
    locale: 'zh-CN',
    acceptDownloads: true,
  })
  const page = await context.newPage()
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) violations.push(m.text())
  })
  page.on('dialog', (d) => {
    violations.push(`dialog: ${d.message()}`)
    void d.dismiss()
  })
  return { context, page }
}

async function signIn(page: Page, username: string, password = PASSWORD) {
  await page.goto(`${server.url}/signin`)
  await page.getByTestId('sign-in-username').fill(username)
  await page.getByTestId('sign-in-password').fill(password)
  await page.getByTestId('sign-in-submit').click()
  await page.waitForURL((u) => !u.pathname.startsWith('/signin'))
}

let admin: { context: BrowserContext; page: Page }
let supervisor: { context: BrowserContext; page: Page }
let inspector: { context: BrowserContext; page: Page }
let campaignUrl: string

beforeAll(async () => {
  server = await startServer()
  await createUser(server.store.db, departments, {
    username: 'wang.admin',
    displayName: '王管理',
    department: '省知识产权局',
    role: 'admin',
    password: PASSWORD,
  })
  await createUser(server.store.db, departments, {
    username: 'li.supervisor',
    displayName: '李主管',
    department: '省知识产权局',
    role: 'supervisor',
    password: PASSWORD,
  })
  browser = await launchChromium()
  admin = await phone()
  supervisor = await phone()
  inspector = await phone()
})
afterAll(async () => {
  await browser?.close()
  await server?.app.close()
})

describe('admin → inspector → supervisor', () => {
  it('an admin adds an inspector from the app', async () => {
    const { page } = admin
    await signIn(page, 'wang.admin')
    await page.goto(`${server.url}/admin/users`)
    await page.getByTestId('create-user').click()
    await expect.poll(() => page.locator('#u-name-error').textContent()).toBe('请填写姓名。')
    await page.getByTestId('u-name').fill('赵巡查')
    await page.getByTestId('u-username').fill('zhao.inspector')
    await page.getByTestId('u-dept').selectOption('省知识产权局')
    await page.getByTestId('u-role').selectOption('inspector')
    await page.getByTestId('u-pass').fill('short')
    await page.getByTestId('create-user').click()
    await expect.poll(() => page.getByTestId('u-pass-error').textContent()).toContain('至少 10 个字符')
    await page.getByTestId('u-pass').fill(PASSWORD)
    await page.getByTestId('create-user').click()
    await expect.poll(() => page.getByTestId('user-created').textContent()).toBe('已添加账号 zhao.inspector。')
    await expect.poll(() => page.getByTestId('user-list').textContent()).toContain('赵巡查')
    // The same username again is refused, in Chinese.
    await page.getByTestId('u-name').fill('赵巡查二')
    await page.getByTestId('u-username').fill('zhao.inspector')
    await page.getByTestId('u-dept').selectOption('省知识产权局')
    await page.getByTestId('u-pass').fill(PASSWORD)
    await page.getByTestId('create-user').click()
    await expect.poll(() => page.getByTestId('user-problem').textContent()).toBe('这个用户名已被使用。')
    // A forgotten password is replaced from the same list; the inspector signs in with the new one later.
    const row = page.getByTestId('user-list').locator('li', { hasText: 'zhao.inspector' })
    await row.getByRole('button', { name: '重设密码' }).click()
    await row.getByLabel('赵巡查 的新密码').fill('another-long-password')
    await row.getByRole('button', { name: '保存新密码' }).click()
    await expect.poll(() => page.getByTestId('row-done').textContent()).toContain('已为 赵巡查 设置新密码')
    // A supervisor created as an inspector by mistake is promoted from the list.
    await createUser(server.store.db, departments, {
      username: 'qian.user',
      displayName: '钱某',
      department: '省工商局',
      role: 'inspector',
      password: PASSWORD,
    })
    await page.reload()
    const qian = page.getByTestId('user-list').locator('li', { hasText: 'qian.user' })
    await qian.getByRole('button', { name: '改角色 / 部门 / 地区' }).click()
    await qian.getByLabel('角色').selectOption('supervisor')
    await qian.getByRole('button', { name: '保存修改' }).click()
    await expect.poll(() => qian.textContent()).toContain('省工商局 · 广东省（全省） · 主管')
  })

  it('a supervisor plans a campaign with that inspector', async () => {
    const { page } = supervisor
    await signIn(page, 'li.supervisor')
    await page.goto(`${server.url}/campaigns`)
    await page.getByTestId('new-campaign').click()
    await page.getByTestId('campaign-form').waitFor()
    await page.getByTestId('save-campaign').click()
    await expect.poll(() => page.locator('.error').first().textContent()).toBe('请填写行动名称。')
    await page.getByTestId('c-name').fill('广交会知识产权保护专项')
    await page.getByTestId('c-tasks').fill('28，999')
    await page.getByTestId('save-campaign').click()
    await expect.poll(() => page.locator('.error').first().textContent()).toContain('请填写有效的任务编号')
    await page.getByTestId('c-tasks').fill('28')
    await page.getByTestId('c-start').fill(today)
    await page.getByTestId('c-end').fill(inAMonth)
    await page.getByTestId('c-inspectors').getByLabel('赵巡查').check()
    await page.locator('#c-venues').fill('广交会展馆 A 区\n广交会展馆 B 区')
    await page.getByTestId('save-campaign').click()
    await page.getByTestId('campaign-page').waitFor()
    await expect
      .poll(() => page.getByTestId('report-summary').textContent())
      .toBe('符合条件的巡查登记 0 条（本行动共 0 条）。')
    campaignUrl = page.url()
  })

  it('the inspector signs in, goes offline and checks in under the campaign, then syncs', async () => {
    const { page, context } = inspector
    await page.goto(server.url)
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null)
    await signIn(page, 'zhao.inspector', 'another-long-password')
    await page.goto(`${server.url}/campaigns`)
    await expect
      .poll(() => page.getByTestId('campaign-list').textContent(), { timeout: 15_000 })
      .toContain('广交会知识产权保护专项')

    await context.setOffline(true)
    await page.goto(`${server.url}/checkins/new`)
    await page.getByTestId('campaign').selectOption({ label: '广交会知识产权保护专项' })
    // The campaign's tasks come in with it.
    await expect.poll(() => page.getByTestId('checkin-tasks').textContent()).toContain('任务 28')
    await page.getByTestId('venue-name').fill(HOSTILE_VENUE)
    await page.getByTestId('outcome-suspected').check()
    await page.getByTestId('save-checkin').click()
    // No location: the form asks once before saving without one.
    await page.getByTestId('confirm-save').click()
    await page.getByTestId('checkin-page').waitFor()
    expect(await page.locator('h1').textContent()).toBe(HOSTILE_VENUE)
    await expect.poll(() => page.getByTestId('checkin-campaign').textContent()).toBe('广交会知识产权保护专项')

    await context.setOffline(false)
    await expect.poll(() => page.getByTestId('header-sync').textContent(), { timeout: 20_000 }).toContain('已全部上传')
  })

  it('the supervisor sees it in the campaign progress, filters, exports CSV and prints', async () => {
    const { page } = supervisor
    await page.goto(campaignUrl)
    await expect
      .poll(() => page.getByTestId('report-summary').textContent())
      .toBe('符合条件的巡查登记 1 条（本行动共 1 条）。')
    expect(await page.getByTestId('by-inspector').textContent()).toContain('赵巡查')
    expect(await page.getByTestId('by-outcome').textContent()).toContain('发现疑似侵权1')
    // The hostile venue name is text on the page, never markup.
    expect(await page.getByTestId('report-checkins').locator('.venue').textContent()).toBe(HOSTILE_VENUE)
    expect(await page.getByTestId('report-checkins').locator('img[src="x"]').count()).toBe(0)
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined()

    await page.getByTestId('filter-outcome').selectOption('no_problem')
    await expect
      .poll(() => page.getByTestId('report-summary').textContent())
      .toBe('符合条件的巡查登记 0 条（本行动共 1 条）。')
    await page.getByTestId('filter-outcome').selectOption('')
    await expect.poll(() => page.getByTestId('report-summary').textContent()).toContain('1 条（本行动')

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-csv').click()])
    expect(download.suggestedFilename()).toMatch(/^广交会知识产权保护专项-\d{4}-\d{2}-\d{2}\.csv$/)
    const bytes = readFileSync((await download.path())!)
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf])
    const csv = bytes.subarray(3).toString('utf8')
    expect(csv.split('\r\n')[0]).toContain('巡查员')
    expect(csv).toContain('赵巡查')
    expect(csv).toContain('发现疑似侵权')
    expect(csv).toContain('广交会展馆')

    await page.getByTestId('print-report').click()
    await expect
      .poll(() => page.getByTestId('campaign-report').locator('h1').textContent())
      .toBe('广交会知识产权保护专项 进展报告')
    expect(await page.getByTestId('campaign-report').textContent()).toContain('赵巡查')
    // Printed, the app's header and navigation are left off.
    await page.emulateMedia({ media: 'print' })
    expect(await page.locator('.bottom-nav').isVisible()).toBe(false)
    await page.emulateMedia({ media: 'screen' })

    await page.goto(`${server.url}/coverage`)
    await expect
      .poll(() => page.getByTestId('coverage-summary').textContent())
      .toBe('160 项任务中有 159 项还没有任何现场工作。')
    expect(violations).toEqual([])
  })

  it('another inspector is refused the campaign, in Chinese', async () => {
    await createUser(server.store.db, departments, {
      username: 'sun.inspector',
      displayName: '孙巡查',
      department: '省知识产权局',
      role: 'inspector',
      password: PASSWORD,
    })
    const other = await phone()
    await signIn(other.page, 'sun.inspector')
    await other.page.goto(campaignUrl)
    await expect
      .poll(() => other.page.getByTestId('report-problem').textContent())
      .toBe('你的账号没有权限查看或修改这里的内容。')
    await other.context.close()
  })

  it('a disabled inspector leaves the campaign when the supervisor next saves it', async () => {
    const zhao = await server.store.db
      .selectFrom('users')
      .select('id')
      .where('username', '=', 'zhao.inspector')
      .executeTakeFirstOrThrow()
    await server.store.db.updateTable('users').set({ disabled: 1 }).where('id', '=', zhao.id).execute()
    const { page } = supervisor
    await page.goto(`${campaignUrl}/edit`)
    await expect
      .poll(() => page.getByTestId('dropped-inspectors').textContent())
      .toBe('1 名巡查员的账号已停用，保存后会从名单中去掉。')
    await page.getByTestId('save-campaign').click()
    await page.getByTestId('campaign-page').waitFor()
    const row = await server.store.db.selectFrom('campaigns').select('data').executeTakeFirstOrThrow()
    expect(JSON.parse(row.data).inspectorIds).toEqual([])
  })
})
