import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchChromium, startServer, untilStill, type RunningServer } from '../helpers/browser'
import { realDataset } from '../helpers/seed'

/*
 * A task's page opened from a link on a first visit: the server sends the task's text in the HTML
 * (server/http/task-shell.ts), so it paints before any script has arrived, and the app, once it runs, puts its own
 * page in the same place: nothing moves (no layout shift, every box where it was), in Chinese and in English, and
 * nothing of the interface shows in the wrong language meanwhile.
 */

let browser: Browser
let server: RunningServer
const contexts: BrowserContext[] = []
const task = realDataset.tasks.find((t) => t.number === 28)!
const section = realDataset.sections.find((s) => s.id === task.sectionId)!

beforeAll(async () => {
  server = await startServer()
  browser = await launchChromium()
})
afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => undefined)
  await browser?.close()
  await server?.app.close()
})

interface Box {
  x: number
  y: number
  width: number
  height: number
}
interface Seen {
  header: Box
  section: Box
  title: Box
  text: Box
  headerText: string
  sectionText: string
  titleText: string
  textText: string
}

/** Where the header, the section link, the title and the task's text are, and what they say. */
function seen(page: Page): Promise<Seen> {
  return page.evaluate(() => {
    const article = document.querySelector('main article')!
    const at = (el: Element): Box => {
      const r = el.getBoundingClientRect()
      return { x: r.x, y: r.y, width: r.width, height: r.height }
    }
    const header = document.querySelector('header.app-header')!
    const sectionLink = article.querySelector('a.small')!
    const title = article.querySelector('h1')!
    const text = article.querySelector('.task-text')!
    return {
      header: at(header),
      section: at(sectionLink),
      title: at(title),
      text: at(text),
      headerText: header.textContent ?? '',
      sectionText: sectionLink.textContent ?? '',
      titleText: title.textContent ?? '',
      textText: text.textContent ?? '',
    }
  })
}

/** A request the test answers only once `release` is called. */
function gate(): { held: Promise<void>; release: () => void } {
  let release!: () => void
  const held = new Promise<void>((resolve) => (release = resolve))
  return { held, release }
}

/**
 * A phone's first visit to /tasks/28 whose scripts are held back until `scripts` is released, and the dataset until
 * `dataset` is; layout shifts are collected from the first frame on.
 */
async function firstVisit(locale: 'zh-CN' | 'en') {
  const context = await browser.newContext({ viewport: { width: 360, height: 740 }, locale })
  contexts.push(context)
  await context.addInitScript((locale) => {
    // The language the user chose on an earlier visit (the app reads it from there); Chinese is the default.
    if (locale === 'en') localStorage.setItem('zhixun.locale', 'en')
    const shifts: number[] = []
    Object.assign(window, { __shifts: shifts })
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) shifts.push((entry as PerformanceEntry & { value: number }).value)
    }).observe({ type: 'layout-shift', buffered: true })
    // Whether the task's text was ever gone once painted (a loading notice, an empty page while a chunk loads).
    const gaps: string[] = []
    Object.assign(window, { __gaps: gaps })
    let shown = false
    new MutationObserver(() => {
      const text = document.querySelector('main .task-text')
      if (text) shown = true
      else if (shown) gaps.push(document.querySelector('main')?.textContent ?? '(no main)')
    }).observe(document, { subtree: true, childList: true, characterData: true })
  }, locale)
  const scripts = gate()
  const dataset = gate()
  await context.route(/\/assets\/.*\.js$/, async (route) => {
    await scripts.held
    await route.continue()
  })
  await context.route(/\/api\/dataset$/, async (route) => {
    await dataset.held
    await route.continue()
  })
  const page = await context.newPage()
  // Module scripts hold back DOMContentLoaded: the page is taken as soon as its HTML starts arriving.
  await page.goto(`${server.url}/tasks/28`, { waitUntil: 'commit' })
  return { page, scripts, dataset }
}

