import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createUser } from '../../server/auth/accounts'
import type { CheckIn } from '../../src/kernel/sync-schema'
import { countIn, launchChromium, type RunningServer, signInThroughUi, startServer } from '../helpers/browser'
import { realDataset } from '../helpers/seed'

// Enter in a field of a form that makes a record (the phone keyboard's "Go"/"前往" key) never saves it: the
// browser's implicit submission once saved whole check-ins, outcome left at its default, uploaded at once.
// Only the save (or sign) button saves. At 360 px, with the keyboard, in Chinese and in English.

let browser: Browser
let server: RunningServer
const GUANGZHOU = { latitude: 23.1291, longitude: 113.2644, accuracy: 20 }

beforeAll(async () => {
  server = await startServer()
  browser = await launchChromium()
  // A colleague in the same department, to filter for among the co-inspectors.
  await createUser(server.store.db, new Set(realDataset.departments.map((d) => d.name)), {
    username: `e2e.colleague.${Math.random().toString(36).slice(2, 8)}`,
    displayName: '王芳',
    department: '省知识产权局',
    role: 'inspector',
    password: 'e2e-password-long',
  })
})
afterAll(async () => {
  await browser?.close()
  await server?.app.close()
})

/** A phone where the location was allowed before, in `locale`, signed in as `role`; every form submission is noted. */
async function phone(
  locale: 'zh-CN' | 'en',
  role: 'inspector' | 'supervisor' | 'admin' = 'inspector',
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({
    viewport: { width: 360, height: 740 },
    locale: 'zh-CN',
    permissions: ['geolocation'],
    geolocation: GUANGZHOU,
  })
  await context.addInitScript(() => {
    const w = window as unknown as { submitted: string[] }
    w.submitted = []
    document.addEventListener('submit', (e) => w.submitted.push((e.target as HTMLElement).dataset.testid ?? ''), true)
  })
  const page = await context.newPage()
  page.on('dialog', (d) => {
    throw new Error(`a browser dialog appeared: ${d.message()}`)
  })
  await page.goto(server.url)
  await page.evaluate((l) => localStorage.setItem('zhixun.locale', l), locale)
  await signInThroughUi(page, server, role)
  return { context, page }
}

const submitted = (page: Page) => page.evaluate(() => (window as unknown as { submitted: string[] }).submitted)
/** What has the focus: its test id, else its id, else its tag. */
const focused = (page: Page) =>
  page.evaluate(() => {
    const el = document.activeElement
    return el?.getAttribute('data-testid') || el?.id || el?.tagName.toLowerCase()
  })

/** The form is still there, nothing submitted it, and no check-in is on the phone. */
async function checkInNotSaved(page: Page) {
  expect(await submitted(page)).not.toContain('checkin-form')
  expect(new URL(page.url()).pathname).toBe('/checkins/new')
  expect(await page.getByTestId('checkin-form').isVisible()).toBe(true)
  expect(await countIn(page, 'checkins')).toBe(0)
}

/** Focuses the field, types `text` as a person does, and presses Enter. */
async function typeAndEnter(page: Page, field: ReturnType<Page['getByTestId']>, text = '') {
  await field.focus()
  if (text) await page.keyboard.type(text)
  await page.keyboard.press('Enter')
}

/** Draws a signature on the open pad with the mouse, and hands it over. */
async function drawSignature(page: Page) {
  const canvas = page.getByTestId('signature-canvas')
  await canvas.scrollIntoViewIfNeeded()
  const box = (await canvas.boundingBox())!
  await page.mouse.move(box.x + 20, box.y + box.height / 2)
  await page.mouse.down()
  for (let i = 1; i <= 12; i++)
    await page.mouse.move(box.x + 20 + i * ((box.width - 40) / 12), box.y + box.height / 2 + (i % 2 ? -30 : 30))
  await page.mouse.up()
  await page.getByTestId('signature-done').click()
  await page.getByTestId('insp-pad').waitFor({ state: 'detached' })
}

