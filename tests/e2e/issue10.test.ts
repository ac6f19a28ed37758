import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchChromium, signInThroughUi, startServer, type RunningServer } from '../helpers/browser'
import { createUser } from '../../server/auth/accounts'
import { makeCheckIn } from '../helpers/records'
import { realDataset } from '../helpers/seed'

let browser: Browser
let server: RunningServer

beforeAll(async () => {
  server = await startServer()
  browser = await launchChromium()
})
afterAll(async () => {
  await browser?.close()
  await server?.app.close()
})

async function phone(locale: 'zh-CN' | 'en'): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 360, height: 740 }, locale: 'zh-CN' })
  const page = await context.newPage()
  await page.goto(server.url)
  await page.evaluate((l) => localStorage.setItem('zhixun.locale', l), locale)
  await page.goto(`${server.url}/`)
  await page.locator('[data-testid="section-list"] li').first().waitFor()
  return { context, page }
}

const taskNumbers = (page: Page) =>
  page.locator('[data-testid="task-hits"] .task-item').evaluateAll((els) => els.map((e) => e.getAttribute('data-task')))

describe('search (item 8)', () => {
  async function typeQuery(page: Page, query: string) {
    await page.goto(`${server.url}/search`)
    const input = page.getByTestId('search-input')
    await input.click()
    await page.keyboard.type(query)
    await expect.poll(() => page.evaluate(() => new URL(location.href).searchParams.get('q'))).toBe(query)
  }

  it('finds a task by full pinyin and by initials mixed with syllables', async () => {
    const { context, page } = await phone('zh-CN')
    for (const query of ['zhanhui', 'zhhui']) {
      await typeQuery(page, query)
      await expect.poll(() => taskNumbers(page)).toContain('28')
      expect(await page.locator('[data-task="28"] mark').first().textContent()).toBe('展会')
    }
    await context.close()
  })

  it('shows the task a number names as the first result, counted, with no empty heading', async () => {
    const { context, page } = await phone('zh-CN')
    await typeQuery(page, '28')
    await expect.poll(() => taskNumbers(page)).toEqual(['28'])
    expect(await page.getByTestId('result-count').textContent()).toContain('1 项任务')
    expect(await page.locator('main h2, .page h2').allTextContents()).toEqual([])
    await context.close()
  })

  it('in English, finds the Chinese text by English words and departments by English names', async () => {
    const { context, page } = await phone('en')
    await typeQuery(page, 'trade fair')
    await expect.poll(() => taskNumbers(page)).toEqual(['28', '71'])
    await typeQuery(page, 'customs')
    await expect.poll(() => taskNumbers(page)).toContain('139')
    const chip = page.getByTestId('department-hits')
    expect(await chip.textContent()).toContain('海关总署广东分署')
    expect(await chip.textContent()).toContain('General Administration of Customs')
    await typeQuery(page, 'forestry department')
    await expect.poll(() => chip.textContent()).toContain('省林业厅')
    expect(await page.locator('#f-section option').nth(2).textContent()).toContain('Stronger intellectual property')
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360)
    await context.close()
  })
})

