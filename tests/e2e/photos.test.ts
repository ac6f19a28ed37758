import { readFileSync } from 'node:fs'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { Campaign } from '../../src/kernel/campaign-schema'
import type { CheckIn, PhotoRef, PushResponse } from '../../src/kernel/sync-schema'
import { createUser } from '../../server/auth/accounts'
import { launchChromium, signInThroughUi, startServer, type RunningServer } from '../helpers/browser'
import { noisePng } from '../helpers/png'
import { makeCheckIn, sha256 } from '../helpers/records'
import { signedIn } from '../helpers/server'
import { realDataset } from '../helpers/seed'

/**
 * Photos as people use them: an inspector takes one and picks two from the gallery, opens them full size on
 * the phone (before they ever reach the server), watches ten photos go up over a slow link, and a supervisor
 * opens the photos of a campaign's check-ins, on screen and on the printed report.
 */
let browser: Browser
let server: RunningServer
let context: BrowserContext
let page: Page

/**
 * The slow link: while `holding`, every photo chunk (PATCH /api/photos/…) waits at the server until the test
 * lets it through, so the test sees each step of the upload on screen, however fast the machine is.
 */
let holding = false
const held: (() => void)[] = []
let onHeld: (() => void) | undefined
function configure(app: RunningServer['app']) {
  app.addHook('onRequest', async (req) => {
    if (!holding || req.method !== 'PATCH' || !req.url.startsWith('/api/photos/')) return
    await new Promise<void>((resolve) => {
      held.push(resolve)
      onHeld?.()
    })
  })
}
/** Resolves once a chunk is waiting at the server. */
const chunkWaiting = () =>
  held.length ? Promise.resolve() : new Promise<void>((resolve) => (onHeld = () => ((onHeld = undefined), resolve())))
/** Lets the oldest waiting chunk through to the server. */
function releaseChunk() {
  held.shift()!()
}
function releaseAll() {
  holding = false
  while (held.length) held.shift()!()
}

beforeAll(async () => {
  server = await startServer({ configure })
  browser = await launchChromium()
  context = await browser.newContext({ viewport: { width: 360, height: 740 }, locale: 'zh-CN' })
  page = await context.newPage()
  await page.goto(server.url)
  await page.locator('[data-testid="section-list"] li').first().waitFor()
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null)
  await signInThroughUi(page, server)
})
afterAll(async () => {
  releaseAll()
  await browser?.close()
  await server?.app.close()
})

async function startCheckIn(venue: string) {
  await page.goto(`${server.url}/checkins/new?task=28`)
  await page.getByTestId('venue-name').fill(venue)
  await page.getByTestId('venue-type').selectOption('trade_fair')
  await page.getByTestId('outcome-suspected').check()
}
async function save(): Promise<string> {
  await page.getByTestId('save-checkin').click()
  // Saving without a location asks first, where the form has that step: "save anyway".
  const confirm = page.getByTestId('confirm-save')
  await page.getByTestId('checkin-page').or(confirm).waitFor()
  if (await confirm.isVisible()) await confirm.click()
  await page.getByTestId('checkin-page').waitFor()
  return page.url().split('/checkins/')[1]!
}

const viewer = (p: Page) => p.getByTestId('photo-viewer')
const position = (p: Page) => p.getByTestId('photo-viewer-position').textContent()
/** The element that has focus, by its test id and its index among elements with that id. */
const focused = (p: Page) =>
  p.evaluate(() => {
    const el = document.activeElement as HTMLElement | null
    const id = el?.dataset.testid
    return { id, index: id ? [...document.querySelectorAll(`[data-testid="${id}"]`)].indexOf(el!) : -1 }
  })
const insideViewer = (p: Page) => p.evaluate(() => !!document.activeElement?.closest('[data-testid="photo-viewer"]'))

