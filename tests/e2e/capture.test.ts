import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CheckIn } from '../../src/kernel/sync-schema'
import { launchChromium, signInThroughUi, startServer, untilStill, type RunningServer } from '../helpers/browser'

// The check-in form as an inspector uses it on a 360 px phone: counts typed with the keyboard are the counts
// saved, a failed save takes them to what is missing, and the location is taken, improved and marked by itself.

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

interface PhoneOptions {
  locale: 'zh-CN' | 'en'
  /** Location allowed before, at this place; without it the site was never allowed (and is refused). */
  at?: { latitude: number; longitude: number; accuracy: number }
  /** A script run before the app, e.g. to make the phone's GPS slow. */
  initScript?: () => void
}

async function phone(options: PhoneOptions): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({
    viewport: { width: 360, height: 740 },
    locale: 'zh-CN',
    ...(options.at ? { permissions: ['geolocation'], geolocation: options.at } : {}),
  })
  if (options.initScript) await context.addInitScript(options.initScript)
  const page = await context.newPage()
  // Nothing here may use the browser's own dialogs.
  page.on('dialog', (d) => {
    throw new Error(`a browser dialog appeared: ${d.message()}`)
  })
  await page.goto(server.url)
  await page.evaluate((l) => localStorage.setItem('zhixun.locale', l), options.locale)
  await signInThroughUi(page, server)
  return { context, page }
}

async function openForm(page: Page, query = '?task=28') {
  await page.goto(`${server.url}/checkins/new${query}`)
  await page.getByTestId('venue-name').waitFor()
  // What the form fills in after it opens (sync starts once the page is idle, then campaigns and the register
  // arrive) may move it: tests that measure where things are on screen measure the form as it stays.
  await page.waitForLoadState('networkidle')
  await untilStill(page)
}

