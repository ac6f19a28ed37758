import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchChromium, signInThroughUi, startServer, untilStill, type RunningServer } from '../helpers/browser'
import { makeCheckIn } from '../helpers/records'

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

/** Each task label ("任务 138", "Task 138") of a list: its height and how many lines it takes, with its line's height. */
function taskLabels(
  page: Page,
  list: string,
): Promise<{ text: string; lines: number; height: number; line: number }[]> {
  return page
    .getByTestId(list)
    .getByTestId('task-label')
    .evaluateAll((labels) =>
      labels.map((label) => ({
        text: label.textContent ?? '',
        lines: label.getClientRects().length,
        height: label.getBoundingClientRect().height,
        line: parseFloat(getComputedStyle(label).lineHeight),
      })),
    )
}

describe('my records at 360 px', () => {
  it('keeps the record text wide beside the state badge, and a task label on one line, in both languages', async () => {
    const context = await browser.newContext({ viewport: { width: 360, height: 740 }, locale: 'zh-CN' })
    const page = await context.newPage()
    const me = await signInThroughUi(page, server)

    // From the inspector's other phone: two recent check-ins, and older ones (kept on the server only) for tasks
    // listed in several orders, so that in either language some label falls where a line ends.
    const other = await browser.newContext()
    const login = await other.request.post(`${server.url}/api/auth/login`, {
      data: { username: me.username, password: 'e2e-password-long' },
    })
    expect(login.status()).toBe(200)
    const taskLists = [[28, 11, 138], [138, 11, 138], [11, 138], [28, 138], [138], [11, 28, 138]]
    const made = [
      makeCheckIn({ authorId: me.id, venueName: 'Baiyun wholesale market, stall 3', taskNumbers: [28] }),
      makeCheckIn({ authorId: me.id, venueName: '广交会展馆 A 区', taskNumbers: [28, 11] }),
      ...taskLists.map((taskNumbers, i) =>
        makeCheckIn({
          authorId: me.id,
          venueName: `天河区某商场 ${i}`,
          taskNumbers,
          outcome: i % 2 ? 'no_problem' : 'suspected',
          occurredAt: `2025-0${i + 1}-1${i}T02:30:00.000Z`,
          createdAt: `2025-0${i + 1}-1${i}T02:31:00.000Z`,
        }),
      ),
    ]
    const pushed = await other.request.post(`${server.url}/api/sync/push`, {
      data: {
        clientId: 'other-phone-layout',
        mutations: made.map((args, i) => ({ seq: i + 1, name: 'checkin.create', args })),
      },
    })
    const results = ((await pushed.json()) as { results: { status: string }[] }).results
    expect(results.map((r) => r.status)).toEqual(Array(made.length).fill('applied'))
    await other.close()

    await page.goto(`${server.url}/records`)
    await page.getByTestId('sync-now').click()
    await expect
      .poll(() => page.locator('[data-testid="checkin-list"] [data-state="verified"]').count(), { timeout: 20_000 })
      .toBe(2)
    await expect
      .poll(() => page.getByTestId('older-list').locator('li').count(), { timeout: 20_000 })
      .toBe(taskLists.length)

    for (const lang of ['zh-CN', 'en']) {
      if (lang === 'en') {
        await page.goto(`${server.url}/settings`)
        await page.locator('label:has([data-testid="locale-en"])').click()
        await expect.poll(() => page.evaluate(() => document.documentElement.lang)).toBe('en')
        await page.goto(`${server.url}/records`)
        await page.getByTestId('older-list').locator('li').first().waitFor()
      }
      await untilStill(page)
      const rows = page.locator('[data-testid="checkin-list"] li')
      expect(await rows.first().getByTestId('record-state').textContent()).toBe(
        lang === 'en' ? 'Verified on server' : '服务器已核验',
      )
      // The record's text keeps most of the row: the state badge does not stand beside it as a column.
      for (const text of await rows.locator('.body').all()) {
        expect((await text.boundingBox())!.width, lang).toBeGreaterThanOrEqual(220)
      }
      // "任务 138" / "Task 138" never breaks inside: one line each, in both lists.
      for (const list of ['checkin-list', 'older-list']) {
        const labels = await taskLabels(page, list)
        expect(labels.length).toBeGreaterThan(0)
        for (const label of labels) {
          expect(label.text).toMatch(lang === 'en' ? /^Task \d+$/ : /^任务 \d+$/)
          expect(label.lines, `${lang} ${list} ${label.text}`).toBe(1)
          expect(label.height, `${lang} ${list} ${label.text}`).toBeLessThanOrEqual(label.line)
        }
      }
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360)
    }
    await context.close()
  })
})
