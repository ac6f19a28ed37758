import { readFileSync } from 'node:fs'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchChromium, signInThroughUi, startServer, untilStill, type RunningServer } from '../helpers/browser'
import { createUser } from '../../server/auth/accounts'
import { HOSTILE, makeCheckIn } from '../helpers/records'
import { realDataset } from '../helpers/seed'

/*
 * Every page of the app at 360 px, in Chinese and in English: nothing wider than the screen, no element outside
 * it or clipped, no text spilling out of its box, no word of the interface split across two lines ("Campai/gns",
 * "20/26", "A/M"), every control a 44 px target and every input labelled. What people typed (the dataset's text,
 * the hostile names and venues below) may wrap anywhere; the app's own words may not.
 */

let browser: Browser
let server: RunningServer
const contexts: BrowserContext[] = []
/** Signed out (five tabs), an admin (six tabs, every page), a supervisor (the long campaign). */
let anon: Page
let admin: Page
let supervisor: Page
let hostileCampaign: string
let hostileCheckIn: string
let hostileParty: string
let longCampaign: string

async function phone(): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 360, height: 740 }, locale: 'zh-CN' })
  contexts.push(context)
  return context.newPage()
}

// ---- Which words are the interface's and which are what people typed --------------------------------------------

const CJK = /[\p{sc=Han}\p{sc=Hiragana}\p{sc=Katakana}\p{sc=Hangul}\u3000-\u303f\uff00-\uffef]/u
const segmenter = new Intl.Segmenter(undefined, { granularity: 'word' })
/** The words a check looks at: Latin-script words and numbers (CJK text may break between any characters). */
function words(text: string): string[] {
  return [...segmenter.segment(text.replace(/\p{Cf}/gu, ''))]
    .filter((s) => s.isWordLike && s.segment.length > 1 && !CJK.test(s.segment))
    .flatMap((s) => [s.segment, ...s.segment.split(/[^\p{L}\p{N}]+/u)])
    .filter((w) => w.length > 1)
}
function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value]
  if (Array.isArray(value)) return value.flatMap(strings)
  if (value && typeof value === 'object') return Object.values(value).flatMap(strings)
  return []
}
const locales = ['zh-CN', 'en'].map((l) => JSON.parse(readFileSync(`src/locales/${l}.json`, 'utf8')) as unknown)
const interfaceWords = new Set(strings(locales).flatMap((s) => words(s.replace(/\{\w+\}/g, ' '))))
/**
 * Words of user text (the dataset, the hostile strings, the test's people) that may break when nothing else fits.
 * Never the interface's own words, nor numbers: a date or a count is the app's text.
 */
const userWords = [
  ...new Set(
    [...strings(realDataset), ...HOSTILE, 'hostile.name', 'e2e.admin', 'e2e.supervisor'].flatMap((s) => words(s)),
  ),
].filter((w) => !interfaceWords.has(w) && !/^[\d.,:/-]+$/.test(w))

interface Layout {
  small: string[]
  unlabelled: string[]
  outside: string[]
  clipped: string[]
  spilled: string[]
  broken: string[]
  scrollWidth: number
  height: number
}