describe('Enter in a field of the check-in form', () => {
  it('moves on and saves nothing, in each single-line field; only the save button saves (zh-CN, keyboard)', async () => {
    const { context, page } = await phone('zh-CN')
    // The colleagues to pick come down with the first sync after signing in.
    await expect.poll(() => countIn(page, 'colleagues'), { timeout: 20_000 }).toBeGreaterThanOrEqual(2)
    await page.goto(`${server.url}/checkins/new?task=28`)
    // With a location and a venue name the check-in is complete enough to save without asking anything.
    await page.getByTestId('location').waitFor()
    expect(await page.getByTestId('venue-name').getAttribute('enterkeyhint')).toBe('next')
    expect(await page.getByTestId('party-query').getAttribute('enterkeyhint')).toBe('search')
    expect(await page.getByTestId('co-inspector-filter').getAttribute('enterkeyhint')).toBe('search')

    await typeAndEnter(page, page.getByTestId('venue-name'), '东门市场')
    await checkInNotSaved(page)
    expect(await focused(page)).toBe('party-query')

    // A new party made inline: Enter in its fields saves neither the party nor the check-in…
    const parties = await countIn(page, 'parties')
    await page.getByTestId('party-new').click()
    await typeAndEnter(page, page.getByTestId('party-name'), '夜市档口')
    expect(await focused(page)).toBe('party-code')
    await page.keyboard.press('Enter')
    for (const [testId, text] of [
      ['party-address', '越秀区北京路 1 号'],
      ['party-person', '陈先生'],
      ['party-role', '店主'],
      ['party-phone', '13800000000'],
    ] as const) {
      expect(await focused(page)).toBe(testId)
      await page.keyboard.type(text)
      await page.keyboard.press('Enter')
    }
    expect(await page.getByTestId('party-form').isVisible()).toBe(true)
    expect(await submitted(page)).toEqual([])
    expect(await countIn(page, 'parties')).toBe(parties)
    await checkInNotSaved(page)
    // …and its own save button saves the party, not the check-in; the focus stays on the party chosen.
    await page.getByTestId('party-save').click()
    await page.getByTestId('party-chosen').waitFor()
    expect(await countIn(page, 'parties')).toBe(parties + 1)
    await checkInNotSaved(page)
    expect(await focused(page)).toBe('party-chosen-box')

    // Found again by searching: Enter goes to the first party found, Enter there chooses it.
    await page.getByTestId('party-remove').click()
    expect(await focused(page)).toBe('party-query')
    await page.keyboard.type('夜市')
    await page.getByTestId('party-result').first().waitFor()
    await page.keyboard.press('Enter')
    await checkInNotSaved(page)
    expect(await focused(page)).toBe('party-result')
    await page.keyboard.press('Enter')
    await page.getByTestId('party-chosen').waitFor()
    expect(await focused(page)).toBe('party-chosen-box')
    // Tab to a result and Enter: the focus does not drop to the page.
    await page.getByTestId('party-remove').click()
    await page.keyboard.type('夜市')
    await page.getByTestId('party-result').first().waitFor()
    await page.keyboard.press('Tab')
    expect(await focused(page)).toBe('party-result')
    await page.keyboard.press('Enter')
    await page.getByTestId('party-chosen').waitFor()
    expect(await focused(page)).toBe('party-chosen-box')
    await checkInNotSaved(page)

    await typeAndEnter(page, page.locator('#ci-time'))
    await checkInNotSaved(page)

    // The colleague filter: Enter goes to the colleagues listed; Enter on one ticks nothing and saves nothing.
    await typeAndEnter(page, page.getByTestId('co-inspector-filter'), '王')
    await checkInNotSaved(page)
    expect(await page.evaluate(() => (document.activeElement as HTMLInputElement).type)).toBe('checkbox')
    await page.keyboard.press('Space')
    await page.keyboard.press('Enter')
    await checkInNotSaved(page)

    await page.getByTestId('outcome-suspected').check()
    await page.keyboard.press('Enter')
    await checkInNotSaved(page)

    await typeAndEnter(page, page.getByTestId('premises'), '2')
    await checkInNotSaved(page)
    expect(await focused(page)).toBe('seized')
    await page.keyboard.type('3')
    await page.keyboard.press('Enter')
    await checkInNotSaved(page)
    // The task box keeps its own Enter: it adds the task.
    expect(await focused(page)).toBe('ci-add-task')
    await page.keyboard.type('17')
    await page.keyboard.press('Enter')
    await checkInNotSaved(page)
    expect(await page.getByTestId('checkin-tasks').locator('li').count()).toBe(2)

    // A textarea keeps its new lines.
    await typeAndEnter(page, page.getByTestId('checkin-note'), '第一行')
    await page.keyboard.type('第二行')
    await checkInNotSaved(page)

    // The save button, pressed with the keyboard, saves it all.
    await page.getByTestId('save-checkin').focus()
    await page.keyboard.press('Enter')
    await page.getByTestId('checkin-page').waitFor()
    expect(await submitted(page)).toEqual(['party-form', 'checkin-form'])
    const saved = await page.evaluate(
      () =>
        new Promise<CheckIn[]>((resolve, reject) => {
          const open = indexedDB.open('zhixun')
          open.onerror = () => reject(open.error)
          open.onsuccess = () => {
            const req = open.result.transaction('checkins').objectStore('checkins').getAll()
            req.onsuccess = () => resolve(req.result.map((r: { data: CheckIn }) => r.data))
          }
        }),
    )
    expect(saved).toHaveLength(1)
    expect(saved[0]).toMatchObject({
      venueName: '东门市场',
      outcome: 'suspected',
      premisesInspected: 2,
      itemsSeized: 3,
      taskNumbers: [28, 17],
      note: '第一行\n第二行',
      coInspectors: [{ name: '王芳' }],
    })
    expect(saved[0]!.partyId).toBeTruthy()
    await context.close()
  })

  it('saves nothing on Enter in English either, nor in the inspection record; the buttons still save and sign', async () => {
    const { context, page } = await phone('en')
    await page.goto(`${server.url}/checkins/new?task=28`)
    await page.getByTestId('location').waitFor()
    await typeAndEnter(page, page.getByTestId('venue-name'), 'East Gate Market')
    await checkInNotSaved(page)
    await typeAndEnter(page, page.getByTestId('party-query'), 'nobody here')
    await checkInNotSaved(page)
    await typeAndEnter(page, page.getByTestId('premises'), '1')
    await typeAndEnter(page, page.getByTestId('seized'), '0')
    await checkInNotSaved(page)
    await page.getByTestId('save-checkin').click()
    await page.getByTestId('checkin-page').waitFor()
    expect(await countIn(page, 'checkins')).toBe(1)

    // The 现场检查笔录, made signable: Enter in any of its fields still signs nothing.
    await page.getByTestId('inspection-make').click()
    await page.getByTestId('inspection-draft').waitFor()
    const path = new URL(page.url()).pathname
    await page.getByTestId('insp-party-name').fill('Night Market Stall')
    await page.getByTestId('insp-add-item').click()
    await page.getByTestId('insp-item-name-0').fill('Earphones')
    const lead = page.locator('[data-testid^="insp-sign-inspector-"]')
    await lead.click()
    await drawSignature(page)
    await page.getByTestId('insp-sign-party').click()
    await drawSignature(page)
    await expect
      .poll(async () =>
        (await page.getByTestId('insp-sign').isDisabled()) ? await page.getByTestId('insp-blockers').textContent() : '',
      )
      .toBe('')

    const fields = [
      'insp-start',
      'insp-end',
      'insp-place',
      'insp-party-name',
      'insp-party-code',
      '#insp-party-address',
      'insp-party-person',
      '#insp-party-role',
      '#insp-party-phone',
      'insp-item-name-0',
      'insp-item-count-0',
    ]
    for (const f of fields) {
      const field = f.startsWith('#') ? page.locator(f) : page.getByTestId(f)
      expect(await field.getAttribute('enterkeyhint'), f).toBe('next')
      await typeAndEnter(
        page,
        field,
        f.includes('count') ? '2' : ['insp-start', 'insp-end', 'insp-party-code'].includes(f) ? '' : 'x',
      )
      expect(await submitted(page), f).not.toContain('inspection-draft')
      expect(new URL(page.url()).pathname).toBe(path)
      expect(await page.getByTestId('inspection-draft').isVisible(), f).toBe(true)
    }
    expect(await page.getByTestId('inspection-signed').count()).toBe(0)

    await page.getByTestId('insp-sign').click()
    await page.getByTestId('inspection-signed').waitFor()
    await context.close()
  })
})

