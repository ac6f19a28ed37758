import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createUser } from '../../server/auth/accounts'
import type { Change, Inspection } from '../../src/kernel/sync-schema'
import { countIn, launchChromium, type RunningServer, startServer } from '../helpers/browser'
import { realDataset } from '../helpers/seed'
import { storedChanges } from '../helpers/stored-changes'

// The lead inspector writes and signs the 现场检查笔录 on their phone with no signal, at 360 px: both
// inspectors and the party sign by drawing; the record is locked, survives a reload offline, and reaches the
// server once back online.

let browser: Browser
let server: RunningServer
let context: BrowserContext
let page: Page
const DEPARTMENT = '省知识产权局'
const PASSWORD = 'e2e-password-long'
const HOSTILE = '<img src=x onerror=alert(1)>广州市某某商行'
let lead: { id: string; displayName: string }
let co: { id: string; displayName: string }

async function account(name: string, certificateNumber: string) {
  const username = `e2e.insp.${Math.random().toString(36).slice(2, 8)}`
  const user = await createUser(server.store.db, new Set(realDataset.departments.map((d) => d.name)), {
    username,
    displayName: name,
    department: DEPARTMENT,
    role: 'inspector',
    password: PASSWORD,
    certificateNumber,
    certificateExpiry: '2035-12-31',
  })
  return { ...user, username }
}

/** Draws a signature on the open pad with the mouse, and hands it over. */
async function drawSignature() {
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

/** Read as the server holds it, whoever wrote it. */
const serverChanges = (): Promise<Change[]> => storedChanges(server.store.db)

const stateOf = () => page.getByTestId('record-state').first().getAttribute('data-state')

beforeAll(async () => {
  server = await startServer()
  browser = await launchChromium()
  context = await browser.newContext({ viewport: { width: 360, height: 740 }, locale: 'zh-CN' })
  page = await context.newPage()
  page.on('dialog', (d) => void d.dismiss())
  const leadAccount = await account('李明', '44010020230001')
  const coAccount = await account('王芳', '44010020230002')
  lead = leadAccount
  co = coAccount
  await page.goto(server.url)
  await page.locator('[data-testid="section-list"] li').first().waitFor()
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null)
  await page.goto(`${server.url}/signin`)
  await page.getByTestId('sign-in-username').fill(leadAccount.username)
  await page.getByTestId('sign-in-password').fill(PASSWORD)
  await page.getByTestId('sign-in-submit').click()
  await page.waitForURL((u) => !u.pathname.startsWith('/signin'))
}, 60_000)
afterAll(async () => {
  await browser?.close()
  await server?.app.close()
})