/** Taps a field and types into it with the keyboard, as a person does. */
async function typeInto(page: Page, testId: string, text: string) {
  await page.getByTestId(testId).click()
  await page.keyboard.type(text)
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

/** Where an element is against the sticky header and the sticky save bar. */
function placement(page: Page, testId: string) {
  return page.evaluate((testId) => {
    const el = document.querySelector(`[data-testid="${testId}"]`)!.getBoundingClientRect()
    const header = document.querySelector('.app-header')!.getBoundingClientRect()
    const bar = document.querySelector('.actions')!.getBoundingClientRect()
    return { top: el.top, bottom: el.bottom, headerBottom: header.bottom, barTop: bar.top }
  }, testId)
}

async function expectClearOfBars(page: Page, testId: string) {
  const p = await placement(page, testId)
  expect(p.top, `${testId} below the header`).toBeGreaterThanOrEqual(p.headerBottom)
  expect(p.bottom, `${testId} above the save bar`).toBeLessThanOrEqual(p.barTop)
}

/** An element of the save bar: on screen, above the bottom navigation. */
async function expectInSaveBar(page: Page, testId: string) {
  const p = await page.evaluate((testId) => {
    const el = document.querySelector(`[data-testid="${testId}"]`)!
    const r = el.getBoundingClientRect()
    const nav = document.querySelector('.bottom-nav')!.getBoundingClientRect()
    return { inBar: el.closest('.actions') !== null, top: r.top, bottom: r.bottom, navTop: nav.top }
  }, testId)
  expect(p.inBar).toBe(true)
  expect(p.top).toBeGreaterThan(0)
  expect(p.bottom).toBeLessThanOrEqual(p.navTop)
}

const focusedId = (page: Page) => page.evaluate(() => document.activeElement?.id)

describe('counts (item 1)', () => {
  it('saves the number typed after tapping the field, not the default with it', async () => {
    const { context, page } = await phone({ locale: 'zh-CN' })
    await openForm(page)
    await typeInto(page, 'venue-name', '东门市场')
    await typeInto(page, 'premises', '12')
    await typeInto(page, 'seized', '35')
    expect(await page.getByTestId('premises').inputValue()).toBe('12')
    expect(await page.getByTestId('seized').inputValue()).toBe('35')
    await page.getByTestId('save-checkin').click()
    await page.getByTestId('confirm-save').click()
    expect(await savedCheckIn(page)).toMatchObject({ venueName: '东门市场', premisesInspected: 12, itemsSeized: 35 })
    await context.close()
  })

  it('says what an empty count is saved as (no grey number that looks typed), and saves that when nothing is typed', async () => {
    const { context, page } = await phone({ locale: 'zh-CN' })
    await openForm(page)
    expect(await page.getByTestId('premises').getAttribute('placeholder')).toBeNull()
    expect(await page.getByTestId('seized').getAttribute('placeholder')).toBeNull()
    expect(await page.getByTestId('counts-hint').textContent()).toContain('检查场所数按 1 记录，查扣物品数按 0 记录')
    await typeInto(page, 'venue-name', '北京路')
    await page.getByTestId('save-checkin').click()
    await page.getByTestId('confirm-save').click()
    expect(await savedCheckIn(page)).toMatchObject({ premisesInspected: 1, itemsSeized: 0 })
    await context.close()
  })

  it('asks about an unusually large count, in English; going back lands on the count to fix it', async () => {
    const { context, page } = await phone({
      locale: 'en',
      at: { latitude: 23.129, longitude: 113.264, accuracy: 10 },
    })
    await openForm(page)
    await page.getByTestId('location').waitFor()
    await typeInto(page, 'venue-name', 'Dongmen market')
    await typeInto(page, 'seized', '25000')
    await page.getByTestId('save-checkin').click()
    const confirm = page.getByTestId('save-confirm')
    expect(await confirm.textContent()).toContain('25000 items seized is far more than usual.')
    // The location is there: only the count is asked about.
    expect(await confirm.locator('li').count()).toBe(1)
    await page.getByTestId('confirm-back').click()
    expect(await focusedId(page)).toBe('ci-seized')
    // One zero too many: taken off, the count is usual and the check-in is saved without a question.
    await page.keyboard.press('Backspace')
    await page.getByTestId('save-checkin').click()
    expect(await savedCheckIn(page)).toMatchObject({ itemsSeized: 2500, premisesInspected: 1 })
    await context.close()
  })
})

describe('errors (item 2)', () => {
  it('from the bottom of the page, a failed save scrolls to the first missing field, focuses it and says what is missing', async () => {
    const { context, page } = await phone({ locale: 'zh-CN' })
    await openForm(page, '')
    await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight))
    await page.getByTestId('save-checkin').click()
    expect(await page.getByTestId('save-summary').textContent()).toBe('未保存，请先填写：场所名称、相关任务')
    await expectInSaveBar(page, 'save-summary')
    expect(await focusedId(page)).toBe('ci-venue')
    await expectClearOfBars(page, 'venue-name')
    expect(await page.locator('#ci-venue-err').textContent()).toBe('请填写场所名称。')
    // The message is under its field and on screen too.
    const err = await page.locator('#ci-venue-err').boundingBox()
    expect(err!.y + err!.height).toBeLessThanOrEqual((await placement(page, 'save-summary')).barTop)

    // The venue typed, from the bottom again: the next missing field, the task.
    await page.keyboard.type('东门市场')
    await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight))
    await page.getByTestId('save-checkin').click()
    await expect.poll(() => page.getByTestId('save-summary').textContent()).toBe('未保存，请先填写：相关任务')
    expect(await focusedId(page)).toBe('ci-add-task')
    expect(await page.locator('#ci-add-task').getAttribute('aria-invalid')).toBe('true')
    const task = await page.locator('#ci-add-task').boundingBox()
    expect(task!.y + task!.height).toBeLessThanOrEqual((await placement(page, 'save-summary')).barTop)
    await context.close()
  })

  it('in English, names what is missing beside the save button', async () => {
    const { context, page } = await phone({ locale: 'en' })
    await openForm(page)
    await typeInto(page, 'premises', '1.5')
    await page.getByTestId('save-checkin').click()
    expect(await page.getByTestId('save-summary').textContent()).toBe('Not saved. Fill in: venue name, counts')
    expect(await focusedId(page)).toBe('ci-venue')
    expect(await page.getByTestId('premises').getAttribute('aria-invalid')).toBe('true')
    expect(await page.getByTestId('seized').getAttribute('aria-invalid')).toBe('false')
    await context.close()
  })
})