/** Everything wrong with the page's layout as the person sees it now (see the top of this file). */
async function measure(p: Page): Promise<Layout> {
  return p.evaluate((userWords) => {
    const userWord = new Set(userWords)
    const cjk = /[\p{sc=Han}\p{sc=Hiragana}\p{sc=Katakana}\p{sc=Hangul}\u3000-\u303f\uff00-\uffef]/u
    const width = document.documentElement.clientWidth
    const name = (el: Element) =>
      `${el.tagName.toLowerCase()}${typeof el.className === 'string' && el.className.trim() ? `.${el.className.trim().split(/\s+/).join('.')}` : ''} "${(el.textContent ?? '').trim().slice(0, 24)}"`
    const style = (el: Element) => getComputedStyle(el)
    const scrolls = new Map<Element, boolean>()
    /** Inside a box that scrolls sideways on purpose (what is in it may be wider than the screen). */
    const inScroller = (el: Element): boolean => {
      const parent = el.parentElement
      if (!parent || parent === document.body || parent === document.documentElement) return false
      let known = scrolls.get(parent)
      if (known === undefined) {
        const o = style(parent).overflowX
        known = o === 'auto' || o === 'scroll' || inScroller(parent)
        scrolls.set(parent, known)
      }
      return known
    }
    const srOnly = (el: Element) => !!el.closest('.sr-only')
    const all = [...document.body.querySelectorAll('*')].filter((el) => !srOnly(el))

    const small = [...document.querySelectorAll('a, button, input:not(.sr-only), select, textarea, label.btn')]
      // A radio button or checkbox is tapped through its label, which is the target that must be large.
      .map((el) =>
        (el as HTMLInputElement).type === 'radio' || (el as HTMLInputElement).type === 'checkbox'
          ? (el.closest('label') ?? el)
          : el,
      )
      .map((el) => ({ el, box: el.getBoundingClientRect() }))
      .filter(({ box }) => box.width > 0 && (box.height < 44 || box.width < 44))
      .map(({ el, box }) => `${name(el)} ${Math.round(box.width)}×${Math.round(box.height)}px`)
    const unlabelled = [...document.querySelectorAll('input, select, textarea')]
      .filter((el) => !(el as HTMLInputElement).labels?.length && !el.getAttribute('aria-label'))
      .map((el) => el.outerHTML.slice(0, 60))

    const outside = all
      .map((el) => ({ el, box: el.getBoundingClientRect() }))
      .filter(({ box }) => box.width > 0 && box.height > 0 && (box.left < -0.5 || box.right > width + 0.5))
      .filter(({ el }) => !inScroller(el))
      .map(({ el, box }) => `${name(el)} ${Math.round(box.left)}…${Math.round(box.right)}px`)

    // Inputs scroll their text and a line-clamped excerpt ends in "…" on purpose; anything else cut off is a fault.
    const clipped = all
      .filter((el) => !el.matches('input, select, textarea'))
      .filter((el) => {
        const s = style(el)
        if (s.webkitLineClamp !== 'none') return false
        const hidesX = s.overflowX === 'hidden' || s.overflowX === 'clip' || s.textOverflow === 'ellipsis'
        const hidesY = s.overflowY === 'hidden' || s.overflowY === 'clip'
        return (hidesX && el.scrollWidth > el.clientWidth + 1) || (hidesY && el.scrollHeight > el.clientHeight + 1)
      })
      .map((el) => `${name(el)} ${el.scrollWidth}×${el.scrollHeight} in ${el.clientWidth}×${el.clientHeight}`)

    const spilled: string[] = []
    const broken: string[] = []
    const segmenter = new Intl.Segmenter(document.documentElement.lang || undefined, { granularity: 'word' })
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT)
    const range = document.createRange()
    const lines = (rects: DOMRectList) => {
      const tops = [...rects].filter((r) => r.width > 0).map((r) => r.top)
      return tops.filter((top, i) => tops.slice(0, i).every((t) => Math.abs(t - top) > 4)).length
    }
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const text = node.textContent ?? ''
      const parent = node.parentElement
      if (!text.trim() || !parent || parent.closest('.sr-only, script, style, option, textarea, template')) continue
      range.selectNodeContents(node)
      if (![...range.getClientRects()].some((r) => r.width > 0)) continue
      // The text stays inside the nearest box it is laid out in (word by word: spaces kept by pre-wrap may hang).
      let box: Element = parent
      while (box.parentElement && ['inline', 'contents'].includes(style(box).display)) box = box.parentElement
      const b = box.getBoundingClientRect()
      let spills = false
      for (const s of segmenter.segment(text)) {
        if (!s.segment.trim()) continue
        range.setStart(node, s.index)
        range.setEnd(node, s.index + s.segment.length)
        const wordRects = range.getClientRects()
        spills ||= [...wordRects].some((r) => r.width > 0 && (r.left < b.left - 1 || r.right > b.right + 1))
        // No word of the interface on two lines; a word of what people typed may break where nothing else fits.
        const word = s.segment.replace(/\p{Cf}/gu, '')
        if (!s.isWordLike || word.length < 2 || cjk.test(word) || userWord.has(word)) continue
        if (word.split(/[^\p{L}\p{N}]+/u).every((part) => part.length < 2 || userWord.has(part))) continue
        if (lines(wordRects) > 1) broken.push(`"${word}" in ${name(parent)}`)
      }
      if (spills) spilled.push(`"${text.trim().slice(0, 24)}" out of ${name(box)}`)
    }
    return {
      small,
      unlabelled,
      outside,
      clipped,
      spilled,
      broken,
      scrollWidth: document.documentElement.scrollWidth,
      height: document.documentElement.scrollHeight,
    }
  }, userWords)
}

