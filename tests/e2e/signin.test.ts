import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createUser } from '../../server/auth/accounts'
import { launchChromium, startServer, type RunningServer } from '../helpers/browser'
import { realDataset } from '../helpers/seed'

let browser: Browser
let server: RunningServer
let context: BrowserContext
let page: Page
const PASSWORD = 'e2e-password-long'

beforeAll(async () => {
  server = await startServer()
  await createUser(server.store.db, new Set(realDataset.departments.map((d) => d.name)), {
    username: 'chen.inspector',
    displayName: '陈巡查',
    department: '省工商局',
    role: 'inspector',
    password: PASSWORD,
  })
  browser = await launchChromium()
  context = await browser.newContext({ viewport: { width: 360, height: 740 }, locale: 'zh-CN' })
  page = await context.newPage()
  await page.goto(server.url)
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null)
})
afterAll(async () => {
  await browser?.close()
  await server?.app.close()
})

async function trySignIn(password: string) {
  await page.goto(`${server.url}/signin?next=/settings`)
  await page.getByTestId('sign-in-username').fill('chen.inspector')
  await page.getByTestId('sign-in-password').fill(password)
  await page.getByTestId('sign-in-submit').click()
}

describe('signing in on the phone', () => {
  it('says a wrong password, and no network, in the inspector language', async () => {
    await trySignIn('not the password')
    await expect.poll(() => page.getByTestId('sign-in-problem').textContent()).toBe('用户名或密码不对。')
    await context.setOffline(true)
    await trySignIn(PASSWORD)
    await expect.poll(() => page.getByTestId('sign-in-problem').textContent()).toBe('连不上服务器。登录需要联网，请联网后再试。')
    await context.setOffline(false)
  })

  it('signs in once online, then goes where it was going', async () => {
    await trySignIn(PASSWORD)
    await page.waitForURL(`${server.url}/settings`)
    await expect.poll(() => page.getByTestId('account').textContent()).toContain('陈巡查 · 省工商局 · 巡查员')
  })

  it('refuses to sign out while a record is only on this phone', async () => {
    await context.setOffline(true)
    await page.goto(`${server.url}/checkins/new?task=17`)
    await page.getByTestId('venue-name').fill('北京路商业街')
    await page.getByTestId('save-checkin').click()
    await page.getByTestId('checkin-page').waitFor()
    await page.goto(`${server.url}/settings`)
    await page.getByTestId('sign-out').click()
    await expect.poll(() => page.getByTestId('sign-out-problem').textContent()).toContain('还有 1 条记录未上传')
    expect(await page.getByTestId('account').textContent()).toContain('陈巡查')
    // Back online the record goes up, and then signing out works.
    await context.setOffline(false)
    await expect.poll(() => page.getByTestId('header-sync').textContent(), { timeout: 20_000 }).toContain('已全部上传')
    await page.getByTestId('sign-out').click()
    await expect.poll(() => page.locator('[data-testid="account"] a').textContent()).toBe('登录')
  })

  it('lets an inspector hand the phone on once their unsent records are exported, and keeps the records for them', async () => {
    await createUser(server.store.db, new Set(realDataset.departments.map((d) => d.name)), {
      username: 'zhou.inspector',
      displayName: '周巡查',
      department: '省工商局',
      role: 'inspector',
      password: PASSWORD,
    })
    await trySignIn(PASSWORD)
    await page.waitForURL(`${server.url}/settings`)
    await context.setOffline(true)
    await page.goto(`${server.url}/checkins/new?task=17`)
    await page.getByTestId('venue-name').fill('高第街')
    await page.getByTestId('save-checkin').click()
    await page.getByTestId('checkin-page').waitFor()
    await page.goto(`${server.url}/records`)
    await page.getByTestId('export-records').click()
    await expect.poll(() => page.locator('.export [role="status"]').count()).toBe(1)
    await page.goto(`${server.url}/settings`)
    await page.getByTestId('sign-out').click()
    await expect.poll(() => page.getByTestId('kept-unsent').textContent()).toContain('1 条未上传的记录已导出')

    // Someone else signs in (online again): allowed, and the first inspector's record is set aside, not shown.
    await context.setOffline(false)
    await page.goto(`${server.url}/signin?next=/settings`)
    await page.getByTestId('sign-in-username').fill('zhou.inspector')
    await page.getByTestId('sign-in-password').fill(PASSWORD)
    await page.getByTestId('sign-in-submit').click()
    await page.waitForURL(`${server.url}/settings`)
    await expect.poll(() => page.getByTestId('parked').textContent()).toContain('陈巡查：1 条未上传记录')
    await page.goto(`${server.url}/records`)
    expect(await page.getByTestId('checkin-list').count()).toBe(0)
  })
})

