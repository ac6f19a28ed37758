import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createUser } from '../../server/auth/accounts'
import type { CheckIn } from '../../src/kernel/sync-schema'
import {
  countIn,
  launchChromium,
  signInThroughUi,
  startServer,
  untilStill,
  type RunningServer,
} from '../helpers/browser'
import { realDataset } from '../helpers/seed'

// The check-in form (巡查登记) as a tester walked it on a 360 px phone, in Chinese and in English: the task of a
// link is not lost to a draft, the keyboard's focus is never hidden under the save bar or the navigation, the
// counts show what is saved, and the colleagues' certificates read whole.

let browser: Browser
let server: RunningServer
const GUANGZHOU = { latitude: 23.1291, longitude: 113.2644, accuracy: 20 }
const SHOTS = process.env.ZHIXUN_SHOTS

beforeAll(async () => {
  server = await startServer()
  browser = await launchChromium()
  // Colleagues in the inspector's department, enough to make the list long; 陈立新 as the tester saw him.
  const colleagues: [string, string | null][] = [
    ['陈立新', '440120260004'],
    ['王芳', '440120260005'],
    ['李明', '440120260006'],
    ['张伟', '440120260007'],
    ['刘洋', null],
    ['黄静', '440120260009'],
  ]
  for (const [name, cert] of colleagues)
    await createUser(server.store.db, new Set(realDataset.departments.map((d) => d.name)), {
      username: `e2e.c.${Math.random().toString(36).slice(2, 8)}`,
      displayName: name,
      department: '省知识产权局',
      role: 'inspector',
      password: 'e2e-password-long',
      certificateNumber: cert,
      certificateExpiry: cert ? '2028-12-31' : null,
    })
})
afterAll(async () => {
  await browser?.close()
  await server?.app.close()
})

async function phone(locale: 'zh-CN' | 'en', located = true): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({
    viewport: { width: 360, height: 740 },
    locale: 'zh-CN',
    ...(located ? { permissions: ['geolocation'], geolocation: GUANGZHOU } : {}),
  })
  const page = await context.newPage()
  page.on('dialog', (d) => {
    throw new Error(`a browser dialog appeared: ${d.message()}`)
  })
  await page.goto(server.url)
  await page.evaluate((l) => localStorage.setItem('zhixun.locale', l), locale)
  await signInThroughUi(page, server)
  return { context, page }
}

async function openForm(page: Page, query = '') {
  await page.goto(`${server.url}/checkins/new${query}`)
  await page.getByTestId('venue-name').waitFor()
  await page.waitForLoadState('networkidle')
  await untilStill(page)
}

async function shot(page: Page, name: string) {
  if (SHOTS) await page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: false })
}

/** After a save: the record this phone stored, read from IndexedDB. */
async function savedCheckIn(page: Page): Promise<CheckIn> {
  await page.getByTestId('checkin-page').waitFor()
  const id = new URL(page.url()).pathname.split('/checkins/')[1]!
  return page.evaluate(
    (id) =>
      new Promise<CheckIn>((resolve, reject) => {
        const open = indexedDB.open('zhixun')
        open.onerror = () => reject(open.error)
        open.onsuccess = () => {
          const get = open.result.transaction('checkins').objectStore('checkins').get(id)
          get.onsuccess = () => resolve(get.result.data as CheckIn)
          get.onerror = () => reject(get.error)
        }
      }),
    id,
  )
}

const taskChips = async (page: Page) =>
  (await page.getByTestId('checkin-tasks').locator('li').allTextContents()).map((s) => s.trim())

