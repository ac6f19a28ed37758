/**
 * `npm run screenshots` (after `npm run build`): the README's screenshots of the photo viewer, made from the
 * built app served by the real server over a throwaway SQLite file, in Debian's Chromium at 360 px. A check-in
 * with three photos goes in through the API, as a phone would send it; the inspector's phone pulls it, and the
 * first photo is opened full size (the viewer is black in light and dark mode alike); then the check-in form,
 * located, counted and tapped to save before the venue's name is in; then the on-site inspection record (现场检查笔录)
 * made from the check-in: the party signing on the lead's phone, and the signed record's first printed A4 page.
 * Output: docs/screenshot-photo-viewer.png, docs/screenshot-checkin-form.png, docs/screenshot-inspection-signing.png
 * and docs/screenshot-inspection-print.png. Commit them.
 */
import { createHash } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium, type Page } from 'playwright-core'
import { buildServer, readBuiltDataset } from '../server/app'
import { createUser } from '../server/auth/accounts'
import { openStore } from '../server/db/database'
import type { CheckIn, PhotoRef } from '../src/kernel/sync-schema'
import { uuidv7 } from '../src/kernel/uuid'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const dist = resolve(root, 'dist')
const dir = mkdtempSync(join(tmpdir(), 'zhixun-screenshots-'))
const store = await openStore(join(dir, 'zhixun.sqlite'))
const app = await buildServer({ distDir: dist, store })
const url = await app.listen({ port: 0, host: '127.0.0.1' })
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
})

