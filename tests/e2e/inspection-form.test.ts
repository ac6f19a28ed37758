/**
 * The 现场检查笔录 as the tester found it, in Chromium at 360 px in both languages: each sign button says whose
 * signature it takes; a count typed with its unit ("12件", "3 boxes") keeps the unit in the item's unit field and
 * says so, and a count that is no number is refused and said why; and the signed record names its inspecting
 * agency on every phone that opens it (the author's second phone, which pulled it, and the supervisor's, which
 * reads it from the server), never "None".
 */
import { mkdirSync } from 'node:fs'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createUser } from '../../server/auth/accounts'
import type { Inspection } from '../../src/kernel/sync-schema'
import { launchChromium, signInThroughUi, startServer, type RunningServer } from '../helpers/browser'
import { realDataset } from '../helpers/seed'

const DEPARTMENT = '省知识产权局'
const DEPARTMENT_EN = 'Guangdong Intellectual Property Office'
const PASSWORD = 'e2e-password-long'
const LEAD = '陈立新'
const SHOTS = process.env.ZHIXUN_SHOTS

let browser: Browser
let server: RunningServer
let context: BrowserContext
let page: Page
let lead: { id: string; username: string }
let draftId: string
const contexts: BrowserContext[] = []

async function newPhone(locale: 'zh-CN' | 'en'): Promise<Page> {
  const c = await browser.newContext({ viewport: { width: 360, height: 740 }, locale: 'zh-CN' })
  contexts.push(c)
  const p = await c.newPage()
  // Until the page itself changes it: the language as the user last chose it.
  await p.addInitScript((l) => {
    if (!localStorage.getItem('zhixun.locale')) localStorage.setItem('zhixun.locale', l)
  }, locale)
  return p
}

async function signIn(p: Page, username: string) {
  await p.goto(`${server.url}/signin`)
  await p.getByTestId('sign-in-username').fill(username)
  await p.getByTestId('sign-in-password').fill(PASSWORD)
  await p.getByTestId('sign-in-submit').click()
  await p.waitForURL((u) => !u.pathname.startsWith('/signin'))
}

async function setLocale(p: Page, locale: 'zh-CN' | 'en') {
  // The draft is kept a moment after typing stops: let it be, then reload in the other language.
  await p.waitForTimeout(1000)
  await p.evaluate((l) => localStorage.setItem('zhixun.locale', l), locale)
  await p.reload()
}

async function shot(p: Page, name: string) {
  if (!SHOTS) return
  mkdirSync(SHOTS, { recursive: true })
  await p.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true })
}

async function drawSignature(p: Page) {
  const canvas = p.getByTestId('signature-canvas')
  await canvas.scrollIntoViewIfNeeded()
  const box = (await canvas.boundingBox())!
  await p.mouse.move(box.x + 20, box.y + box.height / 2)
  await p.mouse.down()
  for (let i = 1; i <= 12; i++)
    await p.mouse.move(box.x + 20 + i * ((box.width - 40) / 12), box.y + box.height / 2 + (i % 2 ? -30 : 30))
  await p.mouse.up()
  await p.getByTestId('signature-done').click()
  await p.getByTestId('insp-pad').waitFor({ state: 'detached' })
}

/** The sign buttons' accessible names, as a screen reader lists them. */
const signButtonNames = (p: Page) =>
  p
    .locator(
      '[data-testid^="insp-sign-inspector-"], [data-testid="insp-sign-party"], [data-testid="insp-sign-witness"]',
    )
    .evaluateAll((els) => els.map((el) => el.getAttribute('aria-label') ?? el.textContent!.trim()))

/** The agency as the opened record's document shows it: its field, and each page's header. */
async function agencyShown(p: Page, id: string) {
  await p.goto(`${server.url}/inspections/${id}`)
  await p.locator('[data-testid="inspection-doc"][data-measured="true"]').waitFor()
  const doc = p.getByTestId('inspection-doc')
  return {
    field: (await doc.locator('.doc-viewport [data-block="agency"] .doc-value').first().textContent())?.trim(),
    headers: (await doc.locator('.doc-viewport .doc-header-agency').allTextContents()).map((h) => h.trim()),
  }
}