function expectTidy(layout: Layout, where: string, width = 360) {
  expect(layout.broken, `${where}: words split across lines`).toEqual([])
  expect(layout.outside, `${where}: outside the screen`).toEqual([])
  expect(layout.clipped, `${where}: clipped`).toEqual([])
  expect(layout.spilled, `${where}: text out of its box`).toEqual([])
  expect(layout.small, `${where}: targets under 44 px`).toEqual([])
  expect(layout.unlabelled, `${where}: inputs without a label`).toEqual([])
  expect(layout.scrollWidth, `${where}: page width`).toBeLessThanOrEqual(width)
}

async function open(p: Page, locale: 'zh-CN' | 'en', path: string) {
  await p.evaluate((l) => localStorage.setItem('zhixun.locale', l), locale)
  await p.goto(`${server.url}${path}`)
  await p.locator('.page h1, .page [data-testid]').first().waitFor()
  // What the page fetches from the server, then what it fills in from IndexedDB and fonts.
  await p.waitForLoadState('networkidle')
  await untilStill(p)
}

// ---- The data the pages show -----------------------------------------------------------------------------------

/** A campaign with hostile text everywhere, an inspector with a hostile name, check-ins in it from both. */
async function seedHostileCampaign(me: { id: string }) {
  const departments = new Set(realDataset.departments.map((d) => d.name))
  const other = await createUser(server.store.db, departments, {
    username: 'hostile.name',
    displayName: HOSTILE[0]!.slice(0, 100),
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
  hostileCampaign = (await created.json()).campaign.id
  const party = await admin.request.post(`${server.url}/api/parties`, {
    data: {
      id: '01a2c000-0000-7000-8000-0000000000f1',
      name: `${HOSTILE[0]} ${HOSTILE[4]!.slice(0, 40)}`,
      address: HOSTILE[2],
      personPresent: HOSTILE[1],
      personRole: HOSTILE[4]!.slice(0, 50),
      campaignId: hostileCampaign,
    },
  })
  hostileParty = (await party.json()).party.id
  const records = HOSTILE.map((text, i) =>
    makeCheckIn({
      authorId: me.id,
      campaignId: hostileCampaign,
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
          args: makeCheckIn({ authorId: other.id, campaignId: hostileCampaign, venueName: HOSTILE[2]! }),
        },
      ],
    },
  })
  expect(theirs.json().results[0].status).toBe('applied')
  // A check-in of the admin's own phone, saved through the form, for the check-in page.
  await admin.goto(`${server.url}/checkins/new?task=28`)
  await admin.getByTestId('venue-name').fill(`${HOSTILE[2]} ${HOSTILE[4]!.slice(0, 60)}`)
  await admin.getByTestId('venue-type').selectOption('trade_fair')
  await admin.getByTestId('outcome-suspected').check()
  await admin.getByTestId('checkin-note').fill(HOSTILE.join(' '))
  await admin.getByTestId('save-checkin').click()
  // No location: the form asks once before saving without one.
  await admin.getByTestId('confirm-save').click()
  await admin.getByTestId('checkin-page').waitFor()
  hostileCheckIn = admin.url().split('/checkins/')[1]!
}

