import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchChromium, signInThroughUi, startServer, untilStill, type RunningServer } from '../helpers/browser'
import { storedChanges } from '../helpers/stored-changes'

/**
 * What an inspector sees of the app's state (issue 10, items 5 and 9): the sync panel part by part when the
 * campaign list fails on a weak link after the records went up, what a newcomer sees signed out, the one-time
 * "ready offline" notice, and Settings' storage answer and last dataset check. 360 × 740, zh-CN and English.
 */

let browser: Browser
let server: RunningServer

/** How the server answers the campaign list: normally, holding it until released, or dropping the connection. */
let campaignList: 'ok' | 'hold' | 'drop' = 'ok'
let held = 0
let release: () => void = () => undefined
const releaseHeld = new Promise<void>((r) => (release = r))

function configure(app: RunningServer['app']) {
  app.addHook('onRequest', async (req) => {
    if (req.url !== '/api/campaigns' && !req.url.startsWith('/api/campaigns?')) return
    if (campaignList === 'hold') {
      held++
      await releaseHeld
    }
    // A weak link giving out: the phone's fetch fails as it does with no network.
    if (campaignList !== 'ok') req.raw.socket.destroy()
  })
}

beforeAll(async () => {
  server = await startServer({ configure })
  browser = await launchChromium()
})
afterAll(async () => {
  release()
  await browser?.close()
  await server?.app.close()
})

async function phone(locale: 'zh-CN' | 'en'): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 360, height: 740 }, locale })
  const page = await context.newPage()
  await page.goto(server.url)
  if (locale === 'en') {
    await page.evaluate(() => localStorage.setItem('zhixun.locale', 'en'))
    await page.reload()
  }
  await page.locator('[data-testid="section-list"] li').first().waitFor()
  return { context, page }
}

/** Counts layout shifts from now on (none of them after the person's own input). */
async function watchLayoutShifts(page: Page): Promise<() => Promise<number>> {
  await page.evaluate(() => {
    const w = window as unknown as { __shifts: number[] }
    w.__shifts = []
    new PerformanceObserver((list) => {
      for (const e of list.getEntries() as (PerformanceEntry & { value: number; hadRecentInput: boolean })[])
        if (!e.hadRecentInput) w.__shifts.push(e.value)
    }).observe({ type: 'layout-shift' })
  })
  return () => page.evaluate(() => (window as unknown as { __shifts: number[] }).__shifts.length)
}

const box = async (page: Page, selector: string) => {
  const b = await page.locator(selector).first().boundingBox()
  if (!b) throw new Error(`${selector} is not on screen`)
  return b
}

