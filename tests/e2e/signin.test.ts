import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createUser } from '../../server/auth/accounts'
import { launchChromium, startServer, type RunningServer } from '../helpers/browser'
import { realDataset } from '../helpers/seed'

let browser: Browser
let server: RunningServer
let context: BrowserContext
let page: Page
/** The file the first inspector exported, for their new phone to take in. */
let exported: string
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
    await expect
      .poll(() => page.getByTestId('sign-in-problem').textContent())
      .toBe('连不上服务器。登录需要联网，请联网后再试。')
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
    // No location: the form asks once before saving without one.
    await page.getByTestId('confirm-save').click()
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
    // No location: the form asks once before saving without one.
    await page.getByTestId('confirm-save').click()
    await page.getByTestId('checkin-page').waitFor()
    await page.goto(`${server.url}/records`)
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-records').click()])
    exported = (await download.path())!
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

  it('takes the exported file in on the inspector’s new phone, which sends the record exactly once', async () => {
    const phone = await browser.newContext({ viewport: { width: 360, height: 740 }, locale: 'zh-CN' })
    const newPage = await phone.newPage()
    await newPage.goto(`${server.url}/signin?next=/records`)
    await newPage.getByTestId('sign-in-username').fill('chen.inspector')
    await newPage.getByTestId('sign-in-password').fill(PASSWORD)
    await newPage.getByTestId('sign-in-submit').click()
    await newPage.waitForURL(`${server.url}/records`)
    await newPage.getByTestId('import-records').setInputFiles(exported)
    await expect.poll(() => newPage.getByTestId('import-result').textContent()).toContain('已导入 1 条')
    await expect.poll(() => newPage.getByTestId('checkin-list').textContent()).toContain('高第街')
    await expect
      .poll(() => newPage.getByTestId('header-sync').textContent(), { timeout: 20_000 })
      .toContain('已全部上传')
    const copies = await server.store.db.selectFrom('records').select('id').where('data', 'like', '%高第街%').execute()
    expect(copies).toHaveLength(1)
    // Someone else's file is refused, in Chinese.
    await newPage.getByTestId('import-records').setInputFiles({
      name: 'x.json',
      mimeType: 'application/json',
      buffer: Buffer.from('{"format":"zhixun-records"'),
    })
    await expect
      .poll(() => newPage.getByTestId('import-problem').textContent())
      .toBe('这不是可以读取的文件，请选择“导出本机记录”生成的 .json 文件。')
    await phone.close()
  })
})

describe('a sign-in the server holds back, said as it is', () => {
  it('tells a waiting account, a busy server and a busy address apart, with the wait in seconds or minutes', async () => {
    await createUser(server.store.db, new Set(realDataset.departments.map((d) => d.name)), {
      username: 'wang.forgetful',
      displayName: '王巡查',
      department: '省工商局',
      role: 'inspector',
      password: PASSWORD,
    })
    const phone = await browser.newContext({ viewport: { width: 360, height: 740 }, locale: 'zh-CN' })
    const p = await phone.newPage()
    const attempt = async (password: string) => {
      await p.goto(`${server.url}/signin`)
      await p.getByTestId('sign-in-username').click()
      await p.keyboard.type('wang.forgetful')
      await p.getByTestId('sign-in-password').click()
      await p.keyboard.type(password)
      await p.keyboard.press('Enter')
      // The server checks passwords one at a time at the lowest priority: on a busy machine that takes seconds.
      await expect.poll(() => p.getByTestId('sign-in-problem').count(), { timeout: 15_000 }).toBe(1)
      return (await p.getByTestId('sign-in-problem').textContent())!.trim()
    }
    // Five wrong passwords are free; then each waits 2, 4, 8 … s (server/auth/login-limits.ts). The next attempt
    // comes within those seconds unless typing it took longer than the wait, so it is tried a few times.
    for (let i = 0; i < 5; i++) expect(await attempt(`wrong ${i}`)).toBe('用户名或密码不对。')
    let said = ''
    for (let i = 5; i < 10 && !said.startsWith('这个账号'); i++) said = await attempt(`wrong ${i}`)
    expect(said).toMatch(/^这个账号密码错误次数太多，请 \d{1,2} 秒后再试。$/)

    // What the server says of a busy line of sign-ins, and of an address that failed too often.
    const refuse = (error: string, retryAfter: string) =>
      p.route('**/api/auth/login', (route) =>
        route.fulfill({
          status: 429,
          headers: { 'Retry-After': retryAfter },
          contentType: 'application/json',
          body: JSON.stringify({ error, message: '' }),
        }),
      )
    await refuse('busy', '3')
    expect(await attempt(PASSWORD)).toBe('服务器正忙于为其他人登录，请 3 秒后再试。')
    await p.unroute('**/api/auth/login')
    await refuse('too_many_attempts', '600')
    expect(await attempt(PASSWORD)).toBe('这个网络地址登录失败次数太多，请 10 分钟后再试。')
    await p.evaluate(() => localStorage.setItem('zhixun.locale', 'en'))
    expect(await attempt(PASSWORD)).toBe('Too many failed sign-ins from this network address; try again in 10 min.')
    await p.unroute('**/api/auth/login')
    await refuse('busy', '1')
    expect(await attempt(PASSWORD)).toBe('The server is busy signing others in; try again in 1 s.')
    await phone.close()
  })
})
