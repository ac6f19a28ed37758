// @vitest-environment happy-dom
/**
 * An admin's or a supervisor's phone holds its user's own records only: another's check-in opens from the server,
 * with what its page shows on a phone that holds it — the review, the signed 现场检查笔录, the corrections.
 */
import 'fake-indexeddb/auto'
import { mount } from '@vue/test-utils'
import { createPinia } from 'pinia'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { createMemoryHistory, RouterView } from 'vue-router'
import { db } from '../../src/db/db'
import { replaceDataset } from '../../src/db/dataset'
import { startSession } from '../../src/db/session'
import type { CheckIn } from '../../src/kernel/sync-schema'
import type { SessionUser } from '../../src/kernel/users'
import { i18n, setLocale } from '../../src/modules/i18n'
import { createAppRouter } from '../../src/router'
import { makeInspection, pusher } from '../helpers/integrity'
import { settle } from '../helpers/mount'
import { makeCheckIn } from '../helpers/records'
import { realDataset } from '../helpers/seed'
import { makeServer, signedIn, type TestServer } from '../helpers/server'
import { injectFetch } from '../helpers/sync'

type Who = { user: SessionUser; cookie: string }
let s: TestServer
let inspector: Who
let admin: Who
let returned: CheckIn
let correction: CheckIn
let inspectionId: string
let inspectionFixId: string

beforeAll(async () => {
  s = await makeServer('sqlite')
  inspector = await signedIn(s, 'inspector', '省知识产权局')
  admin = await signedIn(s, 'admin', '省知识产权局')
  const me = inspector.user.id
  returned = makeCheckIn({ authorId: me, venueName: '被退回的市场' })
  const record = makeInspection({ authorId: me, checkInId: returned.id })
  inspectionId = record.id
  const fix = makeInspection({
    authorId: me,
    checkInId: returned.id,
    correctionOf: record.id,
    signedAt: '2026-11-21T03:12:00.000Z',
  })
  inspectionFixId = fix.id
  const push = pusher(
    () => s,
    () => inspector,
  ).push
  const first = await push([
    { name: 'checkin.create', args: returned },
    { name: 'inspection.create', args: record },
    { name: 'inspection.create', args: fix },
  ])
  expect(first.body.results.map((r) => r.status)).toEqual(['applied', 'applied', 'applied'])
  const review = await s.app.inject({
    method: 'POST',
    url: `/api/checkins/${returned.id}/review`,
    headers: { cookie: admin.cookie },
    payload: { action: 'returned', comment: '请补拍展位全景照片。' },
  })
  expect(review.statusCode, review.body).toBe(200)
  correction = makeCheckIn({ authorId: me, venueName: '更正后的市场', correctionOf: returned.id })
  expect((await push([{ name: 'checkin.create', args: correction }])).status).toBe(200)
}, 60_000)
afterAll(() => s.close())
afterEach(async () => {
  vi.unstubAllGlobals()
  vi.restoreAllMocks()
  await setLocale('zh-CN')
  await Promise.all(db.tables.map((t) => t.clear()))
})

async function open(who: Who, path: string) {
  vi.stubGlobal('fetch', injectFetch(s.app, who.cookie))
  vi.spyOn(navigator, 'onLine', 'get').mockReturnValue(true)
  await startSession(db, who.user, '2099-01-01T00:00:00Z')
  await replaceDataset(db, realDataset)
  const router = createAppRouter(createMemoryHistory())
  await router.push(path)
  await router.isReady()
  const wrapper = mount(RouterView, { global: { plugins: [createPinia(), router, i18n] } })
  await settle()
  return wrapper
}

describe('another’s check-in, opened from the server', () => {
  it('shows an admin its review, its signed record and its corrections, as a phone holding it would', async () => {
    const page = await open(admin, `/checkins/${returned.id}`)
    await vi.waitFor(() => expect(page.find('[data-testid="checkin-corrections"]').exists()).toBe(true))
    expect(page.get('[data-testid="checkin-page"]').attributes('data-source')).toBe('server')
    const review = page.get('[data-testid="checkin-review"]')
    expect(review.attributes('data-action')).toBe('returned')
    expect(review.get('[data-testid="review-comment"]').text()).toBe('请补拍展位全景照片。')
    // Not the admin's to correct, and not from a copy the phone does not hold.
    expect(page.find('[data-testid="review-correct"]').exists()).toBe(false)
    // The signed record shown is the last signed: the correction.
    expect(page.get('[data-testid="inspection-view"]').attributes('href')).toBe(`/inspections/${inspectionFixId}`)
    expect(page.find('[data-testid="inspection-make"]').exists()).toBe(false)
    const fixes = page.get('[data-testid="checkin-corrections"]')
    expect(fixes.text()).toContain('更正后的市场')
    expect(fixes.get('a').attributes('href')).toBe(`/checkins/${correction.id}`)
    page.unmount()
  })

  it('shows an admin an inspection record from the server with the record that corrects it', async () => {
    const page = await open(admin, `/inspections/${inspectionId}`)
    await vi.waitFor(() => expect(page.find(`a[href="/inspections/${inspectionFixId}"]`).exists()).toBe(true))
    page.unmount()
  })
})
