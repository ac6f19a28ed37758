import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchChromium, signInThroughUi, startServer, untilStill, type RunningServer } from '../helpers/browser'
import { createUser } from '../../server/auth/accounts'
import { HOSTILE, makeCheckIn } from '../helpers/records'
import { realDataset } from '../helpers/seed'

let browser: Browser
let server: RunningServer
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

async function measure(p: Page) {
  return p.evaluate(() => {
    const small = [...document.querySelectorAll('a, button, input:not(.sr-only), select, textarea, label.btn')]
      // A radio button or checkbox is tapped through its label, which is the target that must be large.
      .map((el) =>
        (el as HTMLInputElement).type === 'radio' || (el as HTMLInputElement).type === 'checkbox'
          ? (el.closest('label') ?? el)
          : el,
      )
      .map((el) => ({ el, box: el.getBoundingClientRect() }))
      .filter(({ box }) => box.width > 0 && box.height < 44)
      .map(
        ({ el, box }) =>
          `${el.tagName.toLowerCase()} "${el.textContent?.trim().slice(0, 20)}" ${Math.round(box.height)}px`,
      )
    const unlabelled = [...document.querySelectorAll('input, select, textarea')]
      .filter((el) => !(el as HTMLInputElement).labels?.length && !el.getAttribute('aria-label'))
      .map((el) => el.outerHTML.slice(0, 60))
    return { small, unlabelled, scrollWidth: document.documentElement.scrollWidth }
  })
}

describe('at 360 px wide', () => {
  it.each(cases)('in %s, %s fits the screen and every control is at least 44 px tall', async (locale, path) => {
    await page.evaluate((l) => localStorage.setItem('zhixun.locale', l), locale)
    await page.goto(`${server.url}${path}`)
    await page.locator('.page h1, .page [data-testid]').first().waitFor()
    await untilStill(page)
    const layout = await measure(page)
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

describe('the supervisor and admin pages, at 360 px wide, with long and hostile text in them', () => {
  let admin: Page
  let campaignId: string
  const supervisorPages = () => [
    '/campaigns',
    `/campaigns/${campaignId}`,
    `/campaigns/${campaignId}/edit`,
    `/campaigns/${campaignId}/report`,
    '/campaigns/new',
    '/coverage',
    '/admin/users',
    `/checkins/new?campaign=${campaignId}`,
  ]

  beforeAll(async () => {
    admin = await browser.newPage({ viewport: { width: 360, height: 740 } })
    const me = await signInThroughUi(admin, server, 'admin')
    // An inspector whose very name is hostile, in the campaign, with a check-in of their own.
    const departments = new Set(realDataset.departments.map((d) => d.name))
    const hostileName = HOSTILE[0]!.slice(0, 100)
    const other = await createUser(server.store.db, departments, {
      username: 'hostile.name',
      displayName: hostileName,
      department: '省知识产权局',
      role: 'inspector',
      password: 'e2e-password-long',
    })
    const login = await server.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { username: 'hostile.name', password: 'e2e-password-long' },
    })
    const otherCookie = String(login.headers['set-cookie']).split(';')[0]!
    const created = await admin.request.post(`${server.url}/api/campaigns`, {
      data: {
        name: `${HOSTILE[0]} ${HOSTILE[4]!.slice(0, 40)}`,
        description: HOSTILE.join('\n'),
        taskNumbers: [28, 37],
        departments: ['省知识产权局'],
        inspectorIds: [me.id, other.id],
        startDate: '2026-01-01',
        endDate: '2099-12-31',
        venues: [HOSTILE[2]!, HOSTILE[4]!],
      },
    })
    campaignId = (await created.json()).campaign.id
    const records = HOSTILE.map((text, i) =>
      makeCheckIn({
        authorId: me.id,
        campaignId,
        venueName: text,
        note: HOSTILE.join(' '),
        taskNumbers: [28],
        occurredAt: `2026-11-2${i}T03:00:00.000Z`,
      }),
    )
    const res = await admin.request.post(`${server.url}/api/sync/push`, {
      data: {
        clientId: 'layout-admin-phone',
        mutations: records.map((args, i) => ({ seq: i + 1, name: 'checkin.create', args })),
      },
    })
    expect(res.status()).toBe(200)
    const theirs = await server.app.inject({
      method: 'POST',
      url: '/api/sync/push',
      headers: { cookie: otherCookie },
      payload: {
        clientId: 'layout-hostile-phone',
        mutations: [
          {
            seq: 1,
            name: 'checkin.create',
            args: makeCheckIn({ authorId: other.id, campaignId, venueName: HOSTILE[2]! }),
          },
        ],
      },
    })
    expect(theirs.json().results[0].status).toBe('applied')
  })

  it('shows the hostile inspector name and venues as text in the campaign progress and the accounts list', async () => {
    await admin.evaluate(() => localStorage.setItem('zhixun.locale', 'zh-CN'))
    await admin.goto(`${server.url}/campaigns/${campaignId}`)
    await expect.poll(() => admin.getByTestId('by-inspector').textContent()).toContain(HOSTILE[0]!.slice(0, 100))
    expect(await admin.getByTestId('report-checkins').textContent()).toContain(HOSTILE[2])
    await admin.goto(`${server.url}/admin/users`)
    await expect.poll(() => admin.getByTestId('user-list').textContent()).toContain(HOSTILE[0]!.slice(0, 100))
    expect(await admin.locator('img[src="x"], .page script').count()).toBe(0)
  })

  const cases = (['zh-CN', 'en'] as const).flatMap((locale) =>
    [0, 1, 2, 3, 4, 5, 6, 7].map((i) => [locale, i] as const),
  )
  it.each(cases)('in %s, page %i fits, has 44 px targets and labels everything', async (locale, i) => {
    const path = supervisorPages()[i]!
    await admin.evaluate((l) => localStorage.setItem('zhixun.locale', l), locale)
    await admin.goto(`${server.url}${path}`)
    await admin.locator('.page h1').first().waitFor()
    // Wait for what the page fetches from the server.
    await admin.waitForLoadState('networkidle')
    await untilStill(admin)
    const layout = await measure(admin)
    expect(layout.small, path).toEqual([])
    expect(layout.unlabelled, path).toEqual([])
    expect(layout.scrollWidth, path).toBeLessThanOrEqual(360)
    // Opened directly, the page has loaded what it shows (it did not wait for a session it already has).
    expect(await admin.locator('.page').textContent(), path).not.toMatch(/正在加载|Loading…/)
    // The markup in the hostile strings stayed text.
    expect(await admin.locator('.page img[src="x"], .page script').count(), path).toBe(0)
  })
})