/** What the server answers for `path` to the signed-in user of `page`. */
const fromServer = <T>(page: Page, path: string) =>
  page.evaluate(async (p) => (await fetch(p, { cache: 'no-store' })).json() as Promise<T>, path)

describe("Enter in a field of the supervisor's and the admin's forms", () => {
  it('the campaign form: Enter moves on and creates nothing; only the save button saves (zh-CN, keyboard)', async () => {
    const { context, page } = await phone('zh-CN', 'supervisor')
    await page.goto(`${server.url}/campaigns/new`)
    await page.getByTestId('campaign-form').waitFor()
    const campaigns = async () =>
      (await fromServer<{ campaigns: { name: string }[] }>(page, '/api/campaigns')).campaigns.map((c) => c.name)
    const before = await campaigns()
    /** The form is still there, nothing submitted it, and the server has no new campaign. */
    const notSaved = async (f: string) => {
      expect(await submitted(page), f).not.toContain('campaign-form')
      expect(new URL(page.url()).pathname, f).toBe('/campaigns/new')
      expect(await page.getByTestId('campaign-form').isVisible(), f).toBe(true)
      expect(await campaigns(), f).toEqual(before)
    }
    for (const f of ['c-name', 'c-tasks', 'c-start', 'c-end'])
      expect(await page.getByTestId(f).getAttribute('enterkeyhint'), f).toBe('next')

    // Each single-line field in turn, filled enough that the last Enter would have saved a whole campaign.
    await typeAndEnter(page, page.getByTestId('c-name'), '夜市专项')
    await notSaved('c-name')
    // The description is a textarea: Enter is a new line there.
    expect(await focused(page)).toBe('c-desc')
    await page.keyboard.type('第一行')
    await page.keyboard.press('Enter')
    await page.keyboard.type('第二行')
    await notSaved('c-desc')
    expect(await page.locator('#c-desc').inputValue()).toBe('第一行\n第二行')
    await typeAndEnter(page, page.getByTestId('c-tasks'), '28')
    await notSaved('c-tasks')
    expect(await focused(page)).toBe('c-start')
    await page.keyboard.press('Enter')
    await notSaved('c-start')
    expect(await focused(page)).toBe('c-end')
    await page.keyboard.press('Enter')
    await notSaved('c-end')
    expect(await focused(page)).toBe('c-region')
    // A checkbox: Enter ticks nothing and saves nothing (Space ticks it).
    await page.getByTestId('c-two-certified').focus()
    await page.keyboard.press('Enter')
    await notSaved('c-two-certified')
    expect(await page.getByTestId('c-two-certified').isChecked()).toBe(false)
    // The venues are a textarea too.
    await typeAndEnter(page, page.locator('#c-venues'), '东门市场')
    await page.keyboard.type('西门市场')
    await notSaved('c-venues')
    expect(await page.locator('#c-venues').inputValue()).toBe('东门市场\n西门市场')

    // The save button, pressed with the keyboard, saves it.
    await page.getByTestId('save-campaign').focus()
    await page.keyboard.press('Enter')
    await page.getByTestId('campaign-page').waitFor()
    expect(await submitted(page)).toEqual(['campaign-form'])
    expect(await campaigns()).toEqual(expect.arrayContaining([...before, '夜市专项']))
    await context.close()
  })

  it('the accounts form: Enter moves on and adds nobody, the password (last) field too; only the create button adds (en)', async () => {
    const { context, page } = await phone('en', 'admin')
    await page.goto(`${server.url}/admin/users`)
    await page.getByTestId('user-form').waitFor()
    const list = page.getByTestId('user-list')
    await expect.poll(() => list.locator('li').count()).toBeGreaterThan(0)
    const username = `enter.${Math.random().toString(36).slice(2, 8)}`
    const accounts = async () =>
      (await fromServer<{ users: { username: string }[] }>(page, '/api/users')).users.map((u) => u.username)
    /** The form is still there, nothing submitted it, and the account is neither listed nor on the server. */
    const notCreated = async (f: string) => {
      expect(await submitted(page), f).not.toContain('user-form')
      expect(await page.getByTestId('user-form').isVisible(), f).toBe(true)
      expect(await page.getByTestId('user-created').count(), f).toBe(0)
      expect(await list.textContent(), f).not.toContain(username)
      expect(await accounts(), f).not.toContain(username)
    }
    for (const [f, hint] of [
      ['u-name', 'next'],
      ['u-username', 'next'],
      ['u-cert', 'next'],
      ['u-cert-expiry', 'next'],
      ['u-pass', 'done'],
    ] as const)
      expect(await page.getByTestId(f).getAttribute('enterkeyhint'), f).toBe(hint)

    await typeAndEnter(page, page.getByTestId('u-name'), 'Enter Tester')
    await notCreated('u-name')
    expect(await focused(page)).toBe('u-username')
    await page.keyboard.type(username)
    await page.keyboard.press('Enter')
    await notCreated('u-username')
    expect(await focused(page)).toBe('u-dept')
    await page.getByTestId('u-dept').selectOption('省知识产权局')
    await typeAndEnter(page, page.getByTestId('u-cert'), 'GD-ENTER-1')
    await notCreated('u-cert')
    expect(await focused(page)).toBe('u-cert-expiry')
    await page.getByTestId('u-cert-expiry').fill('2030-12-31')
    await typeAndEnter(page, page.getByTestId('u-cert-expiry'))
    await notCreated('u-cert-expiry')
    expect(await focused(page)).toBe('u-pass')
    // The last field ("done"), with the form complete: Enter adds nobody, and the cursor stays in it.
    await page.keyboard.type('enter-key-password')
    await page.keyboard.press('Enter')
    await notCreated('u-pass')
    expect(await focused(page)).toBe('u-pass')
    expect(await page.getByTestId('u-pass').inputValue()).toBe('enter-key-password')

    // The create button adds the account.
    await page.getByTestId('create-user').click()
    await page.getByTestId('user-created').waitFor()
    expect(await submitted(page)).toEqual(['user-form'])
    await expect.poll(() => list.textContent()).toContain(username)
    expect(await accounts()).toContain(username)
    await context.close()
  })
})