describe('printed report (item 12)', () => {
  it('prints times in Guangdong time on a device in another zone, and every filter in words', async () => {
    const context = await browser.newContext({ viewport: { width: 360, height: 740 }, timezoneId: 'UTC' })
    const page = await context.newPage()
    const me = await signInThroughUi(page, server, 'admin')
    const created = await page.request.post(`${server.url}/api/campaigns`, {
      data: {
        name: '广交会专项',
        description: '',
        taskNumbers: [28],
        departments: ['省知识产权局'],
        inspectorIds: [me.id],
        startDate: '2026-01-01',
        endDate: '2099-12-31',
        venues: [],
      },
    })
    const campaignId = (await created.json()).campaign.id as string
    const checkIn = makeCheckIn({ authorId: me.id, campaignId, occurredAt: '2026-11-20T05:31:00.000Z' })
    const pushed = await page.request.post(`${server.url}/api/sync/push`, {
      data: { clientId: 'issue10-report', mutations: [{ seq: 1, name: 'checkin.create', args: checkIn }] },
    })
    expect(pushed.status()).toBe(200)

    for (const [locale, expected] of [
      ['zh-CN', ['日期：2026-11-20', '场所类型：展会 / 交易会', '结果：发现疑似侵权', '巡查员：测试巡查员']],
      ['en', ['Day: 2026-11-20', 'Venue type: Trade fair / exhibition', 'Outcome: Suspected infringement']],
    ] as const) {
      await page.evaluate((l) => localStorage.setItem('zhixun.locale', l), locale)
      await page.goto(`${server.url}/campaigns/${campaignId}`)
      // The supervisor narrows the campaign with its filters, then opens the printable report.
      for (const [key, value] of [
        ['day', '2026-11-20'],
        ['venueType', 'trade_fair'],
        ['outcome', 'suspected'],
        ['inspector', me.id],
      ] as const) {
        await page.getByTestId(`filter-${key}`).locator(`option[value="${value}"]`).waitFor({ state: 'attached' })
        await page.getByTestId(`filter-${key}`).selectOption(value)
        await expect.poll(() => new URL(page.url()).searchParams.get(key)).toBe(value)
      }
      await page.getByTestId('print-report').click()
      const report = page.getByTestId('campaign-report')
      await report.locator('table.detail tbody tr').first().waitFor()
      // 05:31 UTC is 13:31 in Guangdong, as the CSV says; the device's own zone (UTC) does not leak in.
      expect(await report.locator('table.detail tbody td').first().textContent()).toBe('2026-11-20 13:31')
      const filterLine = (await page.getByTestId('report-filter').textContent()) ?? ''
      for (const part of expected) expect(filterLine, locale).toContain(part)
      expect(filterLine).not.toMatch(/suspected|trade_fair|[0-9a-f]{8}-[0-9a-f]{4}/)
      expect(await report.textContent()).toMatch(locale === 'en' ? /\(UTC\+8\)/ : /（北京时间）/)
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360)
    }
    await context.close()
  })
})

