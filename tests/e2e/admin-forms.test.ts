import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createUser } from '../../server/auth/accounts'
import { launchChromium, type RunningServer, signInThroughUi, startServer, untilStill } from '../helpers/browser'
import { realDataset } from '../helpers/seed'

// The supervisor's and the admin's forms at 360 px, in Chinese and in English: the accounts page's small
// per-account forms save only on their button (Enter moves on); the campaign form's task previews end in "…" and
// open whole on a tap; neither form offers the source's collective names (各有关单位…) as departments.
// ZHIXUN_SHOTS=<dir> keeps screenshots.

const SHOTS = process.env.ZHIXUN_SHOTS
let browser: Browser
let server: RunningServer

beforeAll(async () => {
  server = await startServer()
  browser = await launchChromium()
})
afterAll(async () => {
  await browser?.close()
  await server?.app.close()
})

async function phone(
  locale: 'zh-CN' | 'en',
  role: 'supervisor' | 'admin',
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 360, height: 740 }, locale: 'zh-CN' })
  await context.addInitScript(() => {
    const w = window as unknown as { submitted: string[] }
    w.submitted = []
    document.addEventListener('submit', (e) => w.submitted.push((e.target as HTMLElement).dataset.testid ?? ''), true)
  })
  const page = await context.newPage()
  await page.goto(server.url)
  await page.evaluate((l) => localStorage.setItem('zhixun.locale', l), locale)
  await signInThroughUi(page, server, role)
  return { context, page }
}

const submitted = (page: Page) => page.evaluate(() => (window as unknown as { submitted: string[] }).submitted)
const focusedId = (page: Page) => page.evaluate(() => document.activeElement?.id)
const shot = async (page: Page, name: string) => {
  if (SHOTS) await page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: false })
}

describe("the accounts page's per-account forms", () => {
  for (const locale of ['zh-CN', 'en'] as const) {
    it(`save only on their button: Enter in the certificate and password fields moves on (${locale})`, async () => {
      const { context, page } = await phone(locale, 'admin')
      const username = `e2e.cert.${Math.random().toString(36).slice(2, 8)}`
      const who = await createUser(server.store.db, new Set(realDataset.departments.map((d) => d.name)), {
        username,
        displayName: `证件${locale}`,
        department: '省工商局',
        role: 'inspector',
        password: 'e2e-password-long',
      })
      const stored = () =>
        server.store.db.selectFrom('users').selectAll().where('id', '=', who.id).executeTakeFirstOrThrow()
      const { password_hash: hashBefore } = await stored()
      const certNo = `GD-ENTER-${locale}`
      await page.goto(`${server.url}/admin/users`)
      const row = page.getByTestId('user-list').locator('li', { hasText: username })
      await row.waitFor()

      // The certificate: Enter in the number moves to the expiry and saves nothing, however often.
      await row.getByTestId('user-certificate-edit').click()
      const number = page.locator(`#cert-${who.id}`)
      const expiry = page.locator(`#cert-expiry-${who.id}`)
      expect(await number.getAttribute('enterkeyhint')).toBe('next')
      expect(await expiry.getAttribute('enterkeyhint')).toBe('done')
      await number.focus()
      await page.keyboard.type(certNo)
      await page.keyboard.press('Enter')
      expect(await focusedId(page)).toBe(`cert-expiry-${who.id}`)
      // The expiry still empty: Enter there saves nothing either, and shows no complaint yet.
      await page.keyboard.press('Enter')
      await shot(page, `accounts-certificate-enter-${locale}`)
      expect(await submitted(page)).toEqual([])
      expect(await row.getByTestId('certificate-form').isVisible()).toBe(true)
      expect(await row.locator('.error').count()).toBe(0)
      expect((await stored()).certificate_number).toBeNull()
      await expiry.fill('2030-06-30')
      await expiry.press('Enter')
      expect(await submitted(page)).toEqual([])
      expect((await stored()).certificate_number).toBeNull()
      // The button saves it.
      await row.getByTestId('certificate-form').locator('button[type="submit"]').click()
      await page.getByTestId('row-done').waitFor()
      expect(await submitted(page)).toEqual(['certificate-form'])
      expect(await stored()).toMatchObject({ certificate_number: certNo, certificate_expiry: '2030-06-30' })

      // The new password: Enter (the last field, "done") sets nothing; the button does.
      await row.locator('button[aria-expanded]').nth(2).click()
      const pw = page.locator(`#pw-${who.id}`)
      expect(await pw.getAttribute('enterkeyhint')).toBe('done')
      await pw.focus()
      await page.keyboard.type('a-new-long-password')
      await page.keyboard.press('Enter')
      expect(await submitted(page)).toEqual(['certificate-form'])
      expect(await focusedId(page)).toBe(`pw-${who.id}`)
      expect((await stored()).password_hash).toBe(hashBefore)
      await row.getByTestId('password-form').locator('button[type="submit"]').click()
      await expect.poll(async () => (await stored()).password_hash).not.toBe(hashBefore)
      expect(await submitted(page)).toEqual(['certificate-form', 'password-form'])

      // Role, department, region: the department list has no collective names (各…).
      await row.locator('button[aria-expanded]').first().click()
      const departments = await row.getByTestId('edit-department').locator('option').allTextContents()
      expect(departments).toContain('省工商局')
      expect(departments.filter((d) => d.startsWith('各'))).toEqual([])
      expect(
        (await page.getByTestId('u-dept').locator('option').allTextContents()).filter((d) => d.startsWith('各')),
      ).toEqual([])
      await row.getByTestId('edit-form').scrollIntoViewIfNeeded()
      await shot(page, `accounts-edit-${locale}`)
      await context.close()
    })
  }
})