try {
  const departments = new Set(readBuiltDataset(dist).departments.map((d) => d.name))
  const username = 'screenshot.inspector'
  const password = 'screenshot-password-long'
  const user = await createUser(store.db, departments, {
    username,
    displayName: '陈立新',
    department: '省知识产权局',
    role: 'inspector',
    password,
    certificateNumber: '44010020260001',
    certificateExpiry: '2028-12-31',
  })
  const colleague = await createUser(store.db, departments, {
    username: 'screenshot.colleague',
    displayName: '林晓燕',
    department: '省知识产权局',
    role: 'inspector',
    password,
    certificateNumber: '44010020260002',
    certificateExpiry: '2028-12-31',
  })
  const login = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password } })
  const cookie = String(login.headers['set-cookie']).split(';')[0]!

  // Three "photos" of a market stall, drawn by the browser as JPEGs the size a phone sends.
  const drawer = await browser.newPage()
  const photos = await Promise.all([0, 1, 2].map((n) => drawPhoto(drawer, n)))
  await drawer.close()
  const refs: PhotoRef[] = []
  for (const [i, bytes] of photos.entries()) {
    const ref: PhotoRef = {
      sha256: createHash('sha256').update(bytes).digest('hex'),
      size: bytes.length,
      type: 'image/jpeg',
      source: i === 0 ? 'camera' : 'gallery',
    }
    await app.inject({ method: 'POST', url: '/api/photos', headers: { cookie }, payload: ref })
    await app.inject({
      method: 'PATCH',
      url: `/api/photos/${ref.sha256}`,
      headers: { cookie, 'content-type': 'application/offset+octet-stream', 'upload-offset': '0' },
      payload: bytes,
    })
    refs.push(ref)
  }
  const now = new Date()
  const checkIn: CheckIn = {
    id: uuidv7(now.getTime()),
    authorId: user.id,
    venueName: '广州白马服装市场 3 楼',
    venueType: 'market',
    occurredAt: now.toISOString(),
    location: { lat: 23.1498, lng: 113.2587, accuracy: 15 },
    outcome: 'suspected',
    premisesInspected: 12,
    itemsSeized: 40,
    note: '3 楼 B12 档口的蓝牙耳机包装疑似仿冒注册商标。',
    taskNumbers: [28],
    campaignId: null,
    photos: refs,
    correctionOf: null,
    createdAt: now.toISOString(),
    coInspectors: [{ userId: colleague.id, name: '林晓燕', certificateNumber: '44010020260002' }],
  }
  const pushed = await app.inject({
    method: 'POST',
    url: '/api/sync/push',
    headers: { cookie },
    payload: { clientId: 'screenshot-phone-1', mutations: [{ seq: 1, name: 'checkin.create', args: checkIn }] },
  })
  if (pushed.statusCode !== 200) throw new Error(`push failed: ${pushed.body}`)

  {
    const context = await browser.newContext({
      viewport: { width: 360, height: 740 },
      deviceScaleFactor: 1,
      locale: 'zh-CN',
    })
    const page = await context.newPage()
    await signIn(page, url, username, password)
    // The sign-in syncs: the check-in comes down to the phone, then its page shows the photos.
    await page.goto(`${url}/checkins/${checkIn.id}`)
    await page.getByTestId('photo-thumb').first().waitFor({ timeout: 30_000 })
    await page.getByTestId('photo-thumb').first().click()
    await page.getByTestId('photo-viewer').waitFor()
    await page
      .getByTestId('photo-viewer-image')
      .evaluate((img: HTMLImageElement) => (img.complete ? undefined : img.decode()))
    const path = resolve(root, 'docs/screenshot-photo-viewer.png')
    await page.screenshot({ path })
    console.log(`wrote ${path}`)
    await context.close()
  }

  {
    // The check-in form as the inspector fills it in at the stall: location taken by itself (permission
    // given before), counts typed, and the save bar saying what is still missing after a first tap.
    const context = await browser.newContext({
      viewport: { width: 360, height: 740 },
      deviceScaleFactor: 1,
      locale: 'zh-CN',
      permissions: ['geolocation'],
      geolocation: { latitude: 23.1498, longitude: 113.2587, accuracy: 12 },
    })
    const page = await context.newPage()
    await signIn(page, url, username, password)
    await page.goto(`${url}/checkins/new?task=28`)
    await page.getByTestId('location-status').waitFor()
    await page.getByTestId('venue-type').selectOption('market')
    await page.getByTestId('premises').click()
    await page.keyboard.type('12')
    await page.getByTestId('seized').click()
    await page.keyboard.type('35')
    await page.getByTestId('save-checkin').click()
    await page.getByTestId('save-summary').waitFor()
    const path = resolve(root, 'docs/screenshot-checkin-form.png')
    await page.screenshot({ path })
    console.log(`wrote ${path}`)
    await context.close()
  }
  {
    // The 现场检查笔录 made from that check-in on the lead's phone: both inspectors have signed, the party signs
    // on the same phone; then the signed record as it prints, its first A4 page.
    const context = await browser.newContext({
      viewport: { width: 360, height: 740 },
      deviceScaleFactor: 1,
      locale: 'zh-CN',
    })
    const page = await context.newPage()
    await signIn(page, url, username, password)
    await page.goto(`${url}/checkins/${checkIn.id}`)
    await page.getByTestId('inspection-make').click()
    await page.getByTestId('inspection-draft').waitFor()
    await page.getByTestId('insp-party-name').fill('广州市恒达电子商行')
    await page.getByTestId('insp-party-person').fill('陈建华')
    await page
      .getByTestId('insp-findings')
      .fill('3 楼 B12 档口陈列蓝牙耳机 40 盒，外包装使用的商标与权利人注册商标近似，当事人未能提供进货凭证和授权文件。')
    await page.getByTestId('insp-add-item').click()
    await page.getByTestId('insp-item-name-0').fill('蓝牙耳机（盒）')
    await page.getByTestId('insp-item-count-0').fill('40')
    for (const id of [user.id, colleague.id]) {
      await page.getByTestId(`insp-sign-inspector-${id}`).click()
      await drawSignature(page, id === user.id ? 0 : 1)
      await page.getByTestId('signature-done').click()
      await page.getByTestId('insp-pad').waitFor({ state: 'detached' })
    }
    await page.getByTestId('insp-sign-party').click()
    await drawSignature(page, 2)
    const signing = resolve(root, 'docs/screenshot-inspection-signing.png')
    await page.screenshot({ path: signing })
    console.log(`wrote ${signing}`)
    await page.getByTestId('signature-done').click()
    await page.getByTestId('insp-pad').waitFor({ state: 'detached' })
    await page.getByTestId('insp-sign').click()
    await page.getByTestId('inspection-locked').waitFor()
    // As it prints: A4 at 96 dpi, print media; the first sheet alone.
    await page.setViewportSize({ width: 794, height: 1123 })
    await page.emulateMedia({ media: 'print' })
    const doc = page.getByTestId('inspection-doc')
    await doc.waitFor()
    await page.waitForFunction(
      () => document.querySelector('[data-testid="inspection-doc"]')?.getAttribute('data-measured') === 'true',
    )
    await page.evaluate(() => Promise.all([...document.images].map((img) => (img.complete ? undefined : img.decode()))))
    const print = resolve(root, 'docs/screenshot-inspection-print.png')
    await page.getByTestId('doc-page').first().screenshot({ path: print })
    console.log(`wrote ${print}`)
    await context.close()
  }
} finally {
  await browser.close()
  await app.close()
  await store.close()
  rmSync(dir, { recursive: true, force: true })
}

