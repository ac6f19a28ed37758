import { readdirSync, readFileSync } from 'node:fs'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchChromium, startServer, type RunningServer } from '../helpers/browser'

let browser: Browser
let server: RunningServer
let context: BrowserContext
let page: Page
/** Every answer that came over the network, the page's and the service worker's, with its coding. */
const fetched: { url: string; coding: string | null; byWorker: boolean }[] = []

beforeAll(async () => {
  server = await startServer()
  browser = await launchChromium()
  context = await browser.newContext({ viewport: { width: 360, height: 740 }, locale: 'zh-CN' })
  context.on('requestfinished', (request) => {
    void request
      .response()
      .then(async (response) => {
        if (!response || response.fromServiceWorker()) return
        fetched.push({
          url: new URL(request.url()).pathname,
          coding: await response.headerValue('content-encoding'),
          byWorker: request.serviceWorker() !== null,
        })
      })
      .catch(() => undefined) // the worker or page closed as the test ended
  })
  page = await context.newPage()
})
afterAll(async () => {
  await browser?.close()
  await server?.app.close()
})

const entryScript = () => readdirSync('dist/assets').find((f) => /^index-.*\.js$/.test(f))!

describe('an app sent compressed', () => {
  it('arrives in brotli on the first visit, and the service worker precaches it decoded', async () => {
    await page.goto(server.url)
    await expect.poll(() => page.locator('[data-testid="section-list"] li').count(), { timeout: 15_000 }).toBe(9)
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, { timeout: 30_000 })

    // The shell and the entry script came in brotli, to the page and to the worker precaching them.
    const entry = `/assets/${entryScript()}`
    expect(fetched.filter((f) => f.url === entry && !f.byWorker).map((f) => f.coding)).toEqual(['br'])
    expect(fetched.some((f) => f.byWorker && f.coding === 'br')).toBe(true)
    expect(fetched.find((f) => f.url === '/' && !f.byWorker)?.coding).toBe('br')

    // What the cache holds is the script itself, byte for byte, not its brotli form.
    const cached = await page.evaluate(async (url) => {
      const response = await caches.match(url)
      return response ? response.text() : null
    }, entry)
    expect(cached).toBe(readFileSync(`dist${entry}`, 'utf8'))
  })

  it('works offline from those caches: the home list, a task, and a page whose messages load later', async () => {
    await context.setOffline(true)
    await page.reload()
    await expect.poll(() => page.locator('[data-testid="section-list"] li').count(), { timeout: 15_000 }).toBe(9)

    await page.goto(`${server.url}/tasks/28`)
    await expect
      .poll(() => page.getByRole('heading', { level: 1 }).textContent(), { timeout: 15_000 })
      .toContain('任务 28')

    await page.getByRole('link', { name: '设置' }).click()
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent(), { timeout: 15_000 }).toBe('设置')
    // Messages from the chunk that loads after the first screen are shown, not their keys.
    await expect.poll(() => page.locator('main').textContent()).toContain('本机存储')
    expect(await page.locator('main').textContent()).not.toMatch(/\bsettings\.[a-zA-Z]+/)
    await context.setOffline(false)
  })
})