beforeAll(async () => {
  server = await startServer()
  browser = await launchChromium()
  const username = `e2e.form.${Math.random().toString(36).slice(2, 8)}`
  const user = await createUser(server.store.db, new Set(realDataset.departments.map((d) => d.name)), {
    username,
    displayName: LEAD,
    department: DEPARTMENT,
    role: 'inspector',
    password: PASSWORD,
    certificateNumber: '粤执 440100-2001',
    certificateExpiry: '2035-12-31',
  })
  lead = { id: user.id, username }
  context = await browser.newContext({ viewport: { width: 360, height: 740 }, locale: 'zh-CN' })
  contexts.push(context)
  page = await context.newPage()
  await signIn(page, username)
  await page.goto(`${server.url}/checkins/new?task=28`)
  await page.getByTestId('venue-name').fill('琶洲展馆 B 区')
  await page.getByTestId('venue-type').selectOption('trade_fair')
  await page.getByTestId('outcome-suspected').check()
  await page.getByTestId('save-checkin').click()
  await page.getByTestId('confirm-save').click()
  await page.getByTestId('checkin-page').waitFor()
  const checkInId = page.url().split('/checkins/')[1]!
  await page.goto(`${server.url}/checkins/${checkInId}/inspection`)
  await page.getByTestId('inspection-draft').waitFor()
  draftId = page.url().split('/inspections/')[1]!
  await page.getByTestId('insp-party-name').fill('广州市某某商行')
  await page.getByTestId('insp-party-person').fill('王经理')
}, 120_000)

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => undefined)
  await browser?.close()
  await server?.app.close()
})

