/**
 * Issue 11's "Done means", end to end in Chromium at 360 px: two inspectors with certificates in a campaign that
 * requires two certified inspectors; the lead syncs, goes offline, finds the party by its pinyin initials,
 * checks in under the campaign with the co-inspector and a photo, writes the 现场检查笔录, both inspectors and
 * the party sign by drawing, and signs; a reload with no signal shows it intact and locked; back online it
 * reaches the server; the supervisor sees the check-in with "two certified inspectors" satisfied, downloads the
 * evidence package, and `npm run verify-package` passes on it and fails, naming the file, once one byte of the
 * photo is changed.
 */
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { unzipSync, zipSync } from 'fflate'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createUser } from '../../server/auth/accounts'
import type { Campaign } from '../../src/kernel/campaign-schema'
import { guangdongDay } from '../../src/kernel/guangdong-time'
import { countIn, launchChromium, type RunningServer, startServer } from '../helpers/browser'
import { sha256 } from '../helpers/records'
import { realDataset } from '../helpers/seed'

const run = promisify(execFile)
const PASSWORD = 'e2e-password-long'
const DEPARTMENT = '省知识产权局'
const departments = new Set(realDataset.departments.map((d) => d.name))
const PARTY = '东莞市新星电子商行'
const CAMPAIGN = '广交会知识产权保护专项'
const VENUE = '广交会展馆 B 区 9.1D'
const FINDINGS = '展位陈列蓝牙耳机，外包装标注的商标与权利人注册商标近似，当事人未能提供授权文件。'
const today = guangdongDay(new Date().toISOString())
const inAMonth = guangdongDay(new Date(Date.now() + 30 * 86_400_000).toISOString())

let browser: Browser
let server: RunningServer
let lead: { context: BrowserContext; page: Page }
let boss: { context: BrowserContext; page: Page }
let dir: string
let campaign: Campaign
const users: Record<string, { id: string; username: string }> = {}
const dialogs: string[] = []

async function person(
  key: string,
  displayName: string,
  role: 'inspector' | 'supervisor',
  cert?: { number: string; expiry: string },
) {
  const username = `e2e.${key}.${Math.random().toString(36).slice(2, 7)}`
  const user = await createUser(server.store.db, departments, {
    username,
    displayName,
    department: DEPARTMENT,
    role,
    password: PASSWORD,
    ...(cert ? { certificateNumber: cert.number, certificateExpiry: cert.expiry } : {}),
  })
  users[key] = { id: user.id, username }
}

async function cookieOf(key: string): Promise<string> {
  const res = await server.app.inject({
    method: 'POST',
    url: '/api/auth/login',
    payload: { username: users[key]!.username, password: PASSWORD },
  })
  return String(res.headers['set-cookie']).split(';')[0]!
}

async function phone(): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({
    viewport: { width: 360, height: 740 },
    locale: 'zh-CN',
    acceptDownloads: true,
  })
  const page = await context.newPage()
  page.on('dialog', (d) => {
    dialogs.push(d.message())
    void d.dismiss()
  })
  return { context, page }
}

async function signIn(page: Page, key: string) {
  await page.goto(`${server.url}/signin`)
  await page.getByLabel('用户名').fill(users[key]!.username)
  await page.getByLabel('密码').fill(PASSWORD)
  await page.getByTestId('sign-in-submit').click()
  await page.waitForURL((u) => !u.pathname.startsWith('/signin'))
}

/** Signs on the open pad with the mouse, a zigzag across it (each signer's own), and hands it over. */
async function drawSignature(page: Page, hand: number) {
  const canvas = page.getByTestId('signature-canvas')
  await canvas.scrollIntoViewIfNeeded()
  const box = (await canvas.boundingBox())!
  await page.mouse.move(box.x + 20, box.y + box.height / 2)
  await page.mouse.down()
  for (let i = 1; i <= 10 + hand; i++)
    await page.mouse.move(
      box.x + 20 + i * ((box.width - 40) / (10 + hand)),
      box.y + box.height / 2 + (i % 2 ? -1 : 1) * (12 + hand * 9),
    )
  await page.mouse.up()
  await page.getByRole('button', { name: '完成签名' }).click()
  await page.getByTestId('insp-pad').waitFor({ state: 'detached' })
}

/** `npm run verify-package -- …`: its exit code and everything it printed. */
const verifyPackage = (...args: string[]) =>
  run('npm', ['run', '--silent', 'verify-package', '--', ...args], { timeout: 90_000 }).then(
    ({ stdout, stderr }) => ({ code: 0, out: stdout + stderr }),
    (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, out: err.stdout + err.stderr }),
  )