describe('the on-site inspection record, offline at 360 px', () => {
  let inspectionId: string

  it('is made from a check-in, prefilled, and signed by both inspectors and the party by drawing', async () => {
    // The colleagues to pick offline come down with the first sync after signing in.
    await expect.poll(() => countIn(page, 'colleagues'), { timeout: 20_000 }).toBeGreaterThanOrEqual(2)
    await context.setOffline(true)
    await page.goto(`${server.url}/checkins/new?task=28`)
    await page.getByTestId('venue-name').fill('广交会展馆 A 区 3.2C')
    await page.getByTestId('outcome-suspected').check()
    await page.getByTestId('checkin-note').fill('展位上的蓝牙耳机疑似仿冒。')
    await page.getByTestId('co-inspector').filter({ hasText: '王芳' }).locator('input').check()
    await page.getByTestId('save-checkin').click()
    await page.getByTestId('confirm-save').click()
    await page.getByTestId('checkin-page').waitFor()

    await page.getByTestId('inspection-make').click()
    await page.getByTestId('inspection-draft').waitFor()
    inspectionId = page.url().split('/inspections/')[1]!
    // Filled in from the check-in: the place, the findings, both inspectors with their certificates.
    expect(await page.getByTestId('insp-place').inputValue()).toBe('广交会展馆 A 区 3.2C')
    expect(await page.getByTestId('insp-findings').inputValue()).toBe('展位上的蓝牙耳机疑似仿冒。')
    const people = page.getByTestId('insp-inspectors')
    expect(await people.textContent()).toContain('44010020230001')
    expect(await people.textContent()).toContain('44010020230002')
    expect(await people.locator('[data-valid="true"]').count()).toBe(2)

    await page.getByTestId('insp-party-name').fill(HOSTILE)
    await page.getByTestId('insp-party-person').fill('陈先生')
    // A credit code with a wrong check character is said at the field itself, as it is typed.
    const code = page.getByTestId('insp-party-code')
    await code.fill('914403001922038217')
    expect(await page.getByTestId('insp-party-code-problem').textContent()).toContain('校验位不对')
    expect(await code.getAttribute('aria-invalid')).toBe('true')
    await code.fill('')
    expect(await page.getByTestId('insp-party-code-problem').count()).toBe(0)
    await page.getByTestId('insp-findings').fill(`${HOSTILE}\n现场查获疑似侵权耳机。`)
    await page.getByTestId('insp-add-item').click()
    await page.getByTestId('insp-item-name-0').fill('蓝牙耳机')
    await page.getByTestId('insp-item-count-0').fill('12')
    // The draft is kept as typed: a reload (a call, a dead battery) loses nothing.
    const draftParty = () =>
      page.evaluate(
        (id) =>
          new Promise<string | undefined>((resolve, reject) => {
            const open = indexedDB.open('zhixun')
            open.onerror = () => reject(open.error)
            open.onsuccess = () => {
              const req = open.result.transaction('inspections').objectStore('inspections').get(id)
              req.onsuccess = () =>
                resolve(
                  req.result?.draft?.form?.items?.[0]?.count === 12 ? req.result.draft.form.party.name : undefined,
                )
            }
          }),
        inspectionId,
      )
    await expect.poll(draftParty).toBe(HOSTILE)
    await page.reload()
    await page.getByTestId('inspection-draft').waitFor()
    expect(await page.getByTestId('insp-party-name').inputValue()).toBe(HOSTILE)
    expect(await page.getByTestId('insp-item-count-0').inputValue()).toBe('12')

    // Not signable yet, and it says why.
    expect(await page.getByTestId('insp-sign').isDisabled()).toBe(true)
    expect(await page.getByTestId('insp-blockers').textContent()).toContain('李明 还没有签名')

    // The party reads the whole record full-screen first.
    await page.getByTestId('insp-show').click()
    await page.getByTestId('insp-reading').waitFor()
    // For the phone: one column at the app's text size, nothing wider than the 360 px screen, no page boxes shown.
    const flow = page.getByTestId('insp-reading').getByTestId('reading-flow')
    await flow.waitFor()
    expect(await flow.textContent()).toContain(HOSTILE)
    const layout = await flow.evaluate((el) => {
      const body = el.querySelector('[data-block="findings-0"] p') ?? el.querySelector('[data-block="statement"] p')
      const overlay = el.closest('[data-testid="insp-reading"]')!
      return {
        fontSize: parseFloat(getComputedStyle(body!).fontSize),
        width: el.getBoundingClientRect().width,
        scrollWidth: el.scrollWidth,
        clientWidth: el.clientWidth,
        overlayScroll: overlay.scrollWidth - overlay.clientWidth,
        docScroll: document.documentElement.scrollWidth - window.innerWidth,
      }
    })
    expect(layout.fontSize).toBeGreaterThanOrEqual(16)
    expect(layout.width).toBeLessThanOrEqual(360)
    expect(layout.scrollWidth).toBeLessThanOrEqual(layout.clientWidth)
    expect(layout.overlayScroll).toBeLessThanOrEqual(0)
    expect(layout.docScroll).toBeLessThanOrEqual(0)
    expect(await page.getByTestId('doc-page').first().isVisible()).toBe(false)
    expect(await page.locator('[data-testid="insp-reading"] img[src="x"]').count()).toBe(0)
    // Dark mode: light text on the dark ground.
    await page.emulateMedia({ colorScheme: 'dark' })
    const ink = await flow.evaluate((el) => {
      const lum = (c: string) =>
        c
          .match(/\d+/g)!
          .slice(0, 3)
          .reduce((a, v) => a + Number(v), 0) / 3
      const overlay = el.closest('[data-testid="insp-reading"]')!
      return { text: lum(getComputedStyle(el).color), ground: lum(getComputedStyle(overlay).backgroundColor) }
    })
    expect(ink.text - ink.ground).toBeGreaterThan(150)
    // Printing from here still prints the A4 pages, not the column.
    await page.emulateMedia({ colorScheme: 'light', media: 'print' })
    expect(await flow.isVisible()).toBe(false)
    expect(await page.getByTestId('doc-page').first().isVisible()).toBe(true)
    await page.emulateMedia({ media: 'screen' })
    // The printed pages are one tap away, and back.
    await page.getByTestId('reading-toggle').click()
    await expect.poll(() => page.getByTestId('doc-page').first().isVisible()).toBe(true)
    expect(await flow.isVisible()).toBe(false)
    expect(await page.getByTestId('doc-page').first().textContent()).toContain(HOSTILE)
    await page.getByTestId('reading-toggle').click()
    await expect.poll(() => flow.isVisible()).toBe(true)
    await page.getByTestId('insp-reading-close').click()

    for (const who of [lead, co]) {
      await page.getByTestId(`insp-sign-inspector-${who.id}`).click()
      await drawSignature()
      await expect.poll(() => page.getByTestId(`insp-signer-${who.id}`).getAttribute('data-signed')).toBe('true')
    }
    await page.getByTestId('insp-sign-party').click()
    await drawSignature()
    await expect.poll(() => page.getByTestId('insp-signer-party').getAttribute('data-signed')).toBe('true')

    await expect.poll(() => page.getByTestId('insp-sign').isDisabled()).toBe(false)
    await page.getByTestId('insp-sign').click()
    await page.getByTestId('inspection-locked').waitFor()
    expect(await stateOf()).toBe('waiting')
  })

  it('is locked and intact after a reload with no signal', async () => {
    await page.reload()
    await page.getByTestId('inspection-signed').waitFor()
    expect(await page.getByTestId('inspection-locked').textContent()).toContain('签署并锁定')
    // Nothing to edit: no form, no field, no signing.
    expect(await page.getByTestId('inspection-draft').count()).toBe(0)
    expect(await page.locator('[data-testid="inspection-signed"] input, textarea').count()).toBe(0)
    const doc = page.getByTestId('inspection-doc')
    await expect.poll(() => doc.getAttribute('data-measured')).toBe('true')
    const text = (await doc.textContent()) ?? ''
    expect(text).toContain(HOSTILE)
    expect(text).toContain('蓝牙耳机')
    expect(await doc.locator('img[src="x"]').count()).toBe(0)
    // Every page carries the three drawn signatures.
    const pages = await doc.getByTestId('doc-page').count()
    expect(pages).toBeGreaterThanOrEqual(1)
    expect(await page.getByTestId('doc-page-number').first().textContent()).toContain(`共 ${pages} 页`)
    const stored = await page.evaluate(
      (id) =>
        new Promise<{ state: string; data: Inspection }>((resolve, reject) => {
          const open = indexedDB.open('zhixun')
          open.onerror = () => reject(open.error)
          open.onsuccess = () => {
            const req = open.result.transaction('inspections').objectStore('inspections').get(id)
            req.onsuccess = () => resolve(req.result)
          }
        }),
      inspectionId,
    )
    expect(stored.state).toBe('waiting')
    expect(stored.data.signatures.map((s) => s.role).sort()).toEqual(['inspector', 'inspector', 'party'])
    expect(stored.data.inspectors.map((i) => i.userId)).toEqual([lead.id, co.id])
    expect(stored.data.chain).toMatchObject({ seq: 2 })
  })

  it('reaches the server once back online, signatures with it, and shows so', async () => {
    await context.setOffline(false)
    await expect.poll(stateOf, { timeout: 30_000 }).toMatch(/^(sent|verified)$/)
    const copies = (await serverChanges()).filter((c) => c.id === inspectionId)
    expect(copies).toHaveLength(1)
    const record = copies[0]!.data as Inspection
    expect(record.party.name).toBe(HOSTILE)
    const { readPhoto } = await import('../../server/sync/photos')
    for (const s of record.signatures) expect(await readPhoto(server.store.db, s.sha256), s.role).toBeTruthy()
    // The check-in's page now offers the signed record.
    await page.goto(`${server.url}/checkins/${record.checkInId}`)
    await page.getByTestId('inspection-view').waitFor()
    expect(await page.getByTestId('inspection-make').count()).toBe(0)
  })

  it('is corrected by a new record naming it, here one the party refuses to sign before a witness', async () => {
    await page.goto(`${server.url}/inspections/${inspectionId}`)
    await page.getByTestId('inspection-correct').click()
    await page.getByTestId('inspection-draft').waitFor()
    const correctionId = page.url().split('/inspections/')[1]!
    expect(correctionId).not.toBe(inspectionId)
    // The facts come along to be changed; the signatures do not.
    expect(await page.getByTestId('insp-party-name').inputValue()).toBe(HOSTILE)
    expect(await page.getByTestId(`insp-signer-${lead.id}`).getAttribute('data-signed')).toBe('false')
    await page.getByTestId('insp-refuses').check()
    expect(await page.getByTestId('insp-signer-party').count()).toBe(0)
    expect(await page.getByTestId('insp-sign-witness').isDisabled()).toBe(true)
    const reason = '<script>alert(1)</script>当事人称负责人不在，拒绝签字'
    await page.getByTestId('insp-refusal-reason').fill(reason)
    await page.getByTestId('insp-witness-name').fill('市场管理员 赵先生')
    for (const who of [lead, co]) {
      await page.getByTestId(`insp-sign-inspector-${who.id}`).click()
      await drawSignature()
    }
    await page.getByTestId('insp-sign-witness').click()
    await drawSignature()
    await expect.poll(() => page.getByTestId('insp-sign').isDisabled()).toBe(false)
    await page.getByTestId('insp-sign').click()
    await page.getByTestId('inspection-locked').waitFor()
    expect(await page.getByTestId('inspection-refused').count()).toBe(1)
    const doc = page.getByTestId('inspection-doc')
    await expect.poll(() => doc.textContent()).toContain(reason)
    expect(await doc.locator('script').count()).toBe(0)
    // It names the original, which stays as it was signed.
    await page.getByRole('link', { name: '这是更正笔录，查看原笔录' }).click()
    await page.waitForURL(`**/inspections/${inspectionId}`)
    await page.getByTestId('inspection-locked').waitFor()
    expect(await page.getByTestId('inspection-refused').count()).toBe(0)
    await expect.poll(stateOf, { timeout: 30_000 }).toMatch(/^(sent|verified)$/)
    // Both on the server: the correction beside the original.
    await expect
      .poll(async () => (await serverChanges()).some((c) => c.id === correctionId), { timeout: 30_000 })
      .toBe(true)
    const copy = (await serverChanges()).find((c) => c.id === correctionId)!.data as Inspection
    expect(copy).toMatchObject({ correctionOf: inspectionId, refusal: { reason, witnessName: '市场管理员 赵先生' } })
    expect(copy.signatures.map((x) => x.role).sort()).toEqual(['inspector', 'inspector', 'witness'])
  })
})
