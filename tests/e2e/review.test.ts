import { readFileSync } from 'node:fs'
import { unzipSync } from 'fflate'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { guangdongDay } from '../../src/kernel/guangdong-time'
import type { Campaign } from '../../src/kernel/campaign-schema'
import type { CheckIn } from '../../src/kernel/sync-schema'
import { createUser } from '../../server/auth/accounts'
import { launchChromium, startServer, untilStill, type RunningServer } from '../helpers/browser'
import { makeCheckIn } from '../helpers/records'
import { realDataset } from '../helpers/seed'

/**
 * A supervisor's review at 360 px, in Chromium, against the real server (issue 11): the campaign's check-ins
 * with what the server found of each (two certified inspectors, the phone's record chain and clock, its
 * signature), the evidence package downloaded, one check-in returned with a comment and one marked reviewed;
 * then an admin reads the record's and the supervisor's audit trail from the accounts page. Users' words,
 * markup included, stay text all the way.
 */
let browser: Browser
let server: RunningServer
const PASSWORD = 'e2e-password-long'
const HOSTILE_VENUE = '<img src=x onerror="window.__pwned=1">琶洲展馆 \u202eB区\u202c'
const HOSTILE_COMMENT = '<script>window.__pwned=2</script><img src=x onerror="window.__pwned=3"> 请补拍展位照片。'
const departments = new Set(realDataset.departments.map((d) => d.name))
const violations: string[] = []
const today = guangdongDay(new Date().toISOString())
const inAMonth = guangdongDay(new Date(Date.now() + 30 * 86_400_000).toISOString())
const ids: Record<string, string> = {}
let campaign: Campaign
let withCoInspector: CheckIn
let alone: CheckIn