const painted = (page: Page) =>
  page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))))

describe("a task's page on a first visit", () => {
  for (const locale of ['zh-CN', 'en'] as const) {
    it(`paints the task's text before the scripts arrive, and the app takes its place without a shift (${locale})`, async () => {
      const { page, scripts, dataset } = await firstVisit(locale)
      await page.locator('[data-first-paint="28"] .task-text').waitFor()
      await painted(page)
      const before = await seen(page)
      // The source's words as it wrote them, and nothing of the interface's own, which is in neither language yet.
      expect(before.textText).toBe(task.text)
      expect(before.sectionText).toBe(`（${section.ordinal}）${section.title}`)
      expect(before.titleText.trim()).toBe('')
      expect(before.headerText).toBe('')
      expect(before.text.height).toBeGreaterThan(0)
      // No script has run: the app has not mounted (the scripts are still held back).
      expect(await page.locator('[data-testid="task-page"]').count()).toBe(0)

      // The scripts arrive, the task's page among them (and English), but not the dataset: the app could start,
      // but it would have nothing but a loading notice to put in the task's place. The task stays as painted.
      scripts.release()
      const chunks = locale === 'en' ? [/\/TaskPage-/, /\/en-/] : [/\/TaskPage-/]
      await page.waitForFunction(
        (chunks) =>
          chunks.every((c) => performance.getEntriesByType('resource').some((r) => new RegExp(c).test(r.name))),
        chunks.map((c) => c.source),
      )
      await painted(page)
      expect(await page.locator('[data-first-paint="28"] .task-text').count()).toBe(1)
      expect(await seen(page)).toEqual(before)

      dataset.release()
      await page.locator('[data-testid="task-page"]').waitFor({ timeout: 15_000 })
      await untilStill(page)
      expect(await page.locator('[data-first-paint]').count()).toBe(0)
      const after = await seen(page)
      expect(after.titleText).toBe(locale === 'en' ? 'Task 28' : '任务 28')
      expect(after.headerText).toContain(locale === 'en' ? 'Zhixun' : '知巡')
      expect(after.textText).toBe(task.text)
      // Every box where it was painted first.
      expect(after.header).toEqual(before.header)
      expect(after.section).toEqual(before.section)
      expect(after.title).toEqual(before.title)
      expect(after.text).toEqual(before.text)
      const { shifts, gaps } = await page.evaluate(() => {
        const w = window as unknown as { __shifts: number[]; __gaps: string[] }
        return { shifts: w.__shifts, gaps: w.__gaps }
      })
      expect(shifts).toEqual([])
      expect(gaps).toEqual([])
    })
  }

  it('starts the app within a few seconds when the dataset never comes (a line that hangs)', async () => {
    const { page, scripts } = await firstVisit('zh-CN')
    await page.locator('[data-first-paint="28"] .task-text').waitFor()
    scripts.release()
    // The dataset is held for good: the inspector still gets the app's header and navigation, not a page that
    // never becomes one.
    await page.locator('header.app-header', { hasText: '知巡' }).waitFor({ timeout: 15_000 })
    await expect.poll(() => page.locator('nav').count()).toBeGreaterThan(0)
    expect(await page.locator('[data-first-paint]').count()).toBe(0)
  })

  it('leaves the service worker the plain shell for offline navigation', async () => {
    const context = await browser.newContext({ viewport: { width: 360, height: 740 }, locale: 'zh-CN' })
    contexts.push(context)
    const page = await context.newPage()
    await page.goto(`${server.url}/tasks/28`)
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, { timeout: 30_000 })
    // Workbox keeps it under its revision (/index.html?__WB_REVISION__=…).
    const cached = await page.evaluate(async () => (await caches.match('/index.html', { ignoreSearch: true }))?.text())
    expect(cached).toContain('<div id="app"></div>')
    expect(cached).not.toContain('data-first-paint')
  })
})