describe("the campaign form's task previews", () => {
  for (const locale of ['zh-CN', 'en'] as const) {
    it(`end in an ellipsis at 360 px and open whole on a tap; no collective departments offered (${locale})`, async () => {
      const { context, page } = await phone(locale, 'admin')
      await page.goto(`${server.url}/campaigns/new`)
      await page.getByTestId('campaign-form').waitFor()
      await page.getByTestId('c-tasks').fill('1, 28')
      const previews = page.getByTestId('task-preview')
      await expect.poll(() => previews.count()).toBe(2)
      await untilStill(page)
      await previews.first().scrollIntoViewIfNeeded()
      await shot(page, `campaign-task-previews-${locale}`)

      for (const [i, n] of [1, 28].entries()) {
        const text = realDataset.tasks.find((t) => t.number === n)!.text
        const preview = previews.nth(i)
        expect(await preview.getAttribute('title')).toBe(text)
        const look = await preview.locator('.preview-text').evaluate((el) => {
          const style = getComputedStyle(el)
          return {
            clamp: style.getPropertyValue('-webkit-line-clamp'),
            overflow: style.textOverflow,
            cut: el.scrollHeight > el.clientHeight + 1,
            lines: Math.round(el.clientHeight / parseFloat(style.lineHeight)),
          }
        })
        // Cut, two lines, with the ellipsis drawn.
        expect(look, `task ${n}`).toEqual({ clamp: '2', overflow: 'ellipsis', cut: true, lines: 2 })
        const box = (await preview.boundingBox())!
        expect(box.height).toBeGreaterThanOrEqual(44)
        expect(box.x + box.width).toBeLessThanOrEqual(360)
      }
      // A tap shows the whole text, nothing cut; the form stays, nothing submitted.
      await previews.first().click()
      expect(await previews.first().getAttribute('aria-expanded')).toBe('true')
      const cut = await previews
        .first()
        .locator('.preview-text')
        .evaluate((el) => el.scrollHeight > el.clientHeight + 1)
      expect(cut).toBe(false)
      expect(await submitted(page)).toEqual([])
      expect(new URL(page.url()).pathname).toBe('/campaigns/new')
      await shot(page, `campaign-task-preview-open-${locale}`)

      const owners = await page.locator('#c-owner option').allTextContents()
      expect(owners).toContain('省知识产权局')
      expect(owners.filter((d) => d.startsWith('各'))).toEqual([])
      const taking = await page.locator('fieldset').first().locator('label').allTextContents()
      expect(taking.map((d) => d.trim()).filter((d) => d.startsWith('各'))).toEqual([])
      await page.locator('fieldset').first().scrollIntoViewIfNeeded()
      await shot(page, `campaign-departments-${locale}`)
      await context.close()
    })
  }
})