describe('location (item 3)', () => {
  it('allowed before: taken when the form opens, marked while poor, improved while open, saved without asking', async () => {
    const { context, page } = await phone({
      locale: 'en',
      at: { latitude: 23.1291, longitude: 113.2644, accuracy: 250 },
    })
    await openForm(page)
    const location = page.getByTestId('location')
    await expect.poll(() => location.textContent()).toContain('23.12910, 113.26440 (within about 250 m)')
    expect(await page.getByTestId('location-age').textContent()).toMatch(/^\d+ s ago$/)
    expect(await page.getByTestId('location-poor').textContent()).toBe('Poor fix: off by more than 100 m')
    expect(await page.getByTestId('location-status').textContent()).toContain('Improving the location')
    // The phone gets a better fix while the form is open.
    await context.setGeolocation({ latitude: 23.1302, longitude: 113.2651, accuracy: 8 })
    await expect.poll(() => location.textContent()).toContain('23.13020, 113.26510 (within about 8 m)')
    expect(await page.getByTestId('location-poor').count()).toBe(0)
    await typeInto(page, 'venue-name', 'Dongmen market')
    await page.getByTestId('save-checkin').click()
    expect((await savedCheckIn(page)).location).toEqual({ lat: 23.1302, lng: 113.2651, accuracy: 8 })
    await context.close()
  })

  it('marks a fix older than two minutes', async () => {
    const { context, page } = await phone({
      locale: 'zh-CN',
      at: { latitude: 23.1291, longitude: 113.2644, accuracy: 20 },
    })
    await page.clock.install()
    await openForm(page)
    await page.getByTestId('location').waitFor()
    expect(await page.getByTestId('location-stale').count()).toBe(0)
    await page.clock.fastForward('02:10')
    await expect.poll(() => page.getByTestId('location-stale').count()).toBe(1)
    expect(await page.getByTestId('location-stale').textContent()).toBe('位置已超过 2 分钟')
    expect(await page.getByTestId('location-age').textContent()).toBe('2 分钟前')
    await context.close()
  })

  it('refused: the message stays clear of the save bar, and saving without a location asks once on the page', async () => {
    const { context, page } = await phone({ locale: 'zh-CN' })
    await openForm(page)
    // Never allowed: nothing is asked for until the inspector taps.
    expect(await page.getByTestId('location-status').count()).toBe(0)
    await typeInto(page, 'venue-name', '东门市场')
    // The locate button just above the sticky save bar, where the message used to go under it.
    await page.evaluate(() => {
      const button = document.querySelector('[data-testid="locate"]')!.getBoundingClientRect()
      const bar = document.querySelector('.actions')!.getBoundingClientRect()
      window.scrollBy(0, button.bottom - bar.top + 4)
    })
    await page.getByTestId('locate').click()
    const problem = page.getByTestId('location-problem')
    expect(await problem.textContent()).toContain('未获准使用位置')
    await expectClearOfBars(page, 'location-problem')

    await page.getByTestId('save-checkin').click()
    expect(await page.getByTestId('save-confirm').textContent()).toContain('没有位置，将不带位置保存。')
    await expectInSaveBar(page, 'save-confirm')
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('confirm-save')
    await page.getByTestId('confirm-save').click()
    expect((await savedCheckIn(page)).location).toBeNull()
    await context.close()
  })

  it('slow: saving before the fix asks; the fix arriving answers it; watching stops when the form closes', async () => {
    const { context, page } = await phone({
      locale: 'zh-CN',
      at: { latitude: 23.1291, longitude: 113.2644, accuracy: 15 },
      // The GPS answers only when the test lets it; watches are counted to see them stopped.
      initScript: () => {
        const geo = navigator.geolocation
        const watch = geo.watchPosition.bind(geo)
        const clear = geo.clearWatch.bind(geo)
        const w = window as unknown as { releaseFix: () => void; activeWatches: Set<number> }
        const released = new Promise<void>((resolve) => (w.releaseFix = resolve))
        w.activeWatches = new Set()
        geo.watchPosition = (ok, err, opts) => {
          const id = watch((pos) => void released.then(() => ok(pos)), err, opts)
          w.activeWatches.add(id)
          return id
        }
        geo.clearWatch = (id) => {
          w.activeWatches.delete(id)
          clear(id)
        }
      },
    })
    await openForm(page)
    expect(await page.getByTestId('location-status').textContent()).toContain('正在定位')
    await typeInto(page, 'venue-name', '东门市场')
    await page.getByTestId('save-checkin').click()
    expect(await page.getByTestId('save-confirm').textContent()).toContain('仍在定位，现在保存将不带位置。')
    await page.evaluate(() => (window as unknown as { releaseFix: () => void }).releaseFix())
    await page.getByTestId('location').waitFor()
    // The fix answered the question: it is gone and the save button has the focus again.
    expect(await page.getByTestId('save-confirm').count()).toBe(0)
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('save-checkin')
    expect(await page.evaluate(() => (window as unknown as { activeWatches: Set<number> }).activeWatches.size)).toBe(1)
    await page.getByTestId('save-checkin').click()
    expect((await savedCheckIn(page)).location).toEqual({ lat: 23.1291, lng: 113.2644, accuracy: 15 })
    expect(await page.evaluate(() => (window as unknown as { activeWatches: Set<number> }).activeWatches.size)).toBe(0)
    await context.close()
  })
})
