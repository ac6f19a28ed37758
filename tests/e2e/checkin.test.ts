import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import type { Browser, BrowserContext, Page, Request } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Change, CheckIn } from '../../src/kernel/sync-schema'
import { launchChromium, signInThroughUi, startServer, type RunningServer } from '../helpers/browser'
import { storedChanges } from '../helpers/stored-changes'

let browser: Browser
let server: RunningServer
let context: BrowserContext
let page: Page
/** While set, the server commits a push and then dies: that answer is lost and nothing else is answered. */
let dieAfterNextPush = false
let dead = false

function configure(app: RunningServer['app']) {
  app.addHook('onRequest', async (req) => {
    if (dead) req.raw.socket.destroy()
  })
  app.addHook('onSend', async (req, reply, payload) => {
    if (dieAfterNextPush && req.url.startsWith('/api/sync/push') && reply.statusCode === 200) {
      dieAfterNextPush = false
      dead = true
      req.raw.socket.destroy()
    }
    return payload
  })
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
  await browser?.close()
  await server?.app.close()
})

/** Read as the server holds it, whoever wrote it. */
const serverChanges = (): Promise<Change[]> => storedChanges(server.store.db)

async function checkInOffline(venue: string, withPhoto: boolean): Promise<string> {
  await page.goto(`${server.url}/checkins/new?task=28`)
  await page.getByTestId('venue-name').fill(venue)
  await page.getByTestId('venue-type').selectOption('trade_fair')
  await page.getByTestId('outcome-suspected').check()
  await page.getByTestId('checkin-note').fill('展位 3.2C 的蓝牙耳机疑似仿冒。')
  if (withPhoto) {
    await page.getByTestId('photo-input').setInputFiles('public/icons/icon-512.png')
    await page.locator('.thumb img').waitFor()
  }
  await page.getByTestId('save-checkin').click()
  // No location: the form asks once before saving without one.
  await page.getByTestId('confirm-save').click()
  await page.getByTestId('checkin-page').waitFor()
  return page.url().split('/checkins/')[1]!
}

const stateOf = () => page.getByTestId('record-state').first().getAttribute('data-state')

describe('a check-in made with no signal', () => {
  let id: string

  it('is saved offline with its photo, waiting, and survives a reload', async () => {
    await context.setOffline(true)
    id = await checkInOffline('广交会展馆 A 区', true)
    expect(await stateOf()).toBe('waiting')
    expect(await page.getByTestId('header-sync').textContent()).toContain('1 条未上传')
    await page.reload()
    await page.getByTestId('checkin-page').waitFor()
    expect(await page.locator('h1').textContent()).toBe('广交会展馆 A 区')
    expect(await stateOf()).toBe('waiting')
    expect(await page.locator('[data-testid="checkin-photos"] img').count()).toBe(1)
  })

  it('reaches the server exactly once when back online, photo bytes unchanged, and shows verified', async () => {
    await context.setOffline(false)
    await expect.poll(stateOf, { timeout: 20_000 }).toBe('verified')
    const copies = (await serverChanges()).filter((c) => c.id === id)
    expect(copies).toHaveLength(1)
    const record = copies[0]!.data as CheckIn
    expect(record).toMatchObject({
      venueName: '广交会展馆 A 区',
      venueType: 'trade_fair',
      outcome: 'suspected',
      taskNumbers: [28],
    })
    const ref = record.photos[0]!
    const { readPhoto } = await import('../../server/sync/photos')
    const served = Buffer.from((await readPhoto(server.store.db, ref.sha256))!.bytes)
    expect(createHash('sha256').update(served).digest('hex')).toBe(ref.sha256)
    // The bytes the phone kept are the bytes the server has.
    const local = await page.evaluate(
      (sha) =>
        new Promise<number[]>((resolve, reject) => {
          const open = indexedDB.open('zhixun')
          open.onerror = () => reject(open.error)
          open.onsuccess = () => {
            const get = open.result.transaction('photos').objectStore('photos').get(sha)
            get.onsuccess = () => resolve(Array.from(new Uint8Array(get.result.bytes as ArrayBuffer)))
          }
        }),
      ref.sha256,
    )
    expect(Buffer.from(local).equals(served)).toBe(true)
    expect(await page.getByTestId('header-sync').textContent()).toContain('已全部上传')
  })

  it('still ends with one copy each when the server dies mid-sync and comes back', async () => {
    await context.setOffline(true)
    const ids = [await checkInOffline('华南国际小商品城', false), await checkInOffline('黄埔海关查验场', false)]
    dieAfterNextPush = true
    const { port, dbFile } = server
    // Sync requests that find the server gone (connection refused): the phone trying again.
    let refused = 0
    const countRefused = (r: Request) => {
      if (r.url().includes('/api/sync/') && r.failure()?.errorText.includes('ERR_CONNECTION_REFUSED')) refused++
    }
    context.on('requestfailed', countRefused)
    await context.setOffline(false)
    // The push is committed, its answer lost, and the server gone.
    await expect.poll(() => dead, { timeout: 20_000 }).toBe(true)
    await server.app.close()
    // The phone has taken the lost answer as a failure and tried again (its first retry comes about a second
    // later): the records it could not confirm are still waiting.
    await expect.poll(() => refused, { timeout: 20_000 }).toBeGreaterThan(0)
    context.off('requestfailed', countRefused)
    expect(await stateOf()).toBe('waiting')
    expect(await page.getByTestId('header-sync').textContent()).toContain('2 条未上传')
    dead = false
    server = await startServer({ port, dbFile, configure })
    // The phone is still backing off; opening the records page and tapping "sync now" is what an inspector does.
    await page.goto(`${server.url}/records`)
    await page.getByTestId('sync-now').click()
    await expect
      .poll(() => page.getByTestId('unsent-count').textContent(), { timeout: 30_000 })
      .toContain('所有记录都已上传到服务器')
    const changes = await serverChanges()
    for (const x of ids)
      expect(
        changes.filter((c) => c.id === x),
        x,
      ).toHaveLength(1)
    // Sent comes first, verified once the server's copy has been checked: a moment later.
    await expect
      .poll(() => page.locator('[data-testid="checkin-list"] [data-state="verified"]').count(), { timeout: 20_000 })
      .toBe(3)
  })

  it('exports every record of mine with its photo to a file', async () => {
    await page.goto(`${server.url}/records`)
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-records').click()])
    expect(download.suggestedFilename()).toMatch(/^zhixun-records-\d{8}-\d{4}\.json$/)
    const file = JSON.parse(readFileSync((await download.path())!, 'utf8')) as {
      checkIns: CheckIn[]
      photos: { sha256: string; base64: string }[]
    }
    expect(file.checkIns.map((c) => c.venueName).sort()).toEqual(
      ['华南国际小商品城', '广交会展馆 A 区', '黄埔海关查验场'].sort(),
    )
    const photo = file.photos[0]!
    expect(createHash('sha256').update(Buffer.from(photo.base64, 'base64')).digest('hex')).toBe(photo.sha256)
  })

  it('will not save a check-in without a venue, and says why in the inspector language', async () => {
    await page.goto(`${server.url}/checkins/new?task=28`)
    await page.getByTestId('save-checkin').click()
    expect(await page.locator('.error').first().textContent()).toBe('请填写场所名称。')
    expect(await page.getByTestId('venue-name').getAttribute('aria-invalid')).toBe('true')
  })
})
