import type { Inspection } from '../../src/kernel/sync-schema'
import { encodeRgbPng } from '../../scripts/png'

export const LEAD_ID = '01900000-0000-7000-8000-00000000c201'
export const CO_ID = '01900000-0000-7000-8000-00000000c202'

/** A signed 现场检查笔录 as the lead's phone makes it: two inspectors and the party signed. */
export function sampleInspection(overrides: Partial<Inspection> = {}): Inspection {
  const sig = (n: number) => n.toString(16).padStart(2, '0').repeat(32)
  return {
    id: '01900000-0000-7000-8000-00000000c2a1',
    authorId: LEAD_ID,
    checkInId: '01900000-0000-7000-8000-00000000c2b1',
    campaignId: null,
    startedAt: '2026-11-20T02:30:00.000Z',
    endedAt: '2026-11-20T03:10:00.000Z',
    place: '广交会展馆 A 区 3.2C 展位',
    party: {
      id: null,
      name: '深圳市某某电子有限公司',
      creditCode: '914403001922038216',
      address: '深圳市南山区科技园',
      personPresent: '王经理',
      personRole: '展位负责人',
      phone: '13800000000',
    },
    inspectors: [
      { userId: LEAD_ID, name: '李执法', certificateNumber: '44010020001' },
      { userId: CO_ID, name: '陈执法', certificateNumber: '44010020002' },
    ],
    recorder: { userId: LEAD_ID, name: '李执法', certificateNumber: '44010020001' },
    findings: '展位陈列蓝牙耳机 40 副，外包装标注的商标与权利人注册商标近似。',
    items: [{ name: '蓝牙耳机', count: 40 }],
    photos: [{ sha256: sig(1), size: 40_000, type: 'image/jpeg', source: 'camera' }],
    signatures: [
      {
        role: 'inspector',
        name: '李执法',
        userId: LEAD_ID,
        sha256: sig(2),
        size: 900,
        type: 'image/png',
        signedAt: '2026-11-20T03:08:00.000Z',
      },
      {
        role: 'inspector',
        name: '陈执法',
        userId: CO_ID,
        sha256: sig(3),
        size: 900,
        type: 'image/png',
        signedAt: '2026-11-20T03:09:00.000Z',
      },
      {
        role: 'party',
        name: '王经理',
        userId: null,
        sha256: sig(4),
        size: 900,
        type: 'image/png',
        signedAt: '2026-11-20T03:10:00.000Z',
      },
    ],
    refusal: null,
    correctionOf: null,
    signedAt: '2026-11-20T03:10:00.000Z',
    createdAt: '2026-11-20T03:10:00.000Z',
    ...overrides,
  }
}

/** Findings of `length` characters in paragraphs, each paragraph numbered so a lost or doubled line shows. */
export function longFindings(length = 10_000): string {
  const out: string[] = []
  let total = 0
  for (let i = 1; total < length; i++) {
    const para = `第${i}段：` + '现场查见涉嫌侵权商品，货架陈列，包装标注近似商标。'.repeat(12)
    out.push(para)
    total += para.length + 1
  }
  return out.join('\n').slice(0, length)
}

/** A drawn signature as the pad saves it: black ink on white, a stroke that differs per seed. */
export function signaturePngBytes(seed: number, width = 160, height = 60): Buffer {
  const raw = Buffer.alloc((width * 3 + 1) * height, 0xff)
  for (let x = 4; x < width - 4; x++) {
    const y = Math.round(height / 2 + Math.sin((x + seed * 17) / 9) * (height / 3))
    for (let dy = -1; dy <= 1; dy++) {
      const row = (y + dy) * (width * 3 + 1)
      raw[row] = 0
      raw.fill(0, row + 1 + x * 3, row + 1 + x * 3 + 3)
    }
  }
  for (let y = 0; y < height; y++) raw[y * (width * 3 + 1)] = 0
  return encodeRgbPng(width, height, raw)
}

export interface SeedImage {
  sha256: string
  type: string
  bytes: number[]
}

/**
 * Put a signed inspection record and its images into the phone's IndexedDB as the app keeps them (run in the
 * page, after the app has opened its database): `inspection` the record, `images` the photos and signatures.
 * A function body, its arguments (inspection, images): for WebDriver as it is, for Playwright through `inPage`.
 */
export const SEED_INSPECTION_SCRIPT = `
  // The check-in it was made from too, as on a phone: a settled record whose check-in is not on the phone is let go
  // after a sync (src/db/retention.ts), and opened from the server instead.
  const [inspection, images, checkIn] = arguments
  const db = await new Promise((resolve, reject) => {
    const open = indexedDB.open('zhixun')
    open.onsuccess = () => resolve(open.result)
    open.onerror = () => reject(open.error)
  })
  await new Promise((resolve, reject) => {
    const tx = db.transaction(['inspections', 'photos', 'checkins'], 'readwrite')
    const savedAt = Date.now()
    tx.objectStore('checkins').put({
      id: checkIn.id, data: checkIn, taskNumbers: checkIn.taskNumbers, hash: 'b'.repeat(64), state: 'verified',
      origin: 'mine', savedAt, authorTasks: checkIn.taskNumbers.map((n) => [checkIn.authorId, n, savedAt]),
    })
    tx.objectStore('inspections').put({
      id: inspection.id, checkInId: inspection.checkInId, data: inspection, hash: 'a'.repeat(64),
      state: 'verified', origin: 'mine', savedAt: Date.now(),
    })
    for (const image of images)
      tx.objectStore('photos').put({
        sha256: image.sha256, size: image.bytes.length, type: image.type,
        bytes: new Uint8Array(image.bytes).buffer, state: 'verified', savedAt: Date.now(),
      })
    tx.oncomplete = resolve
    tx.onerror = () => reject(tx.error)
  })
  db.close()
  return true`

