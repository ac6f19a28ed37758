import type { Browser, Page } from 'playwright-core'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchChromium, startServer } from '../helpers/browser'

let browser: Browser
let server: { app: FastifyInstance; url: string }
let page: Page

beforeAll(async () => {
  server = await startServer()
  browser = await launchChromium()
  page = await browser.newPage({ viewport: { width: 360, height: 740 } })
  await page.goto(server.url)
  await page.locator('[data-testid="section-list"] li').first().waitFor()
})
afterAll(async () => {
  await browser?.close()
  await server?.app.close()
})

const pages = [
  '/',
  '/sections/2',
  '/tasks/153',
  '/search?q=展会',
  '/search?q=gsj',
  '/departments',
  `/departments/${encodeURIComponent('省工商局')}`,
  '/checkins/new?task=28',
  '/records',
  '/signin',
  '/settings',
  '/about',
]
const cases = (['zh-CN', 'en'] as const).flatMap((locale) => pages.map((path) => [locale, path] as const))

describe('at 360 px wide', () => {
  it.each(cases)('in %s, %s fits the screen and every control is at least 44 px tall', async (locale, path) => {
    await page.evaluate((l) => localStorage.setItem('zhixun.locale', l), locale)
    await page.goto(`${server.url}${path}`)
    await page.locator('.page h1, .page [data-testid]').first().waitFor()
    await page.waitForTimeout(100)
    const layout = await page.evaluate(() => {
      const small = [...document.querySelectorAll('a, button, input:not(.sr-only), select, label.btn')]
        // A radio button or checkbox is tapped through its label, which is the target that must be large.
        .map((el) => ((el as HTMLInputElement).type === 'radio' || (el as HTMLInputElement).type === 'checkbox' ? (el.closest('label') ?? el) : el))
        .map((el) => ({ el, box: el.getBoundingClientRect() }))
        .filter(({ box }) => box.width > 0 && box.height < 44)
        .map(({ el, box }) => `${el.tagName.toLowerCase()} "${el.textContent?.trim().slice(0, 20)}" ${Math.round(box.height)}px`)
      return { small, scrollWidth: document.documentElement.scrollWidth }
    })
    expect(layout.small).toEqual([])
    expect(layout.scrollWidth).toBeLessThanOrEqual(360)
  })

  it('labels every input and select', async () => {
    for (const path of ['/search', '/departments', '/settings']) {
      await page.goto(`${server.url}${path}`)
      await page.locator('.page input, .page select').first().waitFor({ state: 'attached' })
      const unlabelled = await page.evaluate(() =>
        [...document.querySelectorAll('input, select')]
          .filter((el) => !(el as HTMLInputElement).labels?.length && !el.getAttribute('aria-label'))
          .map((el) => el.outerHTML.slice(0, 60)),
      )
      expect(unlabelled, path).toEqual([])
    }
  })
})