describe('an inspector with photos', () => {
  let id: string
  // Whatever a test left held at the server goes through, so the next one starts on a normal link.
  afterEach(releaseAll)

  it('takes one with the camera and chooses two from the gallery; each button says what it does', async () => {
    await context.setOffline(true)
    await startCheckIn('广交会展馆 B 区')
    const camera = page.getByTestId('photo-camera')
    const gallery = page.getByTestId('photo-input')
    // The camera button opens the camera; the gallery one lets the inspector pick photos taken before.
    expect(await camera.getAttribute('capture')).toBe('environment')
    expect(await gallery.getAttribute('capture')).toBeNull()
    expect(await gallery.getAttribute('multiple')).not.toBeNull()
    expect(await page.locator('label', { has: camera }).textContent()).toContain('拍照')
    expect(await page.locator('label', { has: gallery }).textContent()).toContain('从相册选择')
    for (const input of [camera, gallery]) {
      const box = (await page.locator('label', { has: input }).boundingBox())!
      expect(box.height).toBeGreaterThanOrEqual(44)
    }
    await gallery.setInputFiles(['public/icons/icon-512.png', 'public/icons/icon-192.png'])
    await expect.poll(() => page.getByTestId('picker-thumb').count()).toBe(2)
    await camera.setInputFiles('public/icons/maskable-512.png')
    await expect.poll(() => page.getByTestId('picker-thumb').count()).toBe(3)

    // Already in the form, a photo opens full size.
    await page.getByTestId('picker-thumb').nth(1).click()
    await viewer(page).waitFor()
    expect(await position(page)).toBe('第 2 张，共 3 张')
    await page.keyboard.press('Escape')
    await viewer(page).waitFor({ state: 'hidden' })
    expect(await focused(page)).toEqual({ id: 'picker-thumb', index: 1 })
    id = await save()
  })

  it('opens a photo that is only on the phone full size; next and previous by button, arrow keys and swipe', async () => {
    const thumbs = page.getByTestId('photo-thumb')
    await expect.poll(() => thumbs.count()).toBe(3)
    expect(await page.getByTestId('checkin-photos').textContent()).toContain('只在本机')
    const thumbBox = (await thumbs.first().boundingBox())!
    await thumbs.first().click()
    await viewer(page).waitFor()
    expect(await position(page)).toBe('第 1 张，共 3 张')
    const image = page.getByTestId('photo-viewer-image')
    // The phone's own copy from IndexedDB, decoded, and far larger than its thumbnail.
    expect(await image.getAttribute('src')).toMatch(/^blob:/)
    await expect.poll(() => image.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(512)
    const shown = (await image.boundingBox())!
    expect(shown.width).toBeGreaterThan(thumbBox.width * 1.8)
    expect(await image.getAttribute('alt')).toBe('照片 1（从相册选取）')
    // The close button has focus; every control is a thumb's size and says what it does.
    expect(await focused(page)).toMatchObject({ id: 'photo-viewer-close' })
    for (const [testId, name] of [
      ['photo-viewer-close', '关闭'],
      ['photo-viewer-previous', '上一张'],
      ['photo-viewer-next', '下一张'],
    ]) {
      const button = page.getByTestId(testId!)
      const box = (await button.boundingBox())!
      expect(Math.min(box.width, box.height), testId).toBeGreaterThanOrEqual(44)
      expect((await button.getAttribute('aria-label')) ?? (await button.textContent()), testId).toContain(name)
    }

    await page.getByTestId('photo-viewer-next').click()
    expect(await position(page)).toBe('第 2 张，共 3 张')
    await page.keyboard.press('ArrowRight')
    expect(await position(page)).toBe('第 3 张，共 3 张')
    expect(await image.getAttribute('alt')).toBe('照片 3（现场拍摄）')
    await page.keyboard.press('ArrowRight')
    expect(await position(page)).toBe('第 1 张，共 3 张')
    await page.keyboard.press('ArrowLeft')
    expect(await position(page)).toBe('第 3 张，共 3 张')
    await page.getByTestId('photo-viewer-previous').click()
    expect(await position(page)).toBe('第 2 张，共 3 张')

    // A swipe to the left is the next photo, to the right the one before.
    const stage = (await page.getByTestId('photo-viewer-stage').boundingBox())!
    const midY = stage.y + stage.height / 2
    const swipe = async (fromX: number, toX: number) => {
      await page.mouse.move(fromX, midY)
      await page.mouse.down()
      await page.mouse.move((fromX + toX) / 2, midY)
      await page.mouse.move(toX, midY)
      await page.mouse.up()
    }
    await swipe(stage.x + stage.width - 40, stage.x + 40)
    expect(await position(page)).toBe('第 3 张，共 3 张')
    await swipe(stage.x + 40, stage.x + stage.width - 40)
    expect(await position(page)).toBe('第 2 张，共 3 张')

    // Tab and Shift+Tab stay among the viewer's buttons.
    for (let i = 0; i < 5; i++) {
      await page.keyboard.press('Tab')
      expect(await insideViewer(page)).toBe(true)
    }
    await page.keyboard.press('Shift+Tab')
    expect(await insideViewer(page)).toBe(true)

    await page.keyboard.press('Escape')
    await viewer(page).waitFor({ state: 'hidden' })
    expect(await focused(page)).toEqual({ id: 'photo-thumb', index: 0 })
  })

  it('zooms in with two fingers and back out', async () => {
    await page.getByTestId('photo-thumb').nth(2).click()
    await viewer(page).waitFor()
    const stage = page.getByTestId('photo-viewer-stage')
    const box = (await stage.boundingBox())!
    const y = box.y + box.height / 2
    const x = box.x + box.width / 2
    // Two touch points moving apart: what a pinch on a phone's screen sends as pointer events.
    await stage.evaluate(
      (el, { x, y }) => {
        const at = (type: string, pointerId: number, clientX: number) =>
          el.dispatchEvent(
            new PointerEvent(type, { pointerId, pointerType: 'touch', clientX, clientY: y, bubbles: true }),
          )
        at('pointerdown', 11, x - 40)
        at('pointerdown', 12, x + 40)
        at('pointermove', 11, x - 80)
        at('pointermove', 12, x + 80)
        at('pointerup', 11, x - 80)
        at('pointerup', 12, x + 80)
      },
      { x, y },
    )
    const image = page.getByTestId('photo-viewer-image')
    expect(await image.evaluate((img) => img.style.transform)).toContain('scale(2)')
    // Zoomed in, a swipe looks around the photo instead of changing it.
    await page.mouse.move(x, y)
    await page.mouse.down()
    await page.mouse.move(x - 100, y)
    await page.mouse.up()
    expect(await position(page)).toBe('第 3 张，共 3 张')
    expect(await image.evaluate((img) => img.style.transform)).toContain('translate(-100px')
    // Pinching back in goes no smaller than the whole photo.
    await stage.evaluate(
      (el, { x, y }) => {
        const at = (type: string, pointerId: number, clientX: number) =>
          el.dispatchEvent(
            new PointerEvent(type, { pointerId, pointerType: 'touch', clientX, clientY: y, bubbles: true }),
          )
        at('pointerdown', 21, x - 100)
        at('pointerdown', 22, x + 100)
        at('pointermove', 21, x - 5)
        at('pointermove', 22, x + 5)
        at('pointerup', 21, x)
        at('pointerup', 22, x)
      },
      { x, y },
    )
    expect(await image.evaluate((img) => img.style.transform)).toBe('translate(0px, 0px) scale(1)')
    await page.getByTestId('photo-viewer-close').click()
    await viewer(page).waitFor({ state: 'hidden' })
    expect(await focused(page)).toEqual({ id: 'photo-thumb', index: 2 })
  })

  it('sends which button each photo came from, and the server keeps it', async () => {
    await context.setOffline(false)
    await expect
      .poll(() => page.getByTestId('record-state').first().getAttribute('data-state'), { timeout: 20_000 })
      .toBe('verified')
    const row = await server.store.db
      .selectFrom('records')
      .select('data')
      .where('id', '=', id)
      .executeTakeFirstOrThrow()
    const data = (typeof row.data === 'string' ? JSON.parse(row.data) : row.data) as CheckIn
    expect(data.photos.map((p) => p.source)).toEqual(['gallery', 'gallery', 'camera'])
    // The photos' own state, shown live on the record (each was checked by the server before the record went up).
    await expect.poll(() => page.getByTestId('checkin-photos').textContent()).toBe('服务器已核验'.repeat(3))
  })

  it('shows ten photos going up over a slow link, on the record and in the sync panel', async () => {
    await context.setOffline(true)
    await startCheckIn('东莞厚街展馆')
    // Noise does not compress: each photo stays about 490 KB after the phone's compression, two chunks of 256 KB.
    const files = Array.from({ length: 10 }, (_, i) => ({
      name: `photo-${i + 1}.png`,
      mimeType: 'image/png',
      buffer: noisePng(700 + i, 1000, 750),
    }))
    await page.getByTestId('photo-input').setInputFiles(files)
    await expect.poll(() => page.getByTestId('picker-thumb').count(), { timeout: 30_000 }).toBe(10)
    await save()
    await expect.poll(() => page.getByTestId('photo-thumb').count()).toBe(10)

    holding = true
    await context.setOffline(false)
    await chunkWaiting()
    // The first photo's first chunk is at the server: the record shows it going up, from nought.
    const pct = page.getByTestId('photo-upload-pct')
    await expect.poll(() => pct.first().textContent()).toBe('上传中 0%')
    // The first photo's line: how far it has gone up, until the server has checked all of it.
    const firstPhoto = page.getByTestId('checkin-photos').locator('li').first()
    const firstPct = async () => {
      const said = (await firstPhoto.textContent())!
      return said.includes('服务器已核验') ? 100 : Number(said.match(/(\d+)%/)![1])
    }
    releaseChunk()
    await chunkWaiting()
    await expect.poll(firstPct).toBeGreaterThan(0)
    const after1 = await firstPct()
    expect(after1).toBeLessThan(100)
    // Chunk by chunk until the first photo is all there; its bar rises each time.
    let last = after1
    while (last < 100) {
      releaseChunk()
      await chunkWaiting()
      await expect.poll(firstPct).toBeGreaterThan(last)
      last = await firstPct()
    }
    await expect.poll(() => pct.nth(1).textContent()).toMatch(/^上传中 \d+%$/)

    // The sync panel, reached in the app (a reload would stop the sync), shows which photo of ten and how much.
    await page.getByRole('link', { name: '记录' }).last().click()
    const text = page.getByTestId('photo-upload-text')
    await text.waitFor()
    const read = async () => {
      const [, n, total, , , p] = (await text.textContent())!.match(
        /第 (\d+) 张，共 (\d+) 张 · 已传 (.+)，共 (.+)（(\d+)%）/,
      )!
      return { n: Number(n), total: Number(total), pct: Number(p) }
    }
    const before = await read()
    expect(before).toMatchObject({ n: 2, total: 10 })
    // One photo of ten (each about the same size) is all there: about a tenth of the bytes.
    expect(before.pct).toBeGreaterThanOrEqual(5)
    expect(before.pct).toBeLessThan(20)
    const bar = page.locator('#photo-upload-bar')
    const barValue = () => bar.evaluate((b: HTMLProgressElement) => b.value / b.max)
    const barBefore = await barValue()
    for (let i = 0; i < 4; i++) {
      releaseChunk()
      await chunkWaiting()
    }
    await expect.poll(async () => (await read()).pct).toBeGreaterThan(before.pct)
    expect((await read()).n).toBeGreaterThan(2)
    expect(await barValue()).toBeGreaterThan(barBefore)

    releaseAll()
    await page.getByTestId('photo-upload-progress').waitFor({ state: 'detached', timeout: 30_000 })
    await expect
      .poll(() => page.getByTestId('unsent-count').textContent(), { timeout: 20_000 })
      .toContain('所有记录都已上传到服务器')
  })
})

describe('a supervisor', () => {
  const PASSWORD = 'e2e-password-long'
  let campaign: Campaign
  let checkIn: CheckIn
  const pngs = ['public/icons/icon-512.png', 'public/icons/icon-192.png'].map((f) => readFileSync(f))

  beforeAll(async () => {
    // An inspector's check-in with two photos, pushed through the API as a phone would.
    const inspector = await signedIn(server, 'inspector', '省知识产权局')
    const username = `photos.supervisor.${Math.random().toString(36).slice(2, 8)}`
    await createUser(server.store.db, new Set(realDataset.departments.map((d) => d.name)), {
      username,
      displayName: '照片主管',
      department: '省知识产权局',
      role: 'supervisor',
      password: PASSWORD,
    })
    const login = await server.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { username, password: PASSWORD },
    })
    const supervisorCookie = String(login.headers['set-cookie']).split(';')[0]!
    const created = await server.app.inject({
      method: 'POST',
      url: '/api/campaigns',
      headers: { cookie: supervisorCookie },
      payload: {
        name: '照片抽查',
        description: '',
        taskNumbers: [37],
        departments: ['省知识产权局'],
        inspectorIds: [inspector.user.id],
        startDate: '2026-01-01',
        endDate: '2030-12-31',
        venues: [],
      },
    })
    campaign = created.json().campaign
    const refs: PhotoRef[] = []
    for (const bytes of pngs) {
      const ref: PhotoRef = { sha256: sha256(bytes), size: bytes.length, type: 'image/png', source: 'gallery' }
      await server.app.inject({
        method: 'POST',
        url: '/api/photos',
        headers: { cookie: inspector.cookie },
        payload: ref,
      })
      await server.app.inject({
        method: 'PATCH',
        url: `/api/photos/${ref.sha256}`,
        headers: {
          cookie: inspector.cookie,
          'content-type': 'application/offset+octet-stream',
          'upload-offset': '0',
        },
        payload: bytes,
      })
      refs.push(ref)
    }
    checkIn = makeCheckIn({
      authorId: inspector.user.id,
      campaignId: campaign.id,
      taskNumbers: [37],
      venueName: '广州白马服装市场',
      occurredAt: new Date().toISOString(),
      photos: refs,
    })
    const pushed = await server.app.inject({
      method: 'POST',
      url: '/api/sync/push',
      headers: { cookie: inspector.cookie },
      payload: { clientId: 'photos-e2e-inspector', mutations: [{ seq: 1, name: 'checkin.create', args: checkIn }] },
    })
    expect((pushed.json() as PushResponse).results[0]!.status).toBe('applied')

    await context.close()
    context = await browser.newContext({ viewport: { width: 360, height: 740 }, locale: 'zh-CN' })
    page = await context.newPage()
    await page.goto(`${server.url}/signin`)
    await page.getByTestId('sign-in-username').fill(username)
    await page.getByTestId('sign-in-password').fill(PASSWORD)
    await page.getByTestId('sign-in-submit').click()
    await page.waitForURL((u) => !u.pathname.startsWith('/signin'))
  })

  it("opens a check-in's photos full size from the campaign page, from the server", async () => {
    await page.goto(`${server.url}/campaigns/${campaign.id}`)
    const item = page.getByTestId('report-checkin').filter({ hasText: '广州白马服装市场' })
    await item.waitFor()
    const thumbs = item.getByTestId('photo-thumb')
    await expect.poll(() => thumbs.count()).toBe(2)
    await thumbs.nth(1).click()
    await viewer(page).waitFor()
    expect(await position(page)).toBe('第 2 张，共 2 张')
    const image = page.getByTestId('photo-viewer-image')
    expect(await image.getAttribute('src')).toBe(`/api/photos/${checkIn.photos[1]!.sha256}`)
    await expect.poll(() => image.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(192)
    await page.keyboard.press('ArrowRight')
    expect(await position(page)).toBe('第 1 张，共 2 张')
    await expect.poll(() => image.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(512)
    await page.keyboard.press('Escape')
    await viewer(page).waitFor({ state: 'hidden' })
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('photo-thumb')
    expect(await thumbs.nth(1).evaluate((el) => el === document.activeElement)).toBe(true)
  })

  it("prints each listed check-in's photos and location, and opens them from there too", async () => {
    await page.goto(`${server.url}/campaigns/${campaign.id}/report`)
    const row = page.getByTestId('report-row').filter({ hasText: '广州白马服装市场' })
    await row.waitFor()
    expect(await row.getByTestId('report-location').textContent()).toContain('23.10660, 113.36140（误差约 12 米）')
    const photos = page.getByTestId('report-photos').locator('img')
    await expect.poll(() => photos.count()).toBe(2)
    // Printed: the thumbnails are there on paper, loaded, and the viewer's controls are not.
    await page.emulateMedia({ media: 'print' })
    await expect
      .poll(() => photos.evaluateAll((imgs: HTMLImageElement[]) => imgs.map((i) => i.complete && i.naturalWidth > 0)))
      .toEqual([true, true])
    expect(await photos.first().isVisible()).toBe(true)
    expect(await page.locator('.no-print').first().isVisible()).toBe(false)
    await page.emulateMedia({ media: 'screen' })
    await page.getByTestId('report-photos').getByRole('button').first().click()
    await viewer(page).waitFor()
    expect(await position(page)).toBe('第 1 张，共 2 张')
    await page.keyboard.press('Escape')
    await viewer(page).waitFor({ state: 'hidden' })
  })

  it('reads the viewer in English too', async () => {
    // The language is a setting on the phone; switch it where the supervisor would, then go back in the app.
    await page.goto(`${server.url}/settings`)
    await page.locator('label:has([data-testid="locale-en"])').click()
    await expect.poll(() => page.evaluate(() => document.documentElement.lang)).toBe('en')
    await page.goto(`${server.url}/campaigns/${campaign.id}`)
    const item = page.getByTestId('report-checkin').filter({ hasText: '广州白马服装市场' })
    await item.getByTestId('photo-thumb').first().click()
    await viewer(page).waitFor()
    expect(await position(page)).toBe('Photo 1 of 2')
    expect(await page.getByTestId('photo-viewer-next').textContent()).toContain('Next photo')
    expect(await page.getByTestId('photo-viewer-close').getAttribute('aria-label')).toBe('Close')
    await page.keyboard.press('Escape')
  })
})
