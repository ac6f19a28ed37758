import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchChromium, signInThroughUi, startServer, untilStill, type RunningServer } from '../helpers/browser'
import { makeCheckIn } from '../helpers/records'

/**
 * The supervisor's printable report on a phone: at 360 px its check-in table gave every column but the widest
 * one character per line in Chinese (巡/查/员, 检/查/结/果), since Chinese may break between any two characters.
 * On a screen it keeps readable columns and scrolls sideways in a named region; on paper it stays one table.
 */
let browser: Browser
let server: RunningServer
let context: BrowserContext
let page: Page
let reportUrl: string

beforeAll(async () => {
  server = await startServer()
  browser = await launchChromium()
  context = await browser.newContext({ viewport: { width: 360, height: 740 }, locale: 'zh-CN' })
  page = await context.newPage()
  const me = await signInThroughUi(page, server, 'supervisor')
  const created = await page.request.post(`${server.url}/api/campaigns`, {
    data: {
      name: '广交会专项',
      description: '',
      taskNumbers: [28, 71],
      departments: ['省知识产权局'],
      inspectorIds: [me.id],
      startDate: '2026-01-01',
      endDate: '2099-12-31',
      venues: [],
    },
  })
  const campaignId = (await created.json()).campaign.id as string
  const mutations = [
    makeCheckIn({ authorId: me.id, campaignId, taskNumbers: [28, 71] }),
    makeCheckIn({
      authorId: me.id,
      campaignId,
      venueName: '白云区三元里皮具批发市场二楼东区',
      venueType: 'market',
      outcome: 'referred',
      location: null,
      note: 'Stalls on the second floor checked one by one.',
    }),
  ].map((args, i) => ({ seq: i + 1, name: 'checkin.create', args }))
  const pushed = await page.request.post(`${server.url}/api/sync/push`, {
    data: { clientId: 'report-narrow', mutations },
  })
  expect(pushed.status(), await pushed.text()).toBe(200)
  reportUrl = `${server.url}/campaigns/${campaignId}/report`
})
afterAll(async () => {
  await context?.close()
  await browser?.close()
  await server?.app.close()
})

async function openReport(locale: 'zh-CN' | 'en') {
  await page.evaluate((l) => localStorage.setItem('zhixun.locale', l), locale)
  await page.goto(reportUrl)
  await page.locator('table.detail tbody tr[data-testid="report-row"]').nth(1).waitFor()
  await untilStill(page)
}

/** Each cell of the table's heading and rows: its width and on how many lines its text is laid out. */
const cells = () =>
  page.locator('table.detail thead th, table.detail tr[data-testid="report-row"] td').evaluateAll((els) => {
    const range = document.createRange()
    return els.map((el) => {
      range.selectNodeContents(el)
      const tops = [...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top))
      return {
        text: (el.textContent ?? '').trim(),
        heading: el.tagName === 'TH',
        width: el.getBoundingClientRect().width,
        lines: new Set(tops).size,
      }
    })
  })

describe('the printable report at 360 px', () => {
  it.each(['zh-CN', 'en'] as const)('in %s, keeps its columns readable and scrolls them sideways', async (locale) => {
    await openReport(locale)
    const all = await cells()
    expect(all.filter((c) => c.heading)).toHaveLength(7)
    // No column squeezed to a letter or a character a line: each is wide enough for a heading of a few words.
    expect(
      all.filter((c) => c.width < 48),
      locale,
    ).toEqual([])
    // Every heading on one line, and the inspector's name (测试巡查员) whole.
    expect(
      all.filter((c) => c.heading && c.lines > 1),
      locale,
    ).toEqual([])
    expect(all.find((c) => c.text === '测试巡查员')?.lines, locale).toBe(1)

    // The table is wider than the phone and scrolls inside a region named by its heading, not the whole page.
    const heading = (await page.locator('#report-detail-heading').textContent())!.trim()
    const region = page.getByRole('region', { name: heading })
    expect(await region.getAttribute('data-testid')).toBe('report-detail-scroll')
    const sizes = await region.evaluate((el) => ({ scroll: el.scrollWidth, client: el.clientWidth }))
    expect(sizes.scroll, locale).toBeGreaterThan(sizes.client)
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360)
    // Reached by Tab and scrolled by the arrow keys as well as by a finger.
    await region.focus()
    await page.keyboard.press('ArrowRight')
    await expect.poll(() => region.evaluate((el) => el.scrollLeft)).toBeGreaterThan(0)
  })

  it('prints one table across the A4 sheet, every heading in one row and nothing scrolled away', async () => {
    for (const locale of ['zh-CN', 'en'] as const) {
      await openReport(locale)
      // An A4 sheet less Chromium's default margins is about 718 CSS px wide.
      await page.setViewportSize({ width: 718, height: 1000 })
      await page.emulateMedia({ media: 'print' })
      try {
        const printed = await page.locator('[data-testid="report-detail-scroll"]').evaluate((box) => {
          const table = box.querySelector('table.detail')!
          const tops = [...table.querySelectorAll('thead th')].map((th) => Math.round(th.getBoundingClientRect().top))
          return {
            display: getComputedStyle(table).display,
            rowDisplay: getComputedStyle(table.querySelector('tbody tr')!).display,
            headingRows: new Set(tops).size,
            tableRight: table.getBoundingClientRect().right,
            overflow: getComputedStyle(box).overflowX,
            page: document.documentElement.clientWidth,
          }
        })
        expect(printed, locale).toMatchObject({
          display: 'table',
          rowDisplay: 'table-row',
          headingRows: 1,
          overflow: 'visible',
        })
        expect(printed.tableRight, locale).toBeLessThanOrEqual(printed.page)
      } finally {
        await page.emulateMedia({ media: 'screen' })
        await page.setViewportSize({ width: 360, height: 740 })
      }
    }
  })
})