beforeAll(async () => {
  server = await startServer()
  dir = mkdtempSync(join(tmpdir(), 'zhixun-record-'))
  await person('lead', '李明', 'inspector', { number: '粤执 440100-1001', expiry: '2035-12-31' })
  await person('co', '王芳', 'inspector', { number: '粤执 440100-1002', expiry: '2035-12-31' })
  await person('boss', '周主管', 'supervisor')

  // The supervisor plans the campaign (two certified inspectors required) and files the party under it.
  const supervisorCookie = await cookieOf('boss')
  const made = await server.app.inject({
    method: 'POST',
    url: '/api/campaigns',
    headers: { cookie: supervisorCookie },
    payload: {
      name: CAMPAIGN,
      description: '',
      taskNumbers: [28],
      departments: [DEPARTMENT],
      inspectorIds: [users.lead!.id, users.co!.id],
      startDate: today,
      endDate: inAMonth,
      venues: [],
      requireTwoCertified: true,
    },
  })
  expect(made.statusCode, made.body).toBe(201)
  campaign = made.json().campaign as Campaign
  const party = await server.app.inject({
    method: 'POST',
    url: '/api/parties',
    headers: { cookie: supervisorCookie },
    payload: {
      id: '01a2b000-0000-7000-8000-0000000011e1',
      name: PARTY,
      creditCode: '914403001922038216',
      address: '东莞市长安镇振安路 8 号',
      personPresent: '陈先生',
      personRole: '店长',
      phone: '13800000000',
      campaignId: campaign.id,
    },
  })
  expect(party.statusCode, party.body).toBe(201)

  browser = await launchChromium()
  lead = await phone()
  boss = await phone()
}, 120_000)
afterAll(async () => {
  await browser?.close()
  await server?.app.close()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

describe('the on-site inspection record that stands up in review', () => {
  let checkInId: string

  it('the lead syncs, goes offline, finds the party by pinyin initials and checks in with the co-inspector', async () => {
    const { page, context } = lead
    await page.goto(server.url)
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, { timeout: 20_000 })
    await signIn(page, 'lead')
    // What the phone needs offline comes down with sync: the campaign, the party, the colleagues.
    await page.goto(`${server.url}/campaigns`)
    await expect.poll(() => page.getByTestId('campaign-list').textContent(), { timeout: 20_000 }).toContain(CAMPAIGN)
    await page.goto(`${server.url}/parties`)
    await expect
      .poll(() => page.getByTestId('parties-item').allTextContents(), { timeout: 20_000 })
      .toEqual([expect.stringContaining(PARTY)])
    await expect.poll(() => countIn(page, 'colleagues'), { timeout: 20_000 }).toBeGreaterThanOrEqual(2)

    await context.setOffline(true)
    await page.goto(`${server.url}/checkins/new`)
    await page.getByLabel('专项行动').selectOption({ label: CAMPAIGN })
    await page.getByLabel('场所名称').fill(VENUE)
    // Typed as an inspector types the initials of 东莞市新星电子商行.
    await page.getByLabel('查找当事人').pressSequentially('dgsxx')
    const results = page.getByTestId('party-result')
    await expect.poll(() => results.allTextContents()).toEqual([expect.stringContaining(PARTY)])
    await results.first().click()
    await expect.poll(() => page.getByTestId('party-chosen').textContent()).toContain(PARTY)

    // The co-inspector, with their certificate, picked from the colleagues kept on the phone.
    const wang = page.getByRole('checkbox', { name: /王芳/ })
    expect(await page.getByTestId('co-inspector').filter({ hasText: '王芳' }).textContent()).toContain(
      '粤执 440100-1002',
    )
    // Alone, the lead is one certified inspector short, and the form says so.
    await expect.poll(() => page.getByTestId('two-certified-warning').count()).toBe(1)
    await wang.check()
    await expect.poll(() => page.getByTestId('two-certified-warning').count()).toBe(0)

    await page.getByTestId('outcome-suspected').check()
    await page.getByTestId('photo-input').setInputFiles('public/icons/icon-192.png')
    await expect.poll(() => page.getByTestId('picker-thumb').count(), { timeout: 20_000 }).toBe(1)
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360)

    await page.getByTestId('save-checkin').click()
    const confirm = page.getByTestId('confirm-save')
    await page.getByTestId('checkin-page').or(confirm).waitFor()
    if (await confirm.isVisible()) await confirm.click()
    await page.getByTestId('checkin-page').waitFor()
    checkInId = page.url().split('/checkins/')[1]!
    await expect.poll(() => page.getByTestId('checkin-campaign').textContent()).toBe(CAMPAIGN)
  })

  it('offline: writes the 笔录, both inspectors and the party sign by drawing, and signs it', async () => {
    const { page } = lead
    await page.getByRole('link', { name: '制作现场检查笔录' }).click()
    await page.getByTestId('inspection-draft').waitFor()
    // Filled in from the check-in: the place, the party from the register, both inspectors with certificates.
    expect(await page.getByLabel('检查地点').inputValue()).toBe(VENUE)
    expect(await page.getByLabel('当事人名称').inputValue()).toBe(PARTY)
    expect(await page.getByLabel('现场负责人').inputValue()).toBe('陈先生')
    const people = (await page.getByTestId('insp-inspectors').textContent()) ?? ''
    expect(people).toContain('李明')
    expect(people).toContain('粤执 440100-1001')
    expect(people).toContain('王芳')
    expect(people).toContain('粤执 440100-1002')
    expect(await page.getByTestId('insp-inspectors').getByText('检查时执法证有效').count()).toBe(2)
    expect(await page.getByText('本专项行动要求至少两名持有效执法证的检查人员。').count()).toBe(1)
    await expect.poll(() => page.getByText('现场照片 1 张').count()).toBe(1)

    await page.getByLabel('检查情况').fill(FINDINGS)
    await page.getByRole('button', { name: '添加物品' }).click()
    await page.getByLabel('物品 1', { exact: true }).fill('蓝牙耳机')
    await page.getByLabel('数量（数字）', { exact: true }).fill('24')

    for (const [hand, who] of (['lead', 'co'] as const).entries()) {
      await page.getByTestId(`insp-sign-inspector-${users[who]!.id}`).click()
      await drawSignature(page, hand)
      await expect
        .poll(() => page.getByTestId(`insp-signer-${users[who]!.id}`).getAttribute('data-signed'))
        .toBe('true')
    }
    await page.getByTestId('insp-sign-party').click()
    await drawSignature(page, 2)
    await expect.poll(() => page.getByTestId('insp-signer-party').textContent()).toContain('已于')

    const sign = page.getByRole('button', { name: '签署并锁定' })
    await expect.poll(() => sign.isDisabled()).toBe(false)
    await sign.click()
    await expect.poll(() => page.getByTestId('inspection-locked').textContent()).toContain('签署并锁定，不能再修改')
    expect(await page.getByTestId('record-state').first().textContent()).toBe('待上传')
  })

  it('offline: a reload shows it intact and locked', async () => {
    const { page } = lead
    await page.reload()
    await page.getByTestId('inspection-signed').waitFor()
    expect(await page.getByTestId('inspection-locked').textContent()).toContain('不能再修改')
    // Nothing to edit or sign any more.
    expect(await page.getByTestId('inspection-draft').count()).toBe(0)
    expect(await page.locator('main input, main textarea, main select, main [contenteditable]').count()).toBe(0)
    expect(await page.getByRole('button', { name: '签署并锁定' }).count()).toBe(0)
    expect(await page.getByRole('button', { name: /^(签名|重新签名)$/ }).count()).toBe(0)
    // The record as signed, all of it.
    const doc = page.getByTestId('inspection-doc')
    await expect.poll(() => doc.getAttribute('data-measured')).toBe('true')
    const text = (await doc.textContent()) ?? ''
    for (const words of [
      PARTY,
      VENUE,
      FINDINGS,
      '蓝牙耳机',
      '24',
      '李明',
      '王芳',
      '粤执 440100-1001',
      '粤执 440100-1002',
    ])
      expect(text, words).toContain(words)
    const pages = await doc.getByTestId('doc-page').count()
    expect(await page.getByTestId('doc-page-number').first().textContent()).toContain(`共 ${pages} 页`)
    // Three drawn signatures on the page, shown from the phone.
    const strip = doc.getByTestId('doc-signature-strip').first().locator('img')
    await expect.poll(() => strip.count()).toBe(3)
    await expect
      .poll(() => strip.evaluateAll((imgs) => imgs.every((i) => (i as HTMLImageElement).naturalWidth > 0)))
      .toBe(true)
    expect(await page.getByTestId('record-state').first().textContent()).toBe('待上传')
  })

  it('back online, the check-in and the 笔录 reach the server and show so', async () => {
    const { page, context } = lead
    await context.setOffline(false)
    const state = page.getByTestId('record-state').first()
    await expect.poll(() => state.textContent(), { timeout: 40_000 }).toMatch(/^(已送达|服务器已核验)$/)
    await page.getByRole('link', { name: `巡查登记：${VENUE}` }).click()
    await page.getByTestId('checkin-page').waitFor()
    await expect
      .poll(() => page.getByTestId('record-state').first().textContent(), { timeout: 40_000 })
      .toMatch(/^(已送达|服务器已核验)$/)
    expect(await page.getByTestId('inspection-view').count()).toBe(1)
  }, 120_000)

  it('the supervisor sees it with two certified inspectors, and the evidence package checks out until a byte changes', async () => {
    const { page } = boss
    await signIn(page, 'boss')
    await page.goto(`${server.url}/campaigns`)
    await page.getByRole('link', { name: CAMPAIGN }).first().click()
    const item = page.getByTestId('report-checkin').filter({ hasText: VENUE })
    await expect.poll(() => item.count(), { timeout: 20_000 }).toBe(1)
    expect(await item.getByTestId('report-co-inspectors').textContent()).toContain('王芳')
    const flag = item.locator('[data-testid="report-flag"][data-flag="twoCertified"]')
    expect(await flag.textContent()).toContain('持证执法人员 2 名')
    expect(await flag.getAttribute('data-tone')).toBe('ok')
    expect(await item.getByTestId('report-inspection').textContent()).toMatch(/笔录 .+ 签署/)
    expect(await page.getByTestId('campaign-two-certified-missing').count()).toBe(0)

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      item.getByRole('link', { name: `下载证据包：${VENUE}` }).click(),
    ])
    expect(download.suggestedFilename()).toBe(`evidence-${checkInId}.zip`)
    const good = join(dir, download.suggestedFilename())
    await download.saveAs(good)
    const zip = new Uint8Array(readFileSync(good))
    const files = unzipSync(zip)
    const names = Object.keys(files)
    const photos = names.filter((n) => n.startsWith('photos/'))
    expect(photos).toHaveLength(1)
    const photo = photos[0]!
    // The signed record inside: the check-in's photo, and the three drawn signatures, each an image of its own.
    const record = JSON.parse(new TextDecoder().decode(files['record.json'])) as {
      checkIn: { data: { photos: { sha256: string }[] } }
      inspections: { data: { signatures: { role: string; sha256: string }[] } }[]
    }
    expect(record.inspections).toHaveLength(1)
    const signatures = record.inspections[0]!.data.signatures
    expect(signatures.map((x) => x.role).sort()).toEqual(['inspector', 'inspector', 'party'])
    expect(names.filter((n) => n.startsWith('signatures/')).sort()).toEqual(
      [...new Set(signatures.map((x) => `signatures/${x.sha256}.png`))].sort(),
    )
    expect(new Set(signatures.map((x) => x.sha256)).size).toBe(3)
    expect(photo).toMatch(new RegExp(`^photos/${record.checkIn.data.photos[0]!.sha256}\\.`))
    expect(photo.slice('photos/'.length).split('.')[0]).toBe(sha256(Buffer.from(files[photo]!)))

    const passed = await verifyPackage(good, '--server', server.url)
    expect(passed.code, passed.out).toBe(0)
    expect(passed.out).toContain(`the manifest was signed by the server key from ${server.url}`)
    expect(passed.out).not.toMatch(/^✗/m)

    // One byte of the photo changed, the package zipped again.
    const altered = { ...files, [photo]: files[photo]!.slice() }
    const at = Math.floor(altered[photo]!.length / 2)
    altered[photo]![at] = altered[photo]![at]! ^ 0x01
    const bad = join(dir, 'altered.zip')
    writeFileSync(bad, zipSync(altered))
    const failed = await verifyPackage(bad, '--server', server.url)
    expect(failed.code, failed.out).not.toBe(0)
    expect(failed.out).toMatch(new RegExp(`^✗ ${photo.replace(/\./g, '\\.')}: SHA-256`, 'm'))

    // The supervisor opens the signed record itself from the report, to read or print it: locked, as signed.
    await item.getByTestId('report-inspection-link').click()
    await page.getByTestId('inspection-signed').waitFor({ timeout: 20_000 })
    const doc = page.getByTestId('inspection-doc')
    await expect.poll(() => doc.getAttribute('data-measured')).toBe('true')
    expect(await doc.textContent()).toContain(PARTY)
    expect(await page.locator('[data-testid="inspection-signed"] input, textarea').count()).toBe(0)
    expect(dialogs).toEqual([])
  }, 180_000)
})
