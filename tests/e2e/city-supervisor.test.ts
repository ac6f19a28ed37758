import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createUser } from '../../server/auth/accounts'
import { launchChromium, startServer, untilStill, type RunningServer } from '../helpers/browser'
import { realDataset } from '../helpers/seed'

/*
 * A city's supervisor on a 360 px phone, in Chromium: the coverage page's scope says their city, and the select
 * that shows it is not cut (a select's text never wraps, so what it shows must be short enough to fit).
 */

let browser: Browser
let server: RunningServer
let context: BrowserContext
let page: Page
const PASSWORD = 'e2e-password-long'

beforeAll(async () => {
  server = await startServer()
  browser = await launchChromium()
  await createUser(server.store.db, new Set(realDataset.departments.map((d) => d.name)), {
    username: 'gz.huang',
    displayName: '黄主管',
    department: '省工商局',
    role: 'supervisor',
    region: 'guangzhou',
    password: PASSWORD,
  })
  context = await browser.newContext({ viewport: { width: 360, height: 740 }, locale: 'zh-CN' })
  page = await context.newPage()
  await page.goto(`${server.url}/signin`)
  await page.getByTestId('sign-in-username').fill('gz.huang')
  await page.getByTestId('sign-in-password').fill(PASSWORD)
  await page.getByTestId('sign-in-submit').click()
  await page.waitForURL((u) => !u.pathname.startsWith('/signin'))
})
afterAll(async () => {
  await context?.close()
  await browser?.close()
  await server?.app.close()
})

describe("the coverage page, a city's supervisor at 360 px", () => {
  it.each([
    ['en', 'My department in Guangzhou'],
    ['zh-CN', '本部门在广州市的记录'],
  ] as const)('in %s, names the city in a scope select whose text fits', async (locale, option) => {
    await page.evaluate((l) => localStorage.setItem('zhixun.locale', l), locale)
    await page.goto(`${server.url}/coverage`)
    await page.getByTestId('coverage-summary').waitFor()
    await untilStill(page)
    const select = page.getByTestId('coverage-scope-select')
    const shown = await select.evaluate((el: HTMLSelectElement) => {
      const s = getComputedStyle(el)
      const text = el.options[el.selectedIndex]!.text.trim()
      const ctx = document.createElement('canvas').getContext('2d')!
      ctx.font = s.font
      return {
        text,
        // The room for the text: the box inside its padding, less the arrow Chromium draws at its end.
        room: el.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight) - 20,
        width: Math.ceil(ctx.measureText(text).width),
      }
    })
    expect(shown.text).toBe(option)
    expect(shown.width, `"${shown.text}" ${shown.width}px in ${shown.room}px`).toBeLessThanOrEqual(shown.room)
    // The department, a long name, is in the line under it, which wraps within the screen.
    await expect.poll(() => page.getByTestId('coverage-scope').textContent()).toContain('省工商局')
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360)
  })
})
