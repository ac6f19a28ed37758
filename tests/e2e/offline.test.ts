import type { Browser, BrowserContext, Page } from 'playwright-core'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchChromium, startServer } from '../helpers/browser'

let browser: Browser
let server: { app: FastifyInstance; url: string }
let context: BrowserContext
let page: Page
const cspViolations: string[] = []

beforeAll(async () => {
  server = await startServer()
  browser = await launchChromium()
  context = await browser.newContext({ viewport: { width: 360, height: 740 }, locale: 'zh-CN' })
  page = await context.newPage()
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text())
  })
})
afterAll(async () => {
  await browser?.close()
  await server?.app.close()
})

const sectionRows = () => page.locator('[data-testid="section-list"] li')

describe('an inspector with no signal', () => {
  it('first visit online: the dataset is cached and the service worker is ready', async () => {
    await page.goto(server.url)
    await expect.poll(() => sectionRows().count(), { timeout: 15_000 }).toBe(9)
    await page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined))
    // The worker takes control only once install has precached everything; from then on the page is offline-ready.
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, { timeout: 15_000 })
    expect(await page.evaluate(async () => (await caches.keys()).some((k) => k.includes('precache')))).toBe(true)
    const taskCount = await page.evaluate(
      () =>
        new Promise<number>((resolve, reject) => {
          const open = indexedDB.open('zhixun')
          open.onerror = () => reject(open.error)
          open.onsuccess = () => {
            const count = open.result.transaction('tasks').objectStore('tasks').count()
            count.onsuccess = () => resolve(count.result)
          }
        }),
    )
    expect(taskCount).toBe(160)
  })

  it('reloads with the network off and still lists all sections', async () => {
    await context.setOffline(true)
    await page.reload()
    await expect.poll(() => sectionRows().count(), { timeout: 10_000 }).toBe(9)
    expect(await page.getByTestId('online-status').textContent()).toContain('离线')
    expect(await sectionRows().first().textContent()).toContain('谋划知识产权科学发展')
  })

  it('deep-links into a task offline', async () => {
    await page.goto(`${server.url}/tasks/153`)
    await page.getByTestId('task-page').waitFor()
    expect(await page.locator('h1').textContent()).toBe('任务 153')
    expect(await page.getByTestId('task-department').count()).toBe(6)
    await page.getByTestId('next-task').click()
    await expect.poll(() => page.locator('h1').textContent()).toBe('任务 154')
  })

  it('searches offline, with results as you type', async () => {
    await page.goto(`${server.url}/search`)
    await page.getByTestId('search-input').fill('展会')
    await expect.poll(() => page.locator('[data-testid="task-hits"] .task-item').count()).toBe(2)
    expect(await page.locator('[data-testid="task-hits"] mark').first().textContent()).toBe('展会')
    expect(new URL(page.url()).searchParams.get('q')).toBe('展会')
    await page.getByTestId('search-input').fill('gsj')
    await expect.poll(() => page.getByTestId('department-hits').textContent()).toContain('省工商局')
  })

  it('switches to English offline, and the choice sticks', async () => {
    await page.goto(`${server.url}/settings`)
    await page.locator('label:has([data-testid="locale-en"])').click()
    await expect.poll(() => page.locator('nav[aria-label] >> text=Search').count()).toBe(1)
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('en')
  })

  it('bookmarks a task, and finds it after another offline reload', async () => {
    await page.goto(`${server.url}/tasks/28`)
    await page.getByTestId('bookmark').click()
    await expect.poll(() => page.getByTestId('bookmark').getAttribute('aria-pressed')).toBe('true')
    await page.goto(server.url)
    await page.reload()
    await page.getByTestId('bookmark-list').waitFor()
    expect(await page.locator('[data-testid="bookmark-list"] .task-item').getAttribute('data-task')).toBe('28')
    expect(await page.locator('h2').first().textContent()).toBe('My tasks')
    expect(await page.getByTestId('online-status').textContent()).toContain('Offline')
  })

  it('runs under the content security policy without a violation', () => {
    expect(cspViolations).toEqual([])
  })

  it('comes back online and checks the dataset with its version', async () => {
    const seen: (string | undefined)[] = []
    page.on('request', (r) => {
      if (r.url().endsWith('/api/dataset')) seen.push(r.headers()['if-none-match'])
    })
    await context.setOffline(false)
    await expect.poll(() => seen.length, { timeout: 10_000 }).toBeGreaterThan(0)
    expect(seen[0]).toMatch(/^"[0-9a-f]{16}"$/)
    expect(await page.getByTestId('online-status').textContent()).toContain('Online')
  })
})