/** A 1600 × 1200 JPEG of a stall with boxed earphones, different for each `n`. */
async function drawPhoto(page: Page, n: number): Promise<Buffer> {
  const base64 = await page.evaluate(async (n) => {
    const canvas = new OffscreenCanvas(1600, 1200)
    const g = canvas.getContext('2d')!
    const wall = g.createLinearGradient(0, 0, 0, 1200)
    wall.addColorStop(0, ['#d9d2c3', '#cfd8dc', '#e0d6c8'][n]!)
    wall.addColorStop(1, '#7d7468')
    g.fillStyle = wall
    g.fillRect(0, 0, 1600, 1200)
    // Shelves.
    for (let shelf = 0; shelf < 3; shelf++) {
      const y = 260 + shelf * 300
      g.fillStyle = '#5b4636'
      g.fillRect(80, y + 200, 1440, 28)
      // Boxes on each shelf.
      for (let b = 0; b < 6; b++) {
        const x = 110 + b * 235 + ((shelf + n) % 2) * 30
        const h = 150 + ((b * 37 + shelf * 13 + n * 7) % 40)
        g.fillStyle = ['#f4f4f4', '#1f2a44', '#c62828', '#f4f4f4'][(b + shelf + n) % 4]!
        g.fillRect(x, y + 200 - h, 190, h)
        g.fillStyle = (b + shelf + n) % 4 === 1 ? '#f4f4f4' : '#1f2a44'
        g.font = 'bold 30px sans-serif'
        g.fillText('BT-PODS', x + 22, y + 200 - h + 52)
        g.font = '22px sans-serif'
        g.fillText('Wireless  Pro', x + 22, y + 200 - h + 88)
        g.beginPath()
        g.arc(x + 95, y + 200 - h / 3, 28, 0, Math.PI * 2)
        g.fill()
      }
    }
    // A price tag in the foreground.
    g.fillStyle = '#fff8c4'
    g.fillRect(1120 - n * 300, 1000, 320, 140)
    g.fillStyle = '#b3261e'
    g.font = 'bold 64px sans-serif'
    g.fillText('¥ 39', 1160 - n * 300, 1092)
    const blob = await canvas.convertToBlob({ type: 'image/jpeg', quality: 0.8 })
    const bytes = new Uint8Array(await blob.arrayBuffer())
    let text = ''
    for (const byte of bytes) text += String.fromCharCode(byte)
    return btoa(text)
  }, n)
  return Buffer.from(base64, 'base64')
}

/** A signature drawn with the mouse on the open pad: a few loops and a flourish, different for each `n`. */
async function drawSignature(page: Page, n: number): Promise<void> {
  const canvas = page.getByTestId('signature-canvas')
  await canvas.scrollIntoViewIfNeeded()
  const box = (await canvas.boundingBox())!
  const y = box.y + box.height / 2
  await page.mouse.move(box.x + 24, y)
  await page.mouse.down()
  for (let i = 1; i <= 40; i++) {
    const x = box.x + 24 + i * ((box.width - 48) / 40)
    await page.mouse.move(x, y + Math.sin(i / (1.6 + n * 0.4)) * box.height * 0.28 - (i % 9 === 0 ? 18 : 0), {
      steps: 2,
    })
  }
  await page.mouse.up()
}

/** Signs in through the app's own sign-in page, as the inspector would. */
async function signIn(page: Page, url: string, username: string, password: string): Promise<void> {
  await page.goto(`${url}/signin`)
  await page.getByTestId('sign-in-username').fill(username)
  await page.getByTestId('sign-in-password').fill(password)
  await page.getByTestId('sign-in-submit').click()
  await page.waitForURL((u) => !u.pathname.startsWith('/signin'))
}