/** 92 check-ins over 30 days, 81 of them at a place of their own, from one supervisor's own phone. */
async function seedLongCampaign(me: { id: string }) {
  const created = await supervisor.request.post(`${server.url}/api/campaigns`, {
    data: {
      name: '2026 年秋季展会专项检查',
      description: '广交会及周边市场。',
      taskNumbers: [28, 37],
      departments: ['省知识产权局'],
      inspectorIds: [me.id],
      startDate: '2026-10-01',
      endDate: '2026-12-31',
      venues: [],
    },
  })
  longCampaign = (await created.json()).campaign.id
  const outcomes = ['no_problem', 'suspected', 'case_opened'] as const
  const records = Array.from({ length: 92 }, (_, i) =>
    makeCheckIn({
      authorId: me.id,
      campaignId: longCampaign,
      venueName: `琶洲展馆 ${i + 1} 号展位`,
      occurredAt: new Date(Date.UTC(2026, 9, 1 + (i % 30), 1 + (i % 9), i % 60)).toISOString(),
      location: i < 81 ? { lat: 23.1 + i / 1000, lng: 113.36 + i / 1000, accuracy: 10 } : null,
      outcome: outcomes[i % 3],
      note: i % 4 ? '' : '展位上的蓝牙耳机疑似仿冒，已拍照取证。',
    }),
  )
  const res = await supervisor.request.post(`${server.url}/api/sync/push`, {
    data: {
      clientId: 'layout-supervisor-phone',
      mutations: records.map((args, i) => ({ seq: i + 1, name: 'checkin.create', args })),
    },
  })
  expect(res.status()).toBe(200)
  expect(
    ((await res.json()) as { results: { status: string }[] }).results.filter((r) => r.status === 'applied'),
  ).toHaveLength(92)
}

beforeAll(async () => {
  server = await startServer()
  browser = await launchChromium()
  anon = await phone()
  admin = await phone()
  supervisor = await phone()
  await seedHostileCampaign(await signInThroughUi(admin, server, 'admin'))
  await seedLongCampaign(await signInThroughUi(supervisor, server, 'supervisor'))
  await anon.goto(server.url)
  await anon.locator('[data-testid="section-list"] li').first().waitFor()
})
afterAll(async () => {
  for (const context of contexts) await context.close()
  await browser?.close()
  await server?.app.close()
})

// ---- Every page, both languages -----------------------------------------------------------------------------

/** Every route of src/router.ts, most of them as a signed-in admin (six tabs, the longest bottom bar). */
const everyPage: [string, 'anon' | 'admin', () => string][] = [
  ['home', 'admin', () => '/'],
  ['section', 'admin', () => '/sections/2'],
  ['task', 'admin', () => '/tasks/153'],
  ['departments', 'admin', () => '/departments'],
  ['department', 'admin', () => `/departments/${encodeURIComponent('省工商局')}`],
  ['search', 'admin', () => '/search?q=展会'],
  ['search (Latin)', 'admin', () => '/search?q=gsj'],
  ['records', 'admin', () => '/records'],
  ['check-in new', 'admin', () => '/checkins/new?task=28'],
  ['check-in new, in a campaign', 'admin', () => `/checkins/new?campaign=${hostileCampaign}`],
  ['check-in view', 'admin', () => `/checkins/${hostileCheckIn}`],
  ['inspection record', 'admin', () => `/checkins/${hostileCheckIn}/inspection`],
  ['campaigns', 'admin', () => '/campaigns'],
  ['campaign', 'admin', () => `/campaigns/${hostileCampaign}`],
  ['campaign new', 'admin', () => '/campaigns/new'],
  ['campaign edit', 'admin', () => `/campaigns/${hostileCampaign}/edit`],
  ['report', 'admin', () => `/campaigns/${hostileCampaign}/report`],
  ['coverage', 'admin', () => '/coverage'],
  ['parties', 'admin', () => '/parties'],
  ['party', 'admin', () => `/parties/${hostileParty}`],
  ['certificate', 'admin', () => '/certificate'],
  ['users', 'admin', () => '/admin/users'],
  ['audit', 'admin', () => `/audit?recordId=${hostileCheckIn}`],
  ['settings', 'admin', () => '/settings'],
  ['about', 'admin', () => '/about'],
  ['not-found', 'admin', () => '/no/such/page'],
  ['sign-in', 'anon', () => '/signin'],
  ['home, signed out', 'anon', () => '/'],
  ['settings, signed out', 'anon', () => '/settings'],
]
const cases = (['zh-CN', 'en'] as const).flatMap((locale) =>
  everyPage.map(([name, who, path]) => [locale, name, who, path] as const),
)