describe('the sync panel when the campaign list fails after the records went up (item 5)', () => {
  it('shows every record sent and a separate campaign-list problem, not "cannot reach the server"; nothing moves', async () => {
    const { context, page } = await phone('zh-CN')
    await signInThroughUi(page, server)
    await expect.poll(() => page.getByTestId('header-sync').textContent(), { timeout: 20_000 }).toContain('同步于')
    // The sync after signing in is over once the campaign list came down too.
    await page.getByRole('link', { name: '记录', exact: true }).click()
    await expect
      .poll(() => page.getByTestId('part-campaigns').textContent(), { timeout: 20_000 })
      .toMatch(/^专项行动列表：已更新/)

    // From now on the campaign list hangs, as on a weak link; the check-in itself goes through.
    campaignList = 'hold'
    await page.goto(`${server.url}/checkins/new?task=28`)
    await page.getByTestId('venue-name').click()
    await page.keyboard.type('东门市场')
    await page.getByTestId('venue-type').selectOption('market')
    await page.getByTestId('outcome-suspected').check()
    await page.getByTestId('checkin-note').click()
    await page.keyboard.type('疑似仿冒耳机。')
    await page.getByTestId('save-checkin').click()
    // No location: the form asks once whether to save without one.
    await page.getByTestId('confirm-save').click()
    await page.getByTestId('checkin-page').waitFor()
    await page.getByRole('link', { name: '记录', exact: true }).click()
    await page.getByTestId('sync-panel').waitFor()

    // The record is on the server while the campaign list is still being asked for.
    await expect.poll(() => held, { timeout: 20_000 }).toBeGreaterThan(0)
    await expect
      .poll(() => page.getByTestId('unsent-count').textContent(), { timeout: 20_000 })
      .toContain('所有记录都已上传到服务器')
    await expect.poll(() => page.getByTestId('part-campaigns').textContent()).toBe('专项行动列表：正在更新…')
    const changes = await storedChanges(server.store.db)
    expect(changes.filter((c) => (c.data as { venueName?: string }).venueName === '东门市场')).toHaveLength(1)

    await untilStill(page)
    const item = '[data-testid="checkin-list"] li'
    const before = await box(page, item)
    const shifts = await watchLayoutShifts(page)

    // The campaign list's connection gives out.
    campaignList = 'drop'
    release()
    await expect
      .poll(() => page.getByTestId('part-campaigns').textContent(), { timeout: 20_000 })
      .toBe('专项行动列表：未能更新：网络不通或太慢')
    const panel = (await page.getByTestId('sync-panel').textContent())!
    expect(panel).toContain('所有记录都已上传到服务器')
    expect(panel).not.toContain('连不上服务器')
    expect(await page.getByTestId('records-status').getAttribute('class')).not.toContain('error')
    expect(await page.getByTestId('part-dataset').textContent()).toMatch(/^任务数据：已是最新/)
    expect(await page.getByTestId('header-sync').textContent()).toContain('已全部上传')
    expect(await box(page, item)).toEqual(before)
    expect(await shifts()).toBe(0)
    // The part's line fits 360 px whole, not cut off.
    const cut = await page
      .getByTestId('part-campaigns')
      .locator('dd')
      .evaluate((dd) => dd.scrollWidth > dd.clientWidth)
    expect(cut).toBe(false)

    // In English, through Settings as a person switches.
    await page.getByRole('link', { name: '设置', exact: true }).click()
    await page.locator('label', { hasText: 'English' }).click()
    await page.getByRole('link', { name: 'Records', exact: true }).click()
    await expect
      .poll(() => page.getByTestId('part-campaigns').textContent(), { timeout: 20_000 })
      .toBe('Campaigns:Not updated (network)')
    const en = (await page.getByTestId('sync-panel').textContent())!
    expect(en).toContain('Every record is on the server')
    expect(en).not.toContain("can't be reached")
    const cutEn = await page
      .getByTestId('part-campaigns')
      .locator('dd')
      .evaluate((dd) => dd.scrollWidth > dd.clientWidth)
    expect(cutEn).toBe(false)

    campaignList = 'ok'
    await context.close()
  })
})

describe('signed out (item 9)', () => {
  for (const [locale, header, needed, allSent] of [
    ['zh-CN', '登录后才能记录', '记录巡查和笔记需要先登录。', '所有记录都已上传到服务器'],
    ['en', 'sign in to record', 'Recording check-ins and notes needs you to sign in.', 'Every record is on the server'],
  ] as const) {
    it(`says recording needs signing in, in the header and on the records page, with no sync button (${locale})`, async () => {
      const { context, page } = await phone(locale)
      const headerText = (await page.getByTestId('header-sync').textContent())!.trim()
      expect(headerText).toBe(header)
      await page.getByRole('link', { name: locale === 'en' ? 'Records' : '记录', exact: true }).click()
      await page.getByTestId('sign-in-needed').waitFor()
      expect(await page.getByTestId('sign-in-needed').textContent()).toContain(needed)
      expect(await page.locator('main').textContent()).not.toContain(allSent)
      expect(await page.getByTestId('sync-now').count()).toBe(0)
      await context.close()
    })
  }
})