describe('the 现场检查笔录 at 360 px', () => {
  it('names each sign button by whose signature it takes, in Chinese and in English', async () => {
    await expect.poll(() => signButtonNames(page)).toEqual([`签名：检查人员 ${LEAD}`, '签名：当事人 王经理'])
    // The visible word stays, and is the start of the name (what a voice user says is what they see).
    expect(await page.getByRole('button', { name: `签名：检查人员 ${LEAD}`, exact: true }).textContent()).toContain(
      '签名',
    )
    await page.getByTestId('insp-refuses').check()
    await page.getByTestId('insp-witness-name').fill('赵见证')
    await expect.poll(() => signButtonNames(page)).toEqual([`签名：检查人员 ${LEAD}`, '签名：见证人 赵见证'])
    await page.getByTestId('insp-signatures').scrollIntoViewIfNeeded()
    await shot(page, 'sign-buttons-zh')

    await setLocale(page, 'en')
    await page.getByTestId('inspection-draft').waitFor()
    await expect.poll(() => signButtonNames(page)).toEqual([`Sign: inspector ${LEAD}`, 'Sign: witness 赵见证'])
    await page.getByTestId('insp-refuses').uncheck()
    await expect.poll(() => signButtonNames(page)).toEqual([`Sign: inspector ${LEAD}`, 'Sign: party 王经理'])
    await page.getByTestId('insp-signatures').scrollIntoViewIfNeeded()
    await shot(page, 'sign-buttons-en')
    await setLocale(page, 'zh-CN')
    await page.getByTestId('inspection-draft').waitFor()
  })

  it('keeps the unit typed with a count in the unit field and says so; refuses a count that is no number', async () => {
    await page.getByTestId('insp-add-item').click()
    await page.getByTestId('insp-item-name-0').fill('蓝牙耳机')
    const count0 = page.getByTestId('insp-item-count-0')
    await count0.fill('12件')
    await count0.press('Tab')
    await expect.poll(() => count0.inputValue()).toBe('12')
    expect(await page.getByTestId('insp-item-unit-0').inputValue()).toBe('件')
    expect(await page.getByTestId('insp-count-note-0').textContent()).toContain('“件”已移到“单位”栏')
    expect(await page.getByLabel('数量（数字）').count()).toBe(1)

    // Not a number: refused and said, the count kept as it was and shown so.
    await count0.fill('1.5')
    await count0.press('Tab')
    const note = page.getByTestId('insp-count-note-0')
    await expect.poll(() => note.getAttribute('role')).toBe('alert')
    expect(await note.textContent()).toContain('“1.5”没有记入，数量仍为 12')
    expect(await count0.inputValue()).toBe('12')
    expect(await count0.getAttribute('aria-describedby')).toBe('insp-count-note-0')
    await count0.scrollIntoViewIfNeeded()
    await shot(page, 'count-refused-zh')
    await count0.fill('12')
    await count0.press('Tab')
    await expect.poll(() => note.count()).toBe(0)

    // In English, typed a key at a time as on a keyboard: judged once the field is left.
    await setLocale(page, 'en')
    await page.getByTestId('inspection-draft').waitFor()
    await page.getByTestId('insp-add-item').click()
    await page.getByTestId('insp-item-name-1').fill('Phone cases')
    const count1 = page.getByTestId('insp-item-count-1')
    await count1.fill('')
    await count1.pressSequentially('3 boxes')
    await count1.press('Tab')
    await expect.poll(() => count1.inputValue()).toBe('3')
    expect(await page.getByTestId('insp-item-unit-1').inputValue()).toBe('boxes')
    expect(await page.getByTestId('insp-count-note-1').textContent()).toContain('“boxes” went to the Unit field')
    expect(await page.getByLabel('Count (number)').count()).toBe(2)
    await count1.scrollIntoViewIfNeeded()
    await shot(page, 'count-unit-en')
    // Nothing sideways at 360 px with the unit field beside the count.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360)
    const unitBox = (await page.getByTestId('insp-item-unit-1').boundingBox())!
    expect(unitBox.x + unitBox.width).toBeLessThanOrEqual(360)
    expect(unitBox.height).toBeGreaterThanOrEqual(44)

    // The party reads the counts with their units.
    await page.getByTestId('insp-show').click()
    const flow = page.getByTestId('reading-flow')
    await expect.poll(() => flow.textContent()).toContain('1. 蓝牙耳机: 12 件')
    expect(await flow.textContent()).toContain('2. Phone cases: 3 boxes')
    await page.getByTestId('insp-reading-close').click()
    await setLocale(page, 'zh-CN')
    await page.getByTestId('inspection-draft').waitFor()
  })

  it('signs with the units kept, and names the agency on the author’s second phone and the supervisor’s', async () => {
    await page.getByTestId(`insp-sign-inspector-${lead.id}`).click()
    await drawSignature(page)
    await page.getByTestId('insp-sign-party').click()
    await drawSignature(page)
    await page.getByTestId('insp-sign').click()
    await page.getByTestId('inspection-signed').waitFor()
    // Signed, locked, and on the server.
    const onServer = async () => {
      const row = await server.store.db
        .selectFrom('records')
        .select(['data'])
        .where('id', '=', draftId)
        .executeTakeFirst()
      return row?.data ? (JSON.parse(row.data) as Inspection) : null
    }
    await expect.poll(onServer, { timeout: 30_000 }).not.toBeNull()
    const itemsShown = await page.locator('.doc-viewport').textContent()
    expect(await agencyShown(page, draftId)).toEqual({
      field: DEPARTMENT,
      headers: expect.arrayContaining([DEPARTMENT]),
    })

    // The same inspector on a second phone in English: the record pulled back from the server.
    const second = await newPhone('en')
    await signIn(second, lead.username)
    const onSecond = await agencyShown(second, draftId)
    expect(onSecond.field).toBe(DEPARTMENT_EN)
    expect(onSecond.headers.length).toBeGreaterThan(0)
    expect(new Set(onSecond.headers)).toEqual(new Set([DEPARTMENT_EN]))
    await shot(second, 'agency-second-phone-en')

    // The department's supervisor, reading it from the server, in English and in Chinese.
    const boss = await newPhone('en')
    await signInThroughUi(boss, server, 'supervisor', DEPARTMENT)
    const forBoss = await agencyShown(boss, draftId)
    expect(forBoss.field).toBe(DEPARTMENT_EN)
    expect(new Set(forBoss.headers)).toEqual(new Set([DEPARTMENT_EN]))
    await shot(boss, 'agency-supervisor-en')
    await setLocale(boss, 'zh-CN')
    expect(await agencyShown(boss, draftId)).toEqual({
      field: DEPARTMENT,
      headers: expect.arrayContaining([DEPARTMENT]),
    })
    await shot(boss, 'agency-supervisor-zh')

    // The units as typed, in the record on the server and in the document.
    expect((await onServer())!.items).toEqual([
      { name: '蓝牙耳机', count: 12, unit: '件' },
      { name: 'Phone cases', count: 3, unit: 'boxes' },
    ])
    expect(itemsShown).toContain('1. 蓝牙耳机：12件')
  })
})
