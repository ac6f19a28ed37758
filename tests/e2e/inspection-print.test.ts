import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Inspection } from '../../src/kernel/sync-schema'
import { launchChromium, signInThroughUi, startServer, type RunningServer } from '../helpers/browser'
import {
  EMULATE_PRINT_SCRIPT,
  inPage,
  longFindings,
  READ_DOCUMENT_SCRIPT,
  sampleInspection,
  SEED_INSPECTION_SCRIPT,
  signaturePngBytes,
  type PrintedDocument,
  type ReadDocument,
  type SeedImage,
} from '../helpers/inspection-doc'
import { noisePng } from '../helpers/png'
import { HOSTILE, makeCheckIn, sha256 } from '../helpers/records'

// The printed 现场检查笔录 in Chromium at 360 px: A4 pages cut by the app (not by page-margin boxes), each with
// "第 X 页 共 Y 页" and the signatures at its foot, as many PDF pages as page boxes, hostile text as text.

/** The first drawn signature image of a draft, read from IndexedDB and decoded; null until it is saved. */
const READ_DRAFT_IMAGE = `
  const db = await new Promise((resolve) => {
    const open = indexedDB.open('zhixun')
    open.onsuccess = () => resolve(open.result)
  })
  const row = await new Promise((resolve) => {
    const get = db.transaction('inspections').objectStore('inspections').get(__ID__)
    get.onsuccess = () => resolve(get.result)
  })
  db.close()
  const image = row && row.draft && row.draft.images && row.draft.images[0]
  if (!image) return null
  const hex = [...new Uint8Array(await crypto.subtle.digest('SHA-256', image.bytes))]
    .map((b) => b.toString(16).padStart(2, '0'))
    .join('')
  const bitmap = await createImageBitmap(new Blob([image.bytes], { type: 'image/png' }))
  const ctx = new OffscreenCanvas(bitmap.width, bitmap.height).getContext('2d')
  ctx.drawImage(bitmap, 0, 0)
  const px = ctx.getImageData(0, 0, bitmap.width, bitmap.height).data
  let white = 0
  let black = 0
  for (let i = 0; i < px.length; i += 4) {
    if (px[i] > 245 && px[i + 1] > 245 && px[i + 2] > 245) white++
    else if (px[i] < 20 && px[i + 1] < 20 && px[i + 2] < 20) black++
  }
  return {
    sha: hex,
    signed: row.draft.form.signatures[0].sha256,
    size: image.size,
    bytes: image.bytes.byteLength,
    white,
    black,
    pixels: px.length / 4,
    width: bitmap.width,
  }`

let browser: Browser
let server: RunningServer
let context: BrowserContext
let page: Page
let inspection: Inspection

/** A signed record with 10,000 characters of findings and hostile text in the party's fields and a name. */
function record(authorId: string): { inspection: Inspection; images: SeedImage[] } {
  const photo = noisePng(5, 64, 48)
  const sigs = [1, 2, 3].map((seed) => signaturePngBytes(seed))
  const base = sampleInspection()
  const findings = `${HOSTILE[0]}\n${longFindings(10_000 - HOSTILE[0]!.length - 1)}`
  const inspection: Inspection = {
    ...base,
    authorId,
    inspectors: [{ ...base.inspectors[0]!, userId: authorId }, base.inspectors[1]!],
    recorder: { ...base.recorder, userId: authorId },
    party: { ...base.party, name: HOSTILE[0]!, address: HOSTILE[4]!, personPresent: HOSTILE[2]! },
    findings,
    photos: [{ sha256: sha256(photo), size: photo.length, type: 'image/png', source: 'camera' }],
    signatures: base.signatures.map((s, i) => ({
      ...s,
      userId: i === 0 ? authorId : s.userId,
      name: s.role === 'party' ? HOSTILE[2]! : s.name,
      sha256: sha256(sigs[i]!),
      size: sigs[i]!.length,
    })),
  }
  const images = [photo, ...sigs].map((b) => ({ sha256: sha256(b), type: 'image/png', bytes: [...b] }))
  return { inspection, images }
}

async function openDocument(): Promise<ReadDocument> {
  await page.goto(`${server.url}/inspections/${inspection.id}`)
  await page.locator('[data-testid="inspection-doc"][data-measured="true"]').waitFor()
  await page.waitForFunction(() =>
    [...document.querySelectorAll<HTMLImageElement>('[data-testid="inspection-doc"] img')].every(
      (img) => img.complete && img.naturalWidth > 0,
    ),
  )
  return page.evaluate(inPage(READ_DOCUMENT_SCRIPT)) as Promise<ReadDocument>
}