describe('ready to use offline (item 9)', () => {
  const ready = (page: Page) => page.locator('[data-testid="offline-ready"][data-state="ready"]')

  it('says so once, in a place of its own, without moving the page, and not again after a reload', async () => {
    const context = await browser.newContext({ viewport: { width: 360, height: 740 }, locale: 'zh-CN' })
    const page = await context.newPage()
    await page.goto(server.url)
    const item = '[data-testid="section-list"] li'
    await page.locator(item).first().waitFor()
    const before = await box(page, item)
    const shifts = await watchLayoutShifts(page)
    const notice = ready(page)
    await notice.waitFor({ timeout: 30_000 })
    expect(await notice.innerText()).toContain('知巡已可离线使用')
    expect(await page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true)
    expect(await box(page, item)).toEqual(before)
    expect(await shifts()).toBe(0)
    await page.getByTestId('offline-ready-ok').click()
    await notice.waitFor({ state: 'detached' })

    await page.reload()
    await page.locator(item).first().waitFor()
    // The notice is decided as soon as the worker is ready and the dataset read: both are by now, and the page
    // has stopped changing, so a notice due would be on screen.
    await page.evaluate(() => navigator.serviceWorker.ready)
    await untilStill(page)
    expect(await page.getByTestId('offline-ready').count()).toBe(0)
    await context.close()
  })

  for (const [locale, colorScheme, title, ok] of [
    ['zh-CN', 'light', '知巡已可离线使用', '知道了'],
    ['en', 'dark', 'Zhixun now works offline', 'Got it'],
  ] as const) {
    it(`sits below the header at 360 px, never over it or its buttons; nothing moves from the first paint on (${locale}, ${colorScheme})`, async () => {
      const context = await browser.newContext({ viewport: { width: 360, height: 740 }, locale, colorScheme })
      await context.addInitScript((locale) => {
        if (locale === 'en') localStorage.setItem('zhixun.locale', 'en')
        const shifts: number[] = []
        Object.assign(window, { __allShifts: shifts })
        new PerformanceObserver((list) => {
          for (const e of list.getEntries() as (PerformanceEntry & { value: number; hadRecentInput: boolean })[])
            if (!e.hadRecentInput) shifts.push(e.value)
        }).observe({ type: 'layout-shift', buffered: true })
      }, locale)
      const page = await context.newPage()
      await page.goto(server.url)
      const header = page.locator('header.app-header')
      const notice = page.getByTestId('offline-ready')
      const below = async () => {
        const h = (await header.boundingBox())!
        const n = (await notice.boundingBox())!
        // Below the header's bar (its brand and sync links with it), and inside the screen's width.
        expect(n.y).toBeGreaterThanOrEqual(h.y + h.height)
        expect(n.x).toBeGreaterThanOrEqual(0)
        expect(n.x + n.width).toBeLessThanOrEqual(360)
        for (const link of await header.locator('a').all()) {
          const l = (await link.boundingBox())!
          expect(l.y + l.height <= n.y || l.y >= n.y + n.height).toBe(true)
        }
        return n
      }
      await expect.poll(() => notice.innerText(), { timeout: 30_000 }).toContain(title)
      const at = await below()
      const button = (await page.getByTestId('offline-ready-ok').boundingBox())!
      expect(button.height).toBeGreaterThanOrEqual(44)
      expect(button.width).toBeGreaterThanOrEqual(44)
      expect(await page.getByTestId('offline-ready-ok').innerText()).toBe(ok)
      // Nothing cut off: the notice's lines wrap inside it.
      expect(await notice.evaluate((n) => n.scrollWidth <= n.clientWidth)).toBe(true)
      await untilStill(page)
      await page.screenshot({ path: `/tmp/zhixun-offline-ready-${locale}-${colorScheme}.png` })
      // Scrolled, the sticky header stays on top and the notice goes up with the page, under it.
      await page.mouse.wheel(0, 60)
      await untilStill(page)
      const h = (await header.boundingBox())!
      const n = (await notice.boundingBox())!
      expect(n.y).toBeLessThan(at.y)
      expect(
        await page.evaluate(({ x, y }) => document.elementFromPoint(x, y)?.closest('header') !== null, {
          x: n.x + n.width / 2,
          y: h.y + h.height / 2,
        }),
      ).toBe(true)
      expect(await page.evaluate(() => (window as unknown as { __allShifts: number[] }).__allShifts)).toEqual([])
      await page.getByTestId('offline-ready-ok').click()
      await notice.waitFor({ state: 'detached' })
      await context.close()
    })
  }

  it('waits while a form is open, and says it on the next page read', async () => {
    const context = await browser.newContext({ viewport: { width: 360, height: 740 }, locale: 'zh-CN' })
    const page = await context.newPage()
    await page.goto(`${server.url}/checkins/new`)
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, { timeout: 30_000 })
    await untilStill(page)
    // Ready offline by now (the worker controls the page, the task data is read), but the first visit is a form:
    // a notice there would push its first field down.
    expect(await page.getByTestId('offline-ready').count()).toBe(0)
    await page.getByRole('link', { name: '首页', exact: true }).click()
    const notice = ready(page)
    await notice.waitFor({ timeout: 30_000 })
    expect(await notice.innerText()).toContain('知巡已可离线使用')
    await context.close()
  })
})