describe('every page at 360 px wide', () => {
  it.each(cases)(
    'in %s, %s fits, breaks no word, clips nothing and has 44 px targets',
    async (locale, what, who, path) => {
      const p = who === 'admin' ? admin : anon
      await open(p, locale, path())
      expectTidy(await measure(p), `${locale} ${what}`)
      // Opened directly, the page has loaded what it shows (it did not wait for a session it already has).
      expect(await p.locator('.page').textContent(), what).not.toMatch(/正在加载|Loading…/)
      // The markup in the hostile strings stayed text.
      expect(await p.locator('.page img[src="x"], .page script').count(), what).toBe(0)
    },
  )

  it('shows the hostile inspector name and venues as text in the campaign progress and the accounts list', async () => {
    await open(admin, 'zh-CN', `/campaigns/${hostileCampaign}`)
    await expect.poll(() => admin.getByTestId('by-inspector').textContent()).toContain(HOSTILE[0]!.slice(0, 100))
    expect(await admin.getByTestId('report-checkins').textContent()).toContain(HOSTILE[2])
    await open(admin, 'zh-CN', '/admin/users')
    await expect.poll(() => admin.getByTestId('user-list').textContent()).toContain(HOSTILE[0]!.slice(0, 100))
    expect(await admin.locator('img[src="x"], .page script').count()).toBe(0)
  })

  it('shows every bottom-bar label whole: no more lines than words, nothing wider than its tab', async () => {
    for (const locale of ['zh-CN', 'en'] as const) {
      await open(admin, locale, '/settings')
      const labels = await admin.locator('.bottom-nav .item span:not(.icon)').evaluateAll((spans) =>
        spans.map((s) => {
          const tab = s.parentElement!
          return {
            text: s.textContent!.trim(),
            lines: Math.round(s.getBoundingClientRect().height / parseFloat(getComputedStyle(s).lineHeight)),
            fits: s.scrollWidth <= s.clientWidth && s.getBoundingClientRect().width <= tab.clientWidth,
          }
        }),
      )
      expect(labels, locale).toHaveLength(6)
      // "Campai/gns" was one word on two lines; "Check in" may take two, a word never.
      expect(
        labels.filter((l) => !l.fits || l.lines > l.text.split(/\s+/).length),
        locale,
      ).toEqual([])
      if (locale === 'en') expect(labels.map((l) => l.text)).toContain('Campaigns')
    }
  })
})

// ---- A long campaign ------------------------------------------------------------------------------------------