async function phone(colorScheme: 'light' | 'dark' = 'light'): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({
    viewport: { width: 360, height: 740 },
    locale: 'zh-CN',
    colorScheme,
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

async function signIn(page: Page, username: string) {
  await page.goto(`${server.url}/signin`)
  await page.getByTestId('sign-in-username').fill(username)
  await page.getByTestId('sign-in-password').fill(PASSWORD)
  await page.getByTestId('sign-in-submit').click()
  await page.waitForURL((u) => !u.pathname.startsWith('/signin'))
}

async function cookieOf(username: string): Promise<string> {
  const res = await server.app.inject({
    method: 'POST',
    url: '/api/auth/login',
    payload: { username, password: PASSWORD },
  })
  return String(res.headers['set-cookie']).split(';')[0]!
}

/** Nothing wider than the phone, and every button and link-button a thumb can hit. */
async function fitsThePhone(page: Page) {
  await untilStill(page)
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360)
  const small = await page.evaluate(() =>
    [...document.querySelectorAll<HTMLElement>('main button, main .btn, main input, main select, main textarea')]
      .filter((el) => el.offsetParent !== null)
      .map((el) => ({ text: el.textContent?.trim() || el.id, h: el.getBoundingClientRect().height }))
      .filter((b) => b.h < 44),
  )
  expect(small).toEqual([])
}

let supervisor: { context: BrowserContext; page: Page }
let admin: { context: BrowserContext; page: Page }

beforeAll(async () => {
  server = await startServer()
  const person = (username: string, displayName: string, role: 'inspector' | 'supervisor' | 'admin', cert?: string) =>
    createUser(server.store.db, departments, {
      username,
      displayName,
      department: '省知识产权局',
      role,
      password: PASSWORD,
      ...(cert ? { certificateNumber: cert, certificateExpiry: '2099-12-31' } : {}),
    })
  ids.admin = (await person('wang.admin', '王管理', 'admin')).id
  ids.supervisor = (await person('li.supervisor', '李主管', 'supervisor')).id
  ids.zhao = (await person('zhao.inspector', '赵巡查', 'inspector', '44010020001')).id
  ids.qian = (await person('qian.inspector', '钱巡查', 'inspector', '44010020002')).id

  const made = await server.app.inject({
    method: 'POST',
    url: '/api/campaigns',
    headers: { cookie: await cookieOf('li.supervisor') },
    payload: {
      name: '广交会知识产权保护专项',
      description: '',
      taskNumbers: [28],
      departments: ['省知识产权局'],
      inspectorIds: [ids.zhao, ids.qian],
      startDate: today,
      endDate: inAMonth,
      venues: [],
      requireTwoCertified: true,
    },
  })
  expect(made.statusCode).toBe(201)
  campaign = made.json().campaign as Campaign

  // The lead's phone sends two check-ins, its clock ten minutes fast: one with a certified co-inspector, first
  // in the phone's chain; one alone, naming a place in the chain whose record before it never arrived.
  const at = new Date(Date.now() - 3_600_000).toISOString()
  withCoInspector = makeCheckIn({
    authorId: ids.zhao,
    campaignId: campaign.id,
    venueName: HOSTILE_VENUE,
    occurredAt: at,
    createdAt: at,
    coInspectors: [{ userId: ids.qian, name: '钱巡查', certificateNumber: '44010020002' }],
    chain: { clientId: 'phone-zhao-0001', seq: 1, prev: null },
  })
  alone = makeCheckIn({
    authorId: ids.zhao,
    campaignId: campaign.id,
    venueName: '中大布匹市场',
    occurredAt: at,
    createdAt: at,
    chain: { clientId: 'phone-zhao-0001', seq: 3, prev: 'ab'.repeat(32) },
  })
  const pushed = await server.app.inject({
    method: 'POST',
    url: '/api/sync/push',
    headers: { cookie: await cookieOf('zhao.inspector') },
    payload: {
      clientId: 'phone-zhao-0001',
      clientTime: new Date(Date.now() + 10 * 60_000).toISOString(),
      mutations: [withCoInspector, alone].map((args, i) => ({ seq: i + 1, name: 'checkin.create', args })),
    },
  })
  expect(pushed.json().results.map((r: { status: string }) => r.status)).toEqual(['applied', 'applied'])

  browser = await launchChromium()
  supervisor = await phone()
  admin = await phone('dark')
})
afterAll(async () => {
  await browser?.close()
  await server?.app.close()
})

const itemOf = (page: Page, text: string) => page.getByTestId('report-checkin').filter({ hasText: text })

describe('a supervisor reviews, an admin reads the audit trail', () => {
  it('the supervisor sees what the server found of each check-in, and how many lack two certified inspectors', async () => {
    const { page } = supervisor
    await signIn(page, 'li.supervisor')
    await page.goto(`${server.url}/campaigns/${campaign.id}`)
    await expect.poll(() => page.getByTestId('report-checkin').count()).toBe(2)
    await expect
      .poll(() => page.getByTestId('campaign-two-certified').textContent())
      .toContain('每次检查须两名持有效执法证的人员')
    expect(await page.getByTestId('campaign-two-certified-missing').textContent()).toBe(
      '1 条巡查登记不足两名持证执法人员',
    )

    const pair = itemOf(page, '钱巡查')
    expect(await pair.locator('.venue').textContent()).toBe(HOSTILE_VENUE)
    expect(await pair.getByTestId('report-co-inspectors').textContent()).toContain('钱巡查')
    const flagsOf = (item: ReturnType<typeof itemOf>) =>
      item
        .getByTestId('report-flag')
        .evaluateAll((els) =>
          els.map((el) => [
            el.getAttribute('data-flag'),
            el.getAttribute('data-tone'),
            el.querySelector('span:last-child')?.textContent,
          ]),
        )
    expect(await flagsOf(pair)).toEqual([
      ['twoCertified', 'ok', '持证执法人员 2 名'],
      ['chain', 'ok', '记录链完整（首条）'],
      ['clock', 'warn', '手机时钟快 10 分钟'],
      ['signature', 'warn', '未签名'],
    ])
    const single = itemOf(page, '中大布匹市场')
    expect((await flagsOf(single)).slice(0, 2)).toEqual([
      ['twoCertified', 'danger', '持证执法人员不足两名（1 名）'],
      ['chain', 'warn', '记录链有缺口'],
    ])
    expect(await single.getByTestId('report-inspection').textContent()).toContain('无现场检查笔录')
    await fitsThePhone(page)
  })

  it('downloads the evidence package of a check-in', async () => {
    const { page } = supervisor
    const pair = itemOf(page, '钱巡查')
    const [download] = await Promise.all([page.waitForEvent('download'), pair.getByTestId('evidence-package').click()])
    expect(download.suggestedFilename()).toBe(`evidence-${withCoInspector.id}.zip`)
    const files = unzipSync(new Uint8Array(readFileSync((await download.path())!)))
    expect(Object.keys(files)).toEqual(expect.arrayContaining(['record.json', 'manifest.json', 'manifest.sig']))
    const record = JSON.parse(new TextDecoder().decode(files['record.json']))
    expect(JSON.stringify(record)).toContain(withCoInspector.id)
  })

  it('returns one check-in with a comment and marks the other reviewed; both stand after a reload', async () => {
    const { page } = supervisor
    const pair = itemOf(page, '钱巡查')
    await pair.getByTestId('review-return').click()
    // Sending without a comment is stopped on the phone, said beside the field.
    await pair.getByTestId('review-send-return').click()
    await expect
      .poll(() => pair.getByTestId('review-comment-error').textContent())
      .toBe('退回时请写明意见，让巡查员知道要改什么。')
    await pair.getByLabel('退回意见').fill(HOSTILE_COMMENT)
    await fitsThePhone(page)
    await pair.getByTestId('review-send-return').click()
    await expect.poll(() => pair.getByTestId('review-state').getAttribute('data-state')).toBe('returned')
    expect(await pair.getByTestId('review-comment').textContent()).toBe(HOSTILE_COMMENT)

    const single = itemOf(page, '中大布匹市场')
    await single.getByTestId('review-reviewed').click()
    await expect.poll(() => single.getByTestId('review-state').getAttribute('data-state')).toBe('reviewed')
    expect(await single.getByTestId('review-state').textContent()).toContain('已审核 · 李主管，')
    // What the marks mean, folded away once above the list.
    await page.getByTestId('flags-legend').locator('summary').click()
    expect(await page.getByTestId('flags-legend').textContent()).toContain('记录链：每部手机把自己的记录按顺序连成链')

    await page.reload()
    await expect.poll(() => page.getByTestId('report-checkin').count()).toBe(2)
    await expect
      .poll(() => itemOf(page, '钱巡查').getByTestId('review-state').getAttribute('data-state'))
      .toBe('returned')
    expect(await itemOf(page, '钱巡查').getByTestId('review-comment').textContent()).toBe(HOSTILE_COMMENT)
    expect(await itemOf(page, '中大布匹市场').getByTestId('review-state').getAttribute('data-state')).toBe('reviewed')
    expect(await page.evaluate(() => (window as { __pwned?: number }).__pwned)).toBeUndefined()
    // A supervisor is not offered the audit trail.
    expect(await page.getByTestId('audit-link').count()).toBe(0)
  })

  it('an admin opens the record’s audit trail from the accounts page, in dark mode, markup shown as text', async () => {
    const { page } = admin
    await signIn(page, 'wang.admin')
    await page.goto(`${server.url}/admin/users`)
    await page.getByTestId('audit-link').click()
    await page.waitForURL((u) => u.pathname === '/audit')
    await page.getByLabel('记录编号').fill(withCoInspector.id)
    await page.getByRole('button', { name: '查看' }).first().click()
    await page.waitForURL((u) => u.searchParams.get('recordId') === withCoInspector.id)
    const actions = () =>
      page.getByTestId('audit-entry').evaluateAll((els) => els.map((el) => el.getAttribute('data-action')))
    await expect.poll(actions).toEqual(expect.arrayContaining(['checkin.create', 'evidence.export', 'review.returned']))
    const returned = page.locator('[data-testid="audit-entry"][data-action="review.returned"]')
    expect(await returned.locator('strong').textContent()).toBe('退回')
    expect(await returned.getByTestId('audit-actor').textContent()).toBe('李主管')
    expect(await returned.getByTestId('audit-detail').locator('dd').allTextContents()).toContain(HOSTILE_COMMENT)
    expect(await page.locator('main img, main script').count()).toBe(0)
    // Dark mode: the page's own background, not a white sheet.
    const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor)
    expect(bg).not.toBe('rgb(255, 255, 255)')
    await fitsThePhone(page)
  })

  it('and the supervisor’s own trail from their row in the accounts list', async () => {
    const { page } = admin
    await page.goto(`${server.url}/admin/users`)
    const row = page.getByTestId('user-list').locator('li', { hasText: 'li.supervisor' })
    await row.getByRole('link', { name: '李主管 的操作记录' }).click()
    await page.waitForURL((u) => u.searchParams.get('userId') === ids.supervisor)
    await expect.poll(() => page.getByTestId('audit-heading').textContent()).toBe('李主管 的操作记录')
    await expect
      .poll(() => page.getByTestId('audit-entry').evaluateAll((els) => els.map((el) => el.getAttribute('data-action'))))
      .toEqual(expect.arrayContaining(['campaign.create', 'evidence.export', 'review.returned', 'review.reviewed']))
    await fitsThePhone(page)
    expect(violations).toEqual([])
  })
})