/** Chromium's printing now and then fails on a loaded machine; a second try is a new print, not a retry of a test. */
async function pdf(): Promise<Buffer> {
  try {
    return await page.pdf({ preferCSSPageSize: true, printBackground: true })
  } catch {
    return page.pdf({ preferCSSPageSize: true, printBackground: true })
  }
}

const pdfPages = (bytes: Buffer) => (bytes.toString('latin1').match(/\/Type\s*\/Page[^s]/g) ?? []).length

describe('the printed 现场检查笔录 in Chromium', () => {
  beforeAll(async () => {
    server = await startServer()
    browser = await launchChromium()
    context = await browser.newContext({ viewport: { width: 360, height: 740 }, locale: 'zh-CN' })
    page = await context.newPage()
    const me = await signInThroughUi(page, server)
    const seeded = record(me.id)
    inspection = seeded.inspection
    await page.evaluate(
      inPage(
        SEED_INSPECTION_SCRIPT,
        seeded.inspection,
        seeded.images,
        makeCheckIn({ id: seeded.inspection.checkInId, authorId: me.id }),
      ),
    )
  })
  afterAll(async () => {
    await browser?.close()
    await server?.app.close()
  })

  it('shows N pages at 360 px, each numbered 第 k 页 共 N 页 with the three signatures, nothing cut or lost', async () => {
    const doc = await openDocument()
    const n = doc.pages.length
    expect(n).toBeGreaterThanOrEqual(5)
    expect(doc.pages.map((p) => p.number)).toEqual(doc.pages.map((_, k) => `第 ${k + 1} 页 共 ${n} 页`))
    for (const p of doc.pages) {
      expect(p.signatures).toEqual([
        { role: 'party', loaded: true },
        { role: 'inspector', loaded: true },
        { role: 'inspector', loaded: true },
      ])
      expect(p.overflow).toBeLessThanOrEqual(0.5)
      expect(p.scrollOverflow).toBeLessThanOrEqual(0)
      // Scaled to the phone's width: no sideways scrolling.
      expect(p.right).toBeLessThanOrEqual(360)
    }
    expect(doc.scrollWidth).toBeLessThanOrEqual(doc.innerWidth)
    // Hostile text is text; every paragraph of the findings is there whole, in order, once.
    expect(doc.hostile).toBe(0)
    const all = doc.pages.map((p) => p.text).join('')
    expect(all).toContain(HOSTILE[0]!)
    expect(all).toContain(HOSTILE[4]!)
    let at = 0
    for (const paragraph of inspection.findings.split('\n')) {
      const found = all.indexOf(paragraph, at)
      expect(found, paragraph.slice(0, 20)).toBeGreaterThanOrEqual(at)
      at = found + paragraph.length
    }
  })

  it('prints as many A4 sheets as page boxes, each with its number and the signature strip, and nothing else', async () => {
    const n = (await openDocument()).pages.length
    expect(pdfPages(await pdf())).toBe(n)

    await page.emulateMedia({ media: 'print' })
    const printed = (await page.evaluate(inPage(EMULATE_PRINT_SCRIPT, false))) as PrintedDocument
    await page.emulateMedia({ media: 'screen' })
    expect(printed.sheets).toHaveLength(n)
    printed.sheets.forEach((sheet, k) => {
      expect(sheet).toMatchObject({ widthMm: 210, heightMm: 297, leftMm: 0, transform: 'none', strip: true })
      expect(sheet.topMm).toBeCloseTo(297 * k, 0)
      expect(sheet.number).toBe(`第 ${k + 1} 页 共 ${n} 页`)
      expect(sheet.breakAfter).toBe(k === n - 1 ? 'auto' : 'page')
    })
    expect(
      printed.pageRules.filter((r) => /size: a4( portrait)?; margin: 0px/i.test(r)),
      printed.pageRules.join(),
    ).toHaveLength(1)
    expect(printed).toMatchObject({ header: false, nav: false, toolbar: false, others: 0 })
  })

  it('reads full screen, in English "Page X of Y", and leaves no A4 rule behind for other pages', async () => {
    await openDocument()
    await page.getByTestId('doc-fullscreen').click()
    const box = await page.getByTestId('inspection-doc').boundingBox()
    expect(box).toMatchObject({ x: 0, y: 0, width: 360 })
    await page.getByTestId('doc-exit-fullscreen').click()
    await page.getByTestId('doc-fullscreen').waitFor()

    await page.evaluate(() => localStorage.setItem('zhixun.locale', 'en'))
    const doc = await openDocument()
    expect(doc.pages.map((p) => p.number)).toEqual(doc.pages.map((_, k) => `Page ${k + 1} of ${doc.pages.length}`))
    await page.evaluate(() => localStorage.setItem('zhixun.locale', 'zh-CN'))

    await page.goto(`${server.url}/records`)
    await page.locator('[data-testid="inspection-doc"]').waitFor({ state: 'detached' })
    const rules = await page.evaluate(() =>
      [...document.adoptedStyleSheets].flatMap((s) => [...s.cssRules].map((r) => r.cssText)),
    )
    expect(rules.filter((r) => r.startsWith('@page'))).toEqual([])
  })

  it('signs on a high-density screen in dark mode: the pad does not scroll, refuses an empty box, saves black ink on white', async () => {
    const phone = await browser.newContext({
      viewport: { width: 360, height: 740 },
      deviceScaleFactor: 3,
      locale: 'zh-CN',
      colorScheme: 'dark',
    })
    const p = await phone.newPage()
    try {
      await signInThroughUi(p, server)
      await p.goto(`${server.url}/checkins/new?task=28`)
      await p.getByTestId('venue-name').fill('琶洲展馆 B 区')
      await p.getByTestId('venue-type').selectOption('trade_fair')
      await p.getByTestId('outcome-suspected').check()
      await p.getByTestId('save-checkin').click()
      await p.getByTestId('confirm-save').click()
      await p.getByTestId('checkin-page').waitFor()
      const checkInId = p.url().split('/checkins/')[1]!
      await p.goto(`${server.url}/checkins/${checkInId}/inspection`)
      await p.getByTestId('inspection-draft').waitFor()
      const draftId = p.url().split('/inspections/')[1]!
      await p.locator('[data-testid^="insp-sign-inspector-"]').first().click()

      const canvas = p.getByTestId('signature-canvas')
      const pad = await canvas.evaluate((el: HTMLCanvasElement) => ({
        touchAction: getComputedStyle(el).touchAction,
        ratio: Math.round((el.width / el.getBoundingClientRect().width) * 100) / 100,
        ink: getComputedStyle(el).color,
      }))
      // Sharp at three device pixels per CSS pixel; light ink on the dark theme.
      expect(pad).toEqual({ touchAction: 'none', ratio: 3, ink: 'rgb(238, 241, 245)' })
      for (const s of ['clear', 'done'] as const) {
        const box = (await p.getByTestId(`signature-${s}`).boundingBox())!
        expect(box.height).toBeGreaterThanOrEqual(44)
      }
      // From the keyboard, on an empty box: refused, and said why.
      await p.getByTestId('signature-done').focus()
      await p.keyboard.press('Enter')
      await expect.poll(() => p.getByTestId('signature-message').textContent()).toContain('框内还没有签名')

      const box = (await canvas.boundingBox())!
      await p.mouse.move(box.x + 20, box.y + box.height / 2)
      await p.mouse.down()
      for (let i = 1; i <= 30; i++)
        await p.mouse.move(box.x + 20 + i * 9, box.y + box.height / 2 + Math.sin(i / 3) * 40)
      await p.mouse.up()
      await p.getByTestId('signature-done').click()
      await p.locator('[data-testid^="insp-signer-"][data-signed="true"]').first().waitFor()

      // The drawing kept with the draft (saved a moment after): its SHA-256 as signed, black on white whatever
      // the theme.
      const read = READ_DRAFT_IMAGE.replace('__ID__', JSON.stringify(draftId))
      await expect.poll(() => p.evaluate(inPage(read)), { timeout: 10_000 }).not.toBeNull()
      const image = (await p.evaluate(inPage(read))) as {
        sha: string
        signed: string
        size: number
        bytes: number
        white: number
        black: number
        pixels: number
        width: number
      }
      expect(image.sha).toBe(image.signed)
      expect(image.size).toBe(image.bytes)
      expect(image.white / image.pixels).toBeGreaterThan(0.7)
      expect(image.black).toBeGreaterThan(500)
      // Cropped to the ink (about 270 CSS px wide), drawn at three pixels each.
      expect(image.width).toBeGreaterThan(270 * 3)
      expect(image.width).toBeLessThan(340 * 3)
    } finally {
      await phone.close()
    }
  })
})