describe('a campaign with 92 check-ins at 81 places', () => {
  const shown = () =>
    supervisor.evaluate(() => ({
      checkIns: document.querySelectorAll('[data-testid="report-checkins"] > li').length,
      places: document.querySelectorAll('[data-testid="locations"] > li').length,
      height: document.documentElement.scrollHeight,
    }))

  it('shows 20 check-ins and 20 places at a time on a phone, each "more" a real button that moves the focus on', async () => {
    await supervisor.setViewportSize({ width: 360, height: 740 })
    await open(supervisor, 'en', `/campaigns/${longCampaign}`)
    await expect.poll(() => supervisor.getByTestId('report-summary').textContent()).toContain('92')
    const first = await shown()
    expect(first).toMatchObject({ checkIns: 20, places: 20 })
    // All 92 and 81 on one page were 34,000 px; 20 of each stay within a few screens (each check-in now with
    // what the server found of it and its evidence and review buttons: about 12,100 px).
    expect(first.height).toBeLessThan(13_000)
    // The labels sit above their values, which get the width of the screen, not a squeezed column.
    const values = await supervisor.locator('.facts dd').evaluateAll((dds) => dds.map((dd) => dd.clientWidth))
    expect(Math.min(...values)).toBeGreaterThan(300)
    expectTidy(await measure(supervisor), 'long campaign')

    const more = supervisor.getByRole('button', { name: 'Show more check-ins (72 left)' })
    const box = (await more.boundingBox())!
    expect(box.height).toBeGreaterThanOrEqual(44)
    await more.click()
    await expect.poll(async () => (await shown()).checkIns).toBe(40)
    // The focus is on the first check-in the button revealed, the 21st, so reading goes on from there.
    const focused = () =>
      supervisor.evaluate(() => {
        const el = document.activeElement
        const items = [...document.querySelectorAll('[data-testid="report-checkins"] > li')]
        return { index: items.findIndex((li) => li === el || li.contains(el)), text: el?.textContent?.trim() ?? '' }
      })
    expect((await focused()).index).toBe(20)
    await expect(supervisor.getByRole('button', { name: 'Show more check-ins (52 left)' }).isVisible()).resolves.toBe(
      true,
    )

    // The places have their own button; from the keyboard this time.
    await supervisor.getByRole('button', { name: 'Show more places (61 left)' }).focus()
    await supervisor.keyboard.press('Enter')
    await expect.poll(async () => (await shown()).places).toBe(40)
    const place = await supervisor.evaluate(() => {
      const items = [...document.querySelectorAll('[data-testid="locations"] > li')]
      return items.findIndex((li) => li.contains(document.activeElement))
    })
    expect(place).toBe(20)
    expect((await shown()).checkIns).toBe(40)

    // Pressed to the end, the check-in button goes away with all 92 shown.
    for (let left = 52; left > 0; left -= 20) {
      await supervisor.getByRole('button', { name: `Show more check-ins (${left} left)` }).click()
    }
    await expect.poll(async () => (await shown()).checkIns).toBe(92)
    expect(await supervisor.getByTestId('more-checkins').count()).toBe(0)
  })

  it('in Chinese, the same, with the button in Chinese', async () => {
    await supervisor.setViewportSize({ width: 360, height: 740 })
    await open(supervisor, 'zh-CN', `/campaigns/${longCampaign}`)
    await expect.poll(async () => (await shown()).checkIns).toBe(20)
    await supervisor.getByRole('button', { name: '再显示巡查登记（还有 72 条）' }).click()
    await expect.poll(async () => (await shown()).checkIns).toBe(40)
    expectTidy(await measure(supervisor), 'long campaign, zh-CN')
  })

  it('uses the width of a 1280 px screen: two columns, not a stretched phone', async () => {
    await supervisor.setViewportSize({ width: 1280, height: 800 })
    try {
      await open(supervisor, 'en', `/campaigns/${longCampaign}`)
      await expect.poll(async () => (await shown()).checkIns).toBe(20)
      const layout = await supervisor.evaluate(() => {
        const box = (el: Element | null | undefined) => el!.getBoundingClientRect()
        const items = [...document.querySelectorAll('[data-testid="report-checkins"] > li')].map((li) => box(li))
        const places = [...document.querySelectorAll('[data-testid="locations"] > li')].map((li) => box(li))
        return {
          list: box(document.querySelector('[data-testid="report-checkins"]')).width,
          page: box(document.querySelector('.page')).width,
          sideBySide: items[0]!.top === items[1]!.top && items[1]!.left > items[0]!.right - 1,
          placesSideBySide: places[0]!.top === places[1]!.top && places[1]!.left > places[0]!.right - 1,
          tablesSideBySide:
            box(document.querySelector('[data-testid="by-venue-type"]')).top ===
            box(document.querySelector('[data-testid="by-day"]')).top,
        }
      })
      expect(layout.page).toBeGreaterThan(1000)
      expect(layout.list).toBeGreaterThan(1000)
      expect(layout).toMatchObject({ sideBySide: true, placesSideBySide: true, tablesSideBySide: true })
      expectTidy(await measure(supervisor), 'long campaign at 1280 px', 1280)
      // The printable report too: its table has the width of the screen, not a phone's.
      await open(supervisor, 'en', `/campaigns/${longCampaign}/report`)
      const table = await supervisor.locator('table.detail').evaluate((t) => t.getBoundingClientRect().width)
      expect(table).toBeGreaterThan(1000)
    } finally {
      await supervisor.setViewportSize({ width: 360, height: 740 })
    }
  })
})