describe('a task link while a check-in is being written (item 1)', () => {
  it('adds the task to the draft, keeps what was typed, says so, and saves with the task (zh-CN)', async () => {
    const { context, page } = await phone('zh-CN')
    // From the 巡查 tab: no task yet. The venue typed is kept as a draft.
    await openForm(page)
    await page.getByTestId('venue-name').click()
    await page.keyboard.type('东门市场')
    await page.getByTestId('checkin-note').click()
    await page.keyboard.type('二楼档口')
    await expect.poll(() => page.getByText('草稿已自动保存').count()).toBe(1)

    // Task 12's button: the draft comes back with the task added, and the inspector is told.
    await openForm(page, '?task=12')
    expect(await page.getByTestId('venue-name').inputValue()).toBe('东门市场')
    expect(await page.getByTestId('checkin-note').inputValue()).toBe('二楼档口')
    expect(await taskChips(page)).toEqual(['任务 12 ✕'])
    expect(await page.getByTestId('task-added-to-draft').textContent()).toContain('已把任务 12 加入正在填写的登记')
    await shot(page, 'task-added-zh')

    // Kept with the draft at once: a reload without the link still has it, and says nothing more.
    await openForm(page)
    expect(await taskChips(page)).toEqual(['任务 12 ✕'])
    expect(await page.getByTestId('task-added-to-draft').count()).toBe(0)

    await page.getByTestId('save-checkin').click()
    expect(await page.getByTestId('save-summary').count()).toBe(0)
    expect(await savedCheckIn(page)).toMatchObject({ venueName: '东门市场', note: '二楼档口', taskNumbers: [12] })
    await context.close()
  })

  it('adds the task after those already linked, once, and says so in English', async () => {
    const { context, page } = await phone('en')
    await openForm(page, '?task=28')
    await page.getByTestId('venue-name').click()
    await page.keyboard.type('East Gate Market')
    await expect.poll(() => page.getByText('Draft saved').count()).toBe(1)

    await openForm(page, '?task=12')
    expect(await page.getByTestId('venue-name').inputValue()).toBe('East Gate Market')
    expect(await taskChips(page)).toEqual(['Task 28 ✕', 'Task 12 ✕'])
    expect(await page.getByTestId('task-added-to-draft').textContent()).toContain(
      'Task 12 added to the check-in you were writing',
    )
    await shot(page, 'task-added-en')

    // A task already linked: nothing added, nothing said.
    await openForm(page, '?task=28')
    expect(await taskChips(page)).toEqual(['Task 28 ✕', 'Task 12 ✕'])
    expect(await page.getByTestId('task-added-to-draft').count()).toBe(0)
    await context.close()
  })
})

/**
 * Tabs through the form from `start` on; at each stop, the focused element must be on screen: below the sticky
 * header, and above the sticky save bar (unless it is in the bar) and the bottom navigation. Returns what was
 * visited, as the focused elements' test ids or ids.
 */
async function tabThrough(page: Page, start: string, until: (visited: string) => boolean): Promise<string[]> {
  await page.locator(start).focus()
  const visited: string[] = []
  for (let i = 0; i < 120; i++) {
    await page.keyboard.press('Tab')
    // Scrolling to the focus is done by the next frame.
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))))
    const at = await page.evaluate(() => {
      const el = document.activeElement as HTMLElement
      const r = el.getBoundingClientRect()
      const header = document.querySelector('.app-header')!.getBoundingClientRect()
      const nav = document.querySelector('.bottom-nav')!.getBoundingClientRect()
      const bar = document.querySelector('[data-testid="checkin-form"] .actions')
      const inBar = bar?.contains(el) ?? false
      return {
        height: r.height,
        name: el.dataset.testid || el.id || `${el.tagName.toLowerCase()}:${el.textContent?.trim().slice(0, 20)}`,
        top: r.top,
        bottom: r.bottom,
        headerBottom: header.bottom,
        navTop: nav.top,
        barTop: bar && !inBar ? bar.getBoundingClientRect().top : nav.top,
      }
    })
    visited.push(at.name)
    expect(at.top, `${at.name} below the header`).toBeGreaterThanOrEqual(at.headerBottom)
    // Whole; one taller than half the screen (the findings of an inspection record) from its top, some lines of it.
    const shown = at.height > 370 ? at.top + 100 : at.bottom
    expect(shown, `${at.name} above the save bar`).toBeLessThanOrEqual(at.barTop)
    expect(shown, `${at.name} above the navigation`).toBeLessThanOrEqual(at.navTop)
    if (until(at.name)) break
  }
  return visited
}

describe('the keyboard focus, at 360 px (item 2)', () => {
  for (const locale of ['zh-CN', 'en'] as const)
    it(`stays clear of the save bar and the navigation, Tab by Tab through the check-in form (${locale})`, async () => {
      const { context, page } = await phone(locale)
      await expect.poll(() => countIn(page, 'colleagues'), { timeout: 20_000 }).toBeGreaterThanOrEqual(6)
      await openForm(page, '?task=28')
      await page.getByTestId('co-inspector').first().waitFor()
      const visited = await tabThrough(page, '#ci-venue', (name) => name === 'save-checkin')
      for (const name of ['co-inspector-filter', 'premises', 'seized', 'ci-add-task', 'save-checkin'])
        expect(visited, name).toContain(name)
      // The colleagues' checkboxes were visited too.
      expect(visited.filter((n) => n.startsWith('input:')).length).toBeGreaterThanOrEqual(5)
      await context.close()
    })

  it('stays clear of the navigation in the inspection record (笔录) too', async () => {
    const { context, page } = await phone('zh-CN')
    await openForm(page, '?task=28')
    await page.getByTestId('location').waitFor()
    await page.getByTestId('venue-name').fill('东门市场')
    await page.getByTestId('save-checkin').click()
    await page.getByTestId('checkin-page').waitFor()
    await page.getByTestId('inspection-make').click()
    await page.getByTestId('inspection-draft').waitFor()
    await untilStill(page)
    await page.getByTestId('insp-add-item').click()
    const visited = await tabThrough(page, '#insp-start', (name) => name === 'insp-refuses')
    for (const name of ['insp-party-person', 'insp-findings', 'insp-item-count-0', 'insp-add-item'])
      expect(visited).toContain(name)
    await context.close()
  })
})

