/**
 * iPhones print with WebKit, which has no page-margin boxes: the 现场检查笔录 cuts its own A4 pages, each with
 * "第 X 页 共 Y 页" and the signatures at its foot. Checked at 360 px on screen, and with the print style sheet
 * applied (WebDriver cannot switch WebKit to print media, so its print rules are applied to the screen).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createUser } from '../../server/auth/accounts'
import type { Inspection } from '../../src/kernel/sync-schema'
import { startServer, type RunningServer } from '../helpers/browser'
import {
  EMULATE_PRINT_SCRIPT,
  longFindings,
  READ_DOCUMENT_SCRIPT,
  sampleInspection,
  SEED_INSPECTION_SCRIPT,
  signaturePngBytes,
  type PrintedDocument,
  type ReadDocument,
} from '../helpers/inspection-doc'
import { HOSTILE, makeCheckIn, sha256 } from '../helpers/records'
import { realDataset } from '../helpers/seed'
import { WebKitSession, webkitAvailable } from '../helpers/webdriver'

if (process.env.CI && !webkitAvailable) throw new Error('CI must run the WebKit tests: WebKitGTK is not installed')

const USERNAME = 'webkit.printer'
const PASSWORD = 'webkit-password-long'

let server: RunningServer
let wk: WebKitSession
let inspection: Inspection

describe.skipIf(!webkitAvailable)('WebKit prints the 现场检查笔录 page by page', () => {
  beforeAll(async () => {
    server = await startServer()
    const userId = (
      await createUser(server.store.db, new Set(realDataset.departments.map((d) => d.name)), {
        username: USERNAME,
        displayName: '苹果手机巡查员',
        department: '省知识产权局',
        role: 'inspector',
        password: PASSWORD,
      })
    ).id
    wk = await WebKitSession.start()
    await wk.setWindowSize(360, 740)
    await wk.go(`${server.url}/signin`)
    await wk.type('[data-testid="sign-in-username"]', USERNAME)
    await wk.type('[data-testid="sign-in-password"]', PASSWORD)
    await wk.click('[data-testid="sign-in-submit"]')
    await wk.waitFor(async () => !new URL(await wk.url()).pathname.startsWith('/signin'), 'leaving the sign-in page')

    const sigs = [1, 2, 3].map((seed) => signaturePngBytes(seed))
    const base = sampleInspection()
    inspection = {
      ...base,
      authorId: userId,
      inspectors: [{ ...base.inspectors[0]!, userId }, base.inspectors[1]!],
      recorder: { ...base.recorder, userId },
      party: { ...base.party, name: HOSTILE[0]!, address: HOSTILE[4]! },
      findings: `${HOSTILE[0]}\n${longFindings(9000)}`,
      photos: [],
      signatures: base.signatures.map((s, i) => ({ ...s, sha256: sha256(sigs[i]!), size: sigs[i]!.length })),
    }
    const images = sigs.map((b) => ({ sha256: sha256(b), type: 'image/png', bytes: [...b] }))
    await wk.runAsync(
      SEED_INSPECTION_SCRIPT,
      inspection,
      images,
      makeCheckIn({ id: inspection.checkInId, authorId: userId }),
    )
  })
  afterAll(async () => {
    await wk?.close()
    await server?.app.close()
  })

  it('lays out N pages, each numbered 第 k 页 共 N 页 with the signatures, nothing cut; printed, one A4 sheet each', async () => {
    await wk.go(`${server.url}/inspections/${inspection.id}`)
    await wk.find('[data-testid="inspection-doc"][data-measured="true"]', 20_000)
    await wk.waitFor(
      () =>
        wk.run<boolean>(
          `return [...document.querySelectorAll('[data-testid="inspection-doc"] img')].every((i) => i.complete && i.naturalWidth > 0)`,
        ),
      'the signature images',
    )
    const doc = await wk.runAsync<ReadDocument>(READ_DOCUMENT_SCRIPT)
    const n = doc.pages.length
    expect(n).toBeGreaterThanOrEqual(4)
    expect(doc.pages.map((p) => p.number)).toEqual(doc.pages.map((_, k) => `第 ${k + 1} 页 共 ${n} 页`))
    for (const p of doc.pages) {
      expect(p.signatures).toEqual([
        { role: 'party', loaded: true },
        { role: 'inspector', loaded: true },
        { role: 'inspector', loaded: true },
      ])
      expect(p.overflow).toBeLessThanOrEqual(0.5)
    }
    expect(doc.scrollWidth).toBeLessThanOrEqual(doc.innerWidth)
    expect(doc.hostile).toBe(0)
    const all = doc.pages.map((p) => p.text).join('')
    expect(all).toContain(HOSTILE[0]!)
    let at = 0
    for (const paragraph of inspection.findings.split('\n')) {
      const found = all.indexOf(paragraph, at)
      expect(found, paragraph.slice(0, 20)).toBeGreaterThanOrEqual(at)
      at = found + paragraph.length
    }

    const printed = await wk.runAsync<PrintedDocument>(EMULATE_PRINT_SCRIPT, true)
    expect(printed.sheets).toHaveLength(n)
    printed.sheets.forEach((sheet, k) => {
      expect(sheet).toMatchObject({ widthMm: 210, heightMm: 297, leftMm: 0, transform: 'none', strip: true })
      expect(sheet.topMm).toBeCloseTo(297 * k, 0)
      expect(sheet.number).toBe(`第 ${k + 1} 页 共 ${n} 页`)
      expect(k === n - 1 ? ['auto'] : ['page', 'always']).toContain(sheet.pageBreakAfter)
    })
    expect(
      printed.pageRules.filter((r) => /size: a4( portrait)?; margin: 0px/i.test(r)),
      printed.pageRules.join(),
    ).toHaveLength(1)
    expect(printed).toMatchObject({ header: false, nav: false, toolbar: false, others: 0 })
  })
})
