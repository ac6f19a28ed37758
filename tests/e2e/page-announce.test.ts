import type { Browser, BrowserContext, Locator, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchChromium, startServer, type RunningServer } from '../helpers/browser'
import { realDataset } from '../helpers/seed'

/*
 * A screen reader hears where a link led (src/modules/page-announce.ts): each page has a title of its own in the
 * user's language, and after a link followed inside the app the focus is on the new page's heading, not on <body>
 * or on the link just followed; a page that focuses a field of its own (search) keeps it, and the first page of a
 * visit takes no focus. The header's sync link is named by what it shows (src/components/app/AppHeader.vue).
 */

let browser: Browser
let server: RunningServer
const contexts: BrowserContext[] = []
const task = realDataset.tasks.find((t) => t.number === 28)!

beforeAll(async () => {
  server = await startServer()
  browser = await launchChromium()
})
afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => undefined)
  await browser?.close()
  await server?.app.close()
})

async function phone(locale: 'zh-CN' | 'en'): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 360, height: 740 }, locale })
  contexts.push(context)
  await context.addInitScript((locale) => {
    if (locale === 'en') localStorage.setItem('zhixun.locale', 'en')
  }, locale)
  return context.newPage()
}

/** What has the focus: its tag, and its words (or its id for a field). */
const focused = (page: Page) =>
  page.evaluate(() => {
    const el = document.activeElement
    if (!el) return 'none'
    if (el === document.body) return 'BODY'
    return `${el.tagName}:${el.id || el.textContent?.replace(/\s+/g, ' ').trim()}`
  })

/** Follows a link as a keyboard does: focused, then Enter. */
async function follow(link: Locator) {
  await link.focus()
  await link.press('Enter')
}

const T = {
  'zh-CN': {
    app: '知巡',
    home: '首页',
    task: '任务 28',
    records: '我的记录',
    search: '搜索',
    settings: '设置',
    navRecords: '记录',
    status: '同步状态：',
    online: '在线',
    offline: '离线',
  },
  en: {
    app: 'Zhixun',
    home: 'Home',
    task: 'Task 28',
    records: 'My records',
    search: 'Search',
    settings: 'Settings',
    navRecords: 'Records',
    status: 'Sync status:',
    online: 'Online',
    offline: 'Offline',
  },
} as const

describe('a page change is announced (360 px)', () => {
  for (const locale of ['zh-CN', 'en'] as const) {
    const w = T[locale]
    const other = locale === 'en' ? 'zh-CN' : 'en'

    it(`names each page in the user's language and puts the focus on its heading after a link (${locale})`, async () => {
      const page = await phone(locale)
      await page.goto(server.url)
      await page.locator('[data-testid="section-list"] li').first().waitFor()
      expect(await page.title()).toBe(`${w.home} · ${w.app}`)
      // The first page of a visit: the focus is left where the browser put it.
      expect(await focused(page)).toBe('BODY')

      // A link in the page: the page it was in is gone, the focus goes to the new page's heading.
      await follow(page.locator(`main a[href="/sections/${task.sectionId}"]`))
      await page.waitForURL(`**/sections/${task.sectionId}`)
      const sectionHeading = (await page.locator('main h1').textContent())!.trim()
      await expect.poll(() => focused(page)).toBe(`H1:${sectionHeading}`)
      expect(await page.title()).toBe(`${sectionHeading} · ${w.app}`)

      await follow(page.locator('main a[href="/tasks/28"]'))
      await page.waitForURL('**/tasks/28')
      await expect.poll(() => focused(page)).toBe(`H1:${w.task}`)
      expect(await page.title()).toBe(`${w.task} · ${w.app}`)
      // Only for the script: the heading is no stop on the Tab key's way.
      expect(await page.locator('main h1').getAttribute('tabindex')).toBe('-1')

      // A link outside the page (the bottom bar): the focus does not stay on it.
      await follow(page.getByRole('navigation').getByRole('link', { name: w.navRecords, exact: true }))
      await page.waitForURL('**/records')
      await expect.poll(() => focused(page)).toBe(`H1:${w.records}`)
      expect(await page.title()).toBe(`${w.records} · ${w.app}`)

      // A page that focuses its own field keeps it there.
      await follow(page.getByRole('navigation').getByRole('link', { name: w.search, exact: true }))
      await page.waitForURL('**/search')
      await expect.poll(() => focused(page)).toBe('INPUT:search-input')
      expect(await page.title()).toBe(`${w.search} · ${w.app}`)

      // The language changed: the title follows, and the focus stays on the choice just made.
      await follow(page.getByRole('navigation').getByRole('link', { name: w.settings, exact: true }))
      await page.waitForURL('**/settings')
      await expect.poll(() => focused(page)).toBe(`H1:${w.settings}`)
      expect(await page.title()).toBe(`${w.settings} · ${w.app}`)
      await page.getByTestId(`locale-${other}`).focus()
      await page.keyboard.press('Space')
      const o = T[other]
      await expect.poll(() => page.title()).toBe(`${o.settings} · ${o.app}`)
      expect(await page.evaluate(() => (document.activeElement as HTMLInputElement).dataset.testid)).toBe(
        `locale-${other}`,
      )
    })

    it(`gives a task's page opened from a link its title at once, without moving the focus (${locale})`, async () => {
      const page = await phone(locale)
      await page.goto(`${server.url}/tasks/28`)
      await page.getByTestId('task-page').waitFor()
      await expect.poll(() => page.title()).toBe(`${w.task} · ${w.app}`)
      expect(await focused(page)).toBe('BODY')
    })

    it(`reads out what the header's sync link shows, online and offline (${locale})`, async () => {
      const page = await phone(locale)
      await page.goto(server.url)
      await page.locator('[data-testid="section-list"] li').first().waitFor()
      /** The link's name: what it is, then the status and the line it shows (unsent records, last sync). */
      const named = async (status: string) => {
        const line = (await page.getByTestId('header-sync').textContent())!.trim()
        expect(line).not.toBe('')
        const words = (text: string) =>
          text
            .split(/\s+/)
            .map((word) => word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
            .join('\\s*')
        return page
          .locator('header')
          .getByRole('link', { name: new RegExp(`^${words(w.status)}\\s*${status}\\s*${words(line)}$`) })
          .count()
      }
      await expect.poll(() => named(w.online)).toBe(1)
      await page.context().setOffline(true)
      await expect.poll(() => named(w.offline)).toBe(1)
      await page.context().setOffline(false)
    })
  }

  it("sends a task's page with the task in its title, before any script runs", async () => {
    const html = await (await fetch(`${server.url}/tasks/28`)).text()
    expect(html).toMatch(/<title>任务 28 Task 28 · 知巡 Zhixun<\/title>/)
  })
})