describe('the counts (item 3)', () => {
  for (const [locale, hint] of [
    ['zh-CN', '不填时，检查场所数按 1 记录，查扣物品数按 0 记录。'],
    ['en', 'Left blank, premises inspected is saved as 1 and items seized as 0.'],
  ] as const)
    it(`show no grey numbers that look typed, and say what a blank one is saved as (${locale})`, async () => {
      const { context, page } = await phone(locale)
      await openForm(page, '?task=28')
      await page.getByTestId('location').waitFor()
      for (const f of ['premises', 'seized']) {
        expect(await page.getByTestId(f).inputValue(), f).toBe('')
        expect(await page.getByTestId(f).getAttribute('placeholder'), f).toBeNull()
        expect(await page.getByTestId(f).getAttribute('aria-describedby'), f).toContain('ci-counts-hint')
      }
      expect((await page.getByTestId('counts-hint').textContent())?.trim()).toBe(hint)
      await page.getByTestId('premises').scrollIntoViewIfNeeded()
      await shot(page, `counts-${locale}`)
      // Saved as the hint says.
      await page.getByTestId('venue-name').fill('东门市场')
      await page.getByTestId('save-checkin').click()
      expect(await savedCheckIn(page)).toMatchObject({ premisesInspected: 1, itemsSeized: 0 })
      await context.close()
    })
})

/** How many lines `text` takes inside `el` (by the distinct tops of its boxes). */
function linesOf(page: Page, selector: string, name: string, text: string): Promise<number> {
  return page.evaluate(
    ([selector, name, text]) => {
      const row = [...document.querySelectorAll(selector)].find((e) => e.textContent!.includes(name))!
      const walker = document.createTreeWalker(row, NodeFilter.SHOW_TEXT)
      for (let n = walker.nextNode(); n; n = walker.nextNode()) {
        const i = n.textContent!.indexOf(text)
        if (i < 0) continue
        const range = document.createRange()
        range.setStart(n, i)
        range.setEnd(n, i + text.length)
        return new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size
      }
      return -1
    },
    [selector, name, text] as const,
  )
}

describe('the colleagues (items 4 and 5)', () => {
  for (const locale of ['zh-CN', 'en'] as const)
    it(`keep a certificate's number and date on one line, and their name apart from it (${locale})`, async () => {
      const { context, page } = await phone(locale)
      await expect.poll(() => countIn(page, 'colleagues'), { timeout: 20_000 }).toBeGreaterThanOrEqual(6)
      await openForm(page, '?task=28')
      await page.getByTestId('location').waitFor()
      const chen = page.getByTestId('co-inspector').filter({ hasText: '陈立新' })
      await chen.scrollIntoViewIfNeeded()
      await shot(page, `colleagues-${locale}`)
      for (const text of ['2028-12-31', '440120260004'])
        expect(await linesOf(page, '[data-testid="co-inspector"]', '陈立新', text), text).toBe(1)
      // The whole line reads as before.
      expect((await chen.textContent())?.replace(/\s+/g, ' ')).toContain(
        locale === 'zh-CN'
          ? '执法证 440120260004，有效期至 2028-12-31'
          : 'Certificate 440120260004, valid until 2028-12-31',
      )

      // Picked and saved: the check-in names him, then his certificate, apart.
      await chen.locator('input').check()
      await page.getByTestId('venue-name').fill('东门市场')
      await page.getByTestId('save-checkin').click()
      await page.getByTestId('checkin-page').waitFor()
      const shown = page.getByTestId('checkin-co-inspectors')
      await shown.scrollIntoViewIfNeeded()
      await shot(page, `checkin-co-inspectors-${locale}`)
      expect((await shown.textContent())?.trim()).toBe(
        locale === 'zh-CN' ? '陈立新 · 执法证 440120260004' : '陈立新 · certificate 440120260004',
      )
      await context.close()
    })
})