describe('the sync panel after an offline reload', () => {
  it('says when the campaign list came down and that a record was saved just now, in both languages', async () => {
    const { context, page } = await phone('zh-CN')
    await page.evaluate(() => localStorage.setItem('zhixun.offlineReadyShown', 'yes'))
    await signInThroughUi(page, server)
    await page.getByRole('link', { name: '记录', exact: true }).click()
    await expect
      .poll(() => page.getByTestId('part-campaigns').textContent(), { timeout: 20_000 })
      .toMatch(/^专项行动列表：已更新（/)
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, { timeout: 30_000 })

    // Offline: a check-in stays on the phone; then the app starts again with no network.
    await context.setOffline(true)
    await page.goto(`${server.url}/checkins/new?task=28`)
    await page.getByTestId('venue-name').click()
    await page.keyboard.type('西门市场')
    await page.getByTestId('venue-type').selectOption('market')
    await page.getByTestId('outcome-suspected').check()
    await page.getByTestId('save-checkin').click()
    await page.getByTestId('confirm-save').click()
    await page.getByTestId('checkin-page').waitFor()
    await page.reload()
    await page.getByRole('link', { name: '记录', exact: true }).click()
    await page.getByTestId('sync-panel').waitFor()
    const part = page.getByTestId('part-campaigns')
    await expect.poll(() => page.getByTestId('unsent-count').innerText()).toContain('最早的一条刚刚保存在本机')
    expect(await part.innerText()).toMatch(/^专项行动列表：\s*已更新（/)
    await untilStill(page)
    await page.screenshot({ path: '/tmp/zhixun-sync-offline-zh-CN.png' })

    await page.getByRole('link', { name: '设置', exact: true }).click()
    await page.locator('label', { hasText: 'English' }).click()
    await page.getByRole('link', { name: 'Records', exact: true }).click()
    await page.getByTestId('sync-panel').waitFor()
    await expect
      .poll(() => page.getByTestId('unsent-count').innerText())
      .toContain('the oldest was saved on this phone just now')
    expect(await part.innerText()).toMatch(/^Campaigns:\s*Updated /)
    await untilStill(page)
    await page.screenshot({ path: '/tmp/zhixun-sync-offline-en.png' })
    await context.setOffline(false)
    await context.close()
  })
})

describe('Settings (item 9)', () => {
  it('shows the answer to the storage request, and the last dataset check after an offline reload', async () => {
    const { context, page } = await phone('zh-CN')
    await page.getByRole('link', { name: '设置', exact: true }).click()
    const checked = page.getByTestId('last-checked')
    await expect.poll(() => checked.textContent(), { timeout: 20_000 }).not.toBe('—')
    const at = await checked.textContent()

    const ask = page.getByTestId('ask-persist')
    if (await ask.count()) {
      await ask.click()
      const answer = page.getByTestId('persist-answer')
      await answer.waitFor()
      const persisted = await page.evaluate(() => navigator.storage.persisted())
      expect(await answer.textContent()).toContain(persisted ? '浏览器已同意持久保存' : '浏览器暂未同意')
    } else {
      // The browser agreed at start-up already: Settings says so and offers nothing to ask.
      expect(await page.getByTestId('persisted').textContent()).toContain('已获准持久保存')
    }

    // Offline, the start-up check fails: the last one that worked is still what Settings shows.
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null)
    await context.setOffline(true)
    await page.reload()
    await page.locator('h1').waitFor()
    await untilStill(page)
    expect(await checked.textContent()).toBe(at)
    await context.setOffline(false)
    await context.close()
  })
})
