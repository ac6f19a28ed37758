import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchChromium, startServer, untilStill, type RunningServer } from '../helpers/browser'

/*
 * What can be tapped or typed in is findable by its outline, in sunlight and in dark mode: every button's and text
 * field's border has 3:1 or more against what it stands on (WCAG's non-text contrast), read in the real browser.
 */

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

/** Each visible control's border colour against its backdrop's, and their contrast ratio. */
function outlines(page: Page) {
  return page.evaluate(() => {
    const rgb = (c: string) => (c.match(/[\d.]+/g) ?? []).map(Number)
    const luminance = ([r, g, b]: number[]) => {
      const f = (v: number) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4)
      return 0.2126 * f(r!) + 0.7152 * f(g!) + 0.0722 * f(b!)
    }
    const backdrop = (el: Element | null): string => {
      for (let e = el; e; e = e.parentElement) {
        const bg = getComputedStyle(e).backgroundColor
        const [, , , a] = rgb(bg)
        if (bg !== 'transparent' && a !== 0) return bg
      }
      return getComputedStyle(document.body).backgroundColor
    }
    return [...document.querySelectorAll('.btn:not(.btn-primary), .input')]
      .filter((el) => el.getBoundingClientRect().width > 0)
      .map((el) => {
        const border = getComputedStyle(el).borderTopColor
        const behind = backdrop(el.parentElement)
        const [a, b] = [luminance(rgb(border)), luminance(rgb(behind))].sort((x, y) => y - x)
        return { what: `${el.tagName} ${el.textContent?.trim().slice(0, 20) ?? ''}`, ratio: (a! + 0.05) / (b! + 0.05) }
      })
  })
}

describe('controls at 360 px', () => {
  for (const colorScheme of ['light', 'dark'] as const) {
    it(`outline every button and field at 3:1 or more (${colorScheme})`, async () => {
      const context = await browser.newContext({ viewport: { width: 360, height: 740 }, locale: 'zh-CN', colorScheme })
      try {
        const page = await context.newPage()
        const seen: { what: string; ratio: number }[] = []
        for (const path of ['/settings', '/search', '/signin']) {
          await page.goto(`${server.url}${path}`)
          await page.locator('main').waitFor()
          await untilStill(page)
          seen.push(...(await outlines(page)))
        }
        expect(seen.length).toBeGreaterThan(3)
        for (const s of seen) expect(s.ratio, s.what).toBeGreaterThanOrEqual(3)
      } finally {
        await context.close()
      }
    })
  }
})
