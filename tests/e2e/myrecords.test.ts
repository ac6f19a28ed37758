import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchChromium, signInThroughUi, startServer, type RunningServer } from '../helpers/browser'
import { makeCheckIn, makeNote } from '../helpers/records'

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

/** Shows every check-in the records page lists, pressing "more" until it is gone; returns how many rows there are. */
async function showAll(page: Page): Promise<number> {
  const more = page.locator('button.more')
  while (await more.isVisible()) {
    const before = await page.locator('[data-testid="checkin-list"] li').count()
    await more.click()
    await expect.poll(() => page.locator('[data-testid="checkin-list"] li').count()).toBeGreaterThan(before)
  }
  return page.locator('[data-testid="checkin-list"] li').count()
}

/** Opens the task's page, reads its count of my check-ins, follows the link and counts what the list shows. */
async function taskCountAndList(page: Page, task: number): Promise<{ count: number; listed: number; heading: string }> {
  await page.goto(`${server.url}/tasks/${task}`)
  const link = page.getByTestId('task-checkin-count')
  await link.waitFor()
  const count = Number((await link.textContent())!.match(/\d+/)![0])
  await link.click()
  await page.waitForURL((u) => u.pathname === '/records' && u.searchParams.get('task') === String(task))
  await page.locator('[data-testid="checkin-list"] li').first().waitFor()
  const listed = await showAll(page)
  return { count, listed, heading: (await page.getByTestId('checkin-total').textContent())!.trim() }
}

describe('my records (issue 10, item 6)', () => {
  it('lists my check-ins and notes made on another phone, marked in both languages, and every count is its list', async () => {
    const context = await browser.newContext({ viewport: { width: 360, height: 740 }, locale: 'zh-CN' })
    const page = await context.newPage()
    const me = await signInThroughUi(page, server)

    // On this phone: one check-in for task 28, through the form.
    await page.goto(`${server.url}/checkins/new?task=28`)
    await page.getByTestId('venue-name').click()
    await page.keyboard.type('本机登记的市场')
    await page.getByTestId('venue-type').selectOption('market')
    await page.getByTestId('outcome-no_problem').check()
    await page.getByTestId('save-checkin').click()
    await page.getByTestId('confirm-save').click()
    await page.getByTestId('checkin-page').waitFor()

    // The same inspector's other phone: signed in there, it sends 55 check-ins for task 28, one for task 11 and
    // a note, under a client id of its own.
    const other = await browser.newContext()
    const login = await other.request.post(`${server.url}/api/auth/login`, {
      data: { username: me.username, password: 'e2e-password-long' },
    })
    expect(login.status()).toBe(200)
    const made = [
      ...Array.from({ length: 55 }, (_, i) => makeCheckIn({ authorId: me.id, venueName: `另一部手机 ${i}` })),
      makeCheckIn({ authorId: me.id, venueName: '另一部手机，任务 11', taskNumbers: [11] }),
    ]
    const pushed = await other.request.post(`${server.url}/api/sync/push`, {
      data: {
        clientId: 'other-phone-of-mine',
        mutations: [
          ...made.map((args, i) => ({ seq: i + 1, name: 'checkin.create', args })),
          {
            seq: made.length + 1,
            name: 'note.put',
            args: { note: makeNote({ authorId: me.id, text: '另一部手机的笔记' }), baseVersion: null },
          },
        ],
      },
    })
    const results = ((await pushed.json()) as { results: { status: string }[] }).results
    expect(results.map((r) => r.status)).toEqual(Array(made.length + 1).fill('applied'))
    await other.close()

    // This phone syncs and lists them all: 57 of mine, the first 50 shown, the rest a press away.
    await page.goto(`${server.url}/records`)
    await page.getByTestId('sync-now').click()
    await expect
      .poll(() => page.getByTestId('checkin-total').textContent(), { timeout: 15_000 })
      .toBe('本机的巡查登记（57）')
    expect(await page.locator('[data-testid="checkin-list"] li').count()).toBe(50)
    expect(await page.locator('button.more').textContent()).toContain('还有 7 项')
    expect(await showAll(page)).toBe(57)
    const rows = page.locator('[data-testid="checkin-list"] li')
    // Pulled in just now, the other phone's come first; each says where it was made, and this phone's does not.
    expect(await rows.first().getByTestId('other-phone').textContent()).toBe('在另一部手机上登记')
    expect(await rows.getByTestId('other-phone').count()).toBe(56)
    const here = rows.filter({ hasText: '本机登记的市场' })
    expect(await here.count()).toBe(1)
    expect(await here.getByTestId('other-phone').count()).toBe(0)
    const notes = page.getByTestId('note-list')
    expect(await notes.textContent()).toContain('另一部手机的笔记')
    expect(await notes.getByTestId('other-phone').textContent()).toBe('在另一部手机上登记')

    // Every count that links to a list is the number of items the list shows.
    expect(await taskCountAndList(page, 28)).toEqual({ count: 56, listed: 56, heading: '本机的巡查登记（56）' })
    expect(await page.locator('[data-testid="note-list"] li').count()).toBe(1)
    expect(await page.getByRole('heading', { name: '笔记（1）' }).count()).toBe(1)
    expect(await taskCountAndList(page, 11)).toEqual({ count: 1, listed: 1, heading: '本机的巡查登记（1）' })
    expect(await page.getByTestId('note-list').count()).toBe(0)

    // In English, chosen on the settings page as an inspector does.
    await page.goto(`${server.url}/settings`)
    await page.locator('label:has([data-testid="locale-en"])').click()
    await expect.poll(() => page.evaluate(() => document.documentElement.lang)).toBe('en')
    expect(await taskCountAndList(page, 28)).toEqual({ count: 56, listed: 56, heading: 'Check-ins on this phone (56)' })
    await page.goto(`${server.url}/tasks/28`)
    expect(await page.getByTestId('task-checkin-count').textContent()).toContain('56 check-ins of mine for this task')
    await page.goto(`${server.url}/records`)
    await page.locator('[data-testid="checkin-list"] li').first().waitFor()
    expect(await rows.first().getByTestId('other-phone').textContent()).toBe('Made on another phone')
    expect(await page.getByTestId('note-list').getByTestId('other-phone').textContent()).toBe('Made on another phone')
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360)
    await context.close()
  })
})