describe('accounts (item 14)', () => {
  const departments = new Set(realDataset.departments.map((d) => d.name))
  let context: BrowserContext
  let page: Page

  beforeAll(async () => {
    for (const [username, displayName, department] of [
      ['zhou.inspector', '周巡查', '省工商局'],
      ['wu.inspector', '吴巡查', '省林业厅'],
    ]) {
      await createUser(server.store.db, departments, {
        username: username!,
        displayName: displayName!,
        department: department!,
        role: 'inspector',
        password: 'e2e-password-long',
      })
    }
    context = await browser.newContext({ viewport: { width: 360, height: 740 }, locale: 'zh-CN' })
    page = await context.newPage()
    page.on('dialog', (d) => {
      throw new Error(`a browser dialog opened: ${d.message()}`)
    })
    await signInThroughUi(page, server, 'admin')
  })
  afterAll(async () => context?.close())

  const focusedId = () => page.evaluate(() => document.activeElement?.id ?? '')

  for (const [locale, message] of [
    ['zh-CN', '密码太短：至少 10 个字符，现在是 5 个。'],
    ['en', 'Too short: at least 10 characters; this one has 5.'],
  ] as const) {
    it(`in ${locale}, a short password is pointed at beside its field, with the cursor in it`, async () => {
      await page.evaluate((l) => localStorage.setItem('zhixun.locale', l), locale)
      await page.goto(`${server.url}/admin/users`)
      await page.getByTestId('u-name').click()
      await page.keyboard.type('郑巡查')
      await page.getByTestId('u-username').click()
      await page.keyboard.type(`zheng.${locale}`.toLowerCase())
      await page.getByTestId('u-dept').selectOption('省知识产权局')
      await page.getByTestId('u-pass').click()
      await page.keyboard.type('short')
      await page.getByTestId('u-name').click()
      await page.getByTestId('create-user').click()
      await expect.poll(() => page.getByTestId('u-pass-error').textContent()).toBe(message)
      expect(await focusedId()).toBe('u-pass')
      const pass = page.getByTestId('u-pass')
      expect(await pass.getAttribute('aria-invalid')).toBe('true')
      expect((await pass.getAttribute('aria-describedby'))?.split(' ')).toContain('u-pass-error')
      expect(await page.getByTestId('user-problem').count()).toBe(0)
      expect(await page.getByTestId('u-name').getAttribute('aria-invalid')).toBe('false')
      // Typed long enough, the account is added and the message goes.
      await page.keyboard.type('-and-longer')
      // Enter in a field only moves on: the create button adds the account.
      await page.getByTestId('create-user').click()
      await expect.poll(() => page.getByTestId('user-created').count()).toBe(1)
      expect(await page.getByTestId('u-pass-error').count()).toBe(0)
    })
  }

  for (const [locale, label] of [
    ['zh-CN', '查找账号'],
    ['en', 'Find an account'],
  ] as const) {
    it(`in ${locale}, finds accounts by name, username and department in a labelled search box`, async () => {
      await page.evaluate((l) => localStorage.setItem('zhixun.locale', l), locale)
      await page.goto(`${server.url}/admin/users`)
      await expect.poll(() => page.getByTestId('user-list').locator('li').count()).toBeGreaterThan(3)
      const names = () => page.getByTestId('user-list').locator('.name').allTextContents()
      const search = page.getByLabel(label)
      for (const [query, expected] of [
        ['周巡', ['周巡查']],
        ['wu.insp', ['吴巡查']],
        ['林业', ['吴巡查']],
      ] as const) {
        await search.click()
        await page.keyboard.press('Control+A')
        await page.keyboard.press('Backspace')
        await page.keyboard.type(query)
        await expect.poll(names).toEqual(expected)
      }
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360)
    })
  }

  it('asks in the page before disabling an account, by keyboard, and only then disables it', async () => {
    await page.evaluate(() => localStorage.setItem('zhixun.locale', 'zh-CN'))
    await page.goto(`${server.url}/admin/users`)
    const row = page.getByTestId('user-list').locator('li', { hasText: 'zhou.inspector' })
    const disabled = async () =>
      (
        await server.store.db
          .selectFrom('users')
          .select('disabled')
          .where('username', '=', 'zhou.inspector')
          .executeTakeFirstOrThrow()
      ).disabled
    await row.getByRole('button', { name: '停用' }).click()
    const confirm = row.getByTestId('confirm-action')
    await confirm.waitFor()
    expect(await confirm.textContent()).toContain('停用 周巡查 的账号？')
    expect(Number(await disabled())).toBe(0)
    // The safe answer has the focus; Escape says no and gives the focus back.
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('confirm-cancel')
    for (const button of await confirm.getByRole('button').all()) {
      expect((await button.boundingBox())!.height).toBeGreaterThanOrEqual(44)
    }
    await page.keyboard.press('Escape')
    await expect.poll(() => confirm.count()).toBe(0)
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('user-toggle')
    expect(Number(await disabled())).toBe(0)
    // Asked again from the keyboard, and confirmed.
    await page.keyboard.press('Enter')
    await confirm.waitFor()
    await page.keyboard.press('Tab')
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('confirm-yes')
    await page.keyboard.press('Enter')
    await expect.poll(disabled).toBeTruthy()
    await expect.poll(() => row.textContent()).toContain('已停用')
    expect(await page.getByTestId('row-done').textContent()).toBe('已停用 周巡查 的账号。')
    // Enabling again needs no question.
    await row.getByRole('button', { name: '启用' }).click()
    await expect.poll(async () => Number(await disabled())).toBe(0)
    expect(await confirm.count()).toBe(0)
  })
})
