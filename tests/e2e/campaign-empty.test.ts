import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchChromium, signInThroughUi, startServer, untilStill, type RunningServer } from '../helpers/browser'

/**
 * A new campaign's progress on a 360 px phone, before anyone checked in: each part (four breakdowns, the
 * check-ins, the places) says "no check-ins yet" once and visibly, no table of zeros or bar stub is drawn,
 * and nothing claims the check-ins "have no location". Light and dark, both languages.
 */
let browser: Browser
let server: RunningServer
let url: string

beforeAll(async () => {
  server = await startServer()
  browser = await launchChromium()
  const context = await browser.newContext({ viewport: { width: 360, height: 740 }, locale: 'zh-CN' })
  const page = await context.newPage()
  const me = await signInThroughUi(page, server, 'supervisor')
  const created = await page.request.post(`${server.url}/api/campaigns`, {
    data: {
      name: '新开专项',
      description: '',
      taskNumbers: [28],
      departments: ['省知识产权局'],
      inspectorIds: [me.id],
      startDate: '2026-01-01',
      endDate: '2099-12-31',
      venues: [],
    },
  })
  expect(created.status()).toBe(201)
  url = `${server.url}/campaigns/${(await created.json()).campaign.id as string}`
  await context.close()
})
afterAll(async () => {
  await browser?.close()
  await server?.app.close()
})

describe('an empty campaign at 360 px', () => {
  for (const [locale, colorScheme, message, wrong] of [
    ['zh-CN', 'light', '还没有巡查登记。', '这些登记都没有定位。'],
    ['en', 'dark', 'No check-ins yet.', 'None of these check-ins has a location.'],
  ] as const) {
    it(`says "${message}" in each part, with no bars (${locale}, ${colorScheme})`, async () => {
      const context: BrowserContext = await browser.newContext({
        viewport: { width: 360, height: 740 },
        locale,
        colorScheme,
      })
      const page: Page = await context.newPage()
      await signInThroughUi(page, server, 'supervisor')
      await page.evaluate((l) => localStorage.setItem('zhixun.locale', l), locale)
      await page.goto(url)
      await page.getByTestId('report-summary').waitFor()
      await untilStill(page)

      for (const part of ['by-day', 'by-venue-type', 'by-outcome', 'by-inspector']) {
        const empty = page.getByTestId(part).getByTestId('count-empty')
        expect(await empty.textContent(), part).toBe(message)
        expect(await empty.isVisible(), part).toBe(true)
      }
      expect(await page.locator('.count-table, .bar').count()).toBe(0)
      expect(await page.getByTestId('checkins-empty').textContent()).toBe(message)
      expect(await page.getByTestId('locations-empty').textContent()).toBe(message)
      expect(await page.getByTestId('campaign-page').textContent()).not.toContain(wrong)
      // Nothing wider than the phone.
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360)
      // The message is readable against the page: not the same colour as its background.
      const [fg, bg] = await page
        .getByTestId('checkins-empty')
        .evaluate((el) => [getComputedStyle(el).color, getComputedStyle(document.body).backgroundColor])
      expect(fg).not.toBe(bg)
      await context.close()
    })
  }
})