/**
 * What the document shows, read in the page: its pages, each page's number line, the signature images in its
 * strip (and whether they loaded), and how far its content reaches against the room on the page.
 */
export interface ReadDocument {
  pages: {
    number: string
    signatures: { role: string; loaded: boolean }[]
    overflow: number
    scrollOverflow: number
    text: string
    width: number
    right: number
  }[]
  hostile: number
  scrollWidth: number
  innerWidth: number
}
export const READ_DOCUMENT_SCRIPT = `
  const doc = document.querySelector('[data-testid="inspection-doc"]')
  const pages = [...doc.querySelectorAll('.doc-viewport [data-testid="doc-page"]')]
  return {
    pages: pages.map((page) => {
      const body = page.querySelector('.doc-body')
      const last = body.lastElementChild
      const scale = page.getBoundingClientRect().width / page.offsetWidth
      return {
        number: page.querySelector('[data-testid="doc-page-number"]').textContent.trim(),
        signatures: [...page.querySelectorAll('[data-testid="doc-signature-strip"] img')].map((img) => ({
          role: img.closest('[data-role]').dataset.role,
          loaded: img.complete && img.naturalWidth > 0,
        })),
        overflow: last ? (last.getBoundingClientRect().bottom - body.getBoundingClientRect().bottom) / scale : 0,
        scrollOverflow: body.scrollHeight - body.clientHeight,
        text: body.textContent,
        width: page.getBoundingClientRect().width,
        right: page.getBoundingClientRect().right,
      }
    }),
    hostile: doc.querySelectorAll('script, img[src="x"], [onerror]').length,
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
  }`

/**
 * The page as it prints, emulated by hand where a browser cannot be told to (WebKit through WebDriver): every
 * rule of the style sheets' print media is added for the screen too, then the sheets are read.
 */
export interface PrintedDocument {
  sheets: {
    widthMm: number
    heightMm: number
    topMm: number
    leftMm: number
    breakAfter: string
    pageBreakAfter: string
    transform: string
    number: string
    strip: boolean
  }[]
  pageRules: string[]
  header: boolean
  nav: boolean
  toolbar: boolean
  others: number
}
export const EMULATE_PRINT_SCRIPT = `
  if (arguments[0] === true) {
    const rules = []
    const walk = (list) => {
      for (const rule of list) {
        if (rule.media && [...rule.media].includes('print')) rules.push(...[...rule.cssRules].map((r) => r.cssText))
        else if (rule.cssRules && !rule.media) walk(rule.cssRules)
      }
    }
    for (const sheet of document.styleSheets) walk(sheet.cssRules)
    // Constructed: the app's Content-Security-Policy allows no inline <style>.
    const sheet = new CSSStyleSheet()
    sheet.replaceSync(rules.join('\\n'))
    document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet]
    window.dispatchEvent(new Event('resize'))
  }
  const mm = (px) => Math.round((px * 25.4) / 96 * 10) / 10
  const sheets = [...document.querySelectorAll('[data-testid="inspection-doc"] .doc-sheet')]
  const visible = (el) => !!el && el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden'
  return {
    sheets: sheets.map((sheet, i) => {
      const page = sheet.querySelector('[data-testid="doc-page"]')
      const r = page.getBoundingClientRect()
      const cs = getComputedStyle(sheet)
      return {
        widthMm: mm(r.width),
        heightMm: mm(r.height),
        topMm: mm(r.top - sheets[0].querySelector('[data-testid="doc-page"]').getBoundingClientRect().top),
        leftMm: mm(r.left),
        breakAfter: cs.breakAfter || cs.pageBreakAfter,
        pageBreakAfter: cs.pageBreakAfter,
        transform: getComputedStyle(page).transform,
        number: page.querySelector('[data-testid="doc-page-number"]').textContent.trim(),
        strip: visible(page.querySelector('[data-testid="doc-signature-strip"]')),
      }
    }),
    // A set: WebKit lists adopted sheets in document.styleSheets too.
    pageRules: [...new Set([...document.adoptedStyleSheets, ...document.styleSheets])]
      .flatMap((sheet) => [...sheet.cssRules])
      .filter((rule) => rule.type === CSSRule.PAGE_RULE)
      .map((rule) => rule.cssText),
    header: visible(document.querySelector('.app-header')),
    nav: visible(document.querySelector('.bottom-nav')),
    toolbar: visible(document.querySelector('.doc-toolbar')),
    others: [...document.querySelectorAll('[data-testid="inspection-locked"], [data-testid="inspection-print"]')].filter(visible).length,
  }`

/** A function body of these, with its arguments, as an expression Playwright evaluates (and awaits). */
export const inPage = (body: string, ...args: unknown[]) =>
  `(async function () { ${body} }).apply(null, ${JSON.stringify(args)})`
