// @vitest-environment happy-dom
/**
 * "My records" stays complete once the phone lets old check-ins go: older ones are listed and opened from the real
 * server when online, and offline the pages say, in the user's language, where they are.
 */
import 'fake-indexeddb/auto'
import { mount } from '@vue/test-utils'
import { createPinia } from 'pinia'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { createMemoryHistory, RouterView } from 'vue-router'
import { db, type LocalCheckIn } from '../../src/db/db'
import { replaceDataset } from '../../src/db/dataset'
import { startSession } from '../../src/db/session'
import type { CheckIn } from '../../src/kernel/sync-schema'
import type { SessionUser } from '../../src/kernel/users'
import { i18n, setLocale } from '../../src/modules/i18n'
import { createAppRouter } from '../../src/router'
import { pusher } from '../helpers/integrity'
import { settle } from '../helpers/mount'
import { makeCheckIn } from '../helpers/records'
import { realDataset } from '../helpers/seed'
import { makeServer, signedIn, type TestServer } from '../helpers/server'
import { injectFetch } from '../helpers/sync'

const DAY = 86_400_000
const ago = (days: number) => new Date(Date.now() - days * DAY).toISOString()

let s: TestServer
let inspector: { user: SessionUser; cookie: string }
let oldest: CheckIn
let keptHere: CheckIn
let recent: CheckIn

beforeAll(async () => {
  s = await makeServer('sqlite')
  inspector = await signedIn(s)
  const me = inspector.user.id
  oldest = makeCheckIn({ authorId: me, venueName: '四年前的市场', occurredAt: ago(400), createdAt: ago(400) })
  keptHere = makeCheckIn({ authorId: me, venueName: '本机仍保存的市场', occurredAt: ago(300), createdAt: ago(300) })
  recent = makeCheckIn({ authorId: me, venueName: '上周的市场', occurredAt: ago(7), createdAt: ago(7) })
  const push = pusher(
    () => s,
    () => inspector,
  ).push
  const pushed = await push([oldest, keptHere, recent].map((args) => ({ name: 'checkin.create', args })))
  expect(pushed.status).toBe(200)
}, 60_000)
afterAll(() => s.close())
afterEach(async () => {
  vi.unstubAllGlobals()
  vi.restoreAllMocks()
  await setLocale('zh-CN')
  await Promise.all(db.tables.map((t) => t.clear()))
})

/** What the phone holds: the recent check-in and one older one it keeps (say, a correction is being written). */
async function phone(online: boolean) {
  vi.stubGlobal('fetch', injectFetch(s.app, inspector.cookie))
  vi.spyOn(navigator, 'onLine', 'get').mockReturnValue(online)
  await startSession(db, inspector.user, '2099-01-01T00:00:00Z')
  await replaceDataset(db, realDataset)
  const row = (c: CheckIn): LocalCheckIn => ({
    id: c.id,
    data: c,
    taskNumbers: c.taskNumbers,
    hash: 'h',
    state: 'verified',
    origin: 'mine',
    savedAt: Date.parse(c.occurredAt),
  })
  await db.checkins.bulkPut([row(recent), row(keptHere)])
}

async function open(path: string) {
  const router = createAppRouter(createMemoryHistory())
  await router.push(path)
  await router.isReady()
  const wrapper = mount(RouterView, { global: { plugins: [createPinia(), router, i18n] } })
  await settle()
  return wrapper
}

describe('older records, from the server', () => {
  it('lists the older check-ins the phone does not hold after its own, and opens one', async () => {
    await phone(true)
    const records = await open('/records')
    expect(records.get('[data-testid="checkin-list"]').text()).toContain('上周的市场')
    await vi.waitFor(() => expect(records.findAll('[data-testid="older-list"] li')).toHaveLength(1))
    const item = records.get('[data-testid="older-list"] li')
    expect(item.text()).toContain('四年前的市场')
    expect(item.get('a').attributes('href')).toBe(`/checkins/${oldest.id}`)
    expect(records.find('[data-testid="older-more"]').exists()).toBe(false)
    records.unmount()

    const page = await open(`/checkins/${oldest.id}`)
    await vi.waitFor(() => expect(page.find('[data-testid="checkin-page"]').exists()).toBe(true))
    expect(page.get('[data-testid="checkin-page"]').attributes('data-source')).toBe('server')
    expect(page.get('h1').text()).toBe('四年前的市场')
    expect(page.get('[data-testid="checkin-from-server"]').text()).toContain('本机不保存')
    expect(page.find('[data-testid="correct"]').exists()).toBe(false)
    page.unmount()
  })

  it('offline, says the older ones are on the server and need a connection, in the user’s language', async () => {
    await phone(false)
    const records = await open('/records')
    expect(records.get('[data-testid="older-offline"]').text()).toBe(
      '180 天以前的巡查登记保存在服务器上：连接网络后即可查看。',
    )
    expect(records.find('[data-testid="older-list"]').exists()).toBe(false)
    records.unmount()
    const page = await open(`/checkins/${oldest.id}`)
    expect(page.get('[data-testid="checkin-older-offline"]').text()).toContain('180 天以前的巡查登记')
    page.unmount()

    await setLocale('en')
    const en = await open(`/checkins/${oldest.id}`)
    expect(en.get('[data-testid="checkin-older-offline"]').text()).toContain(
      'check-ins older than 180 days, and other people’s, are kept on the server',
    )
    en.unmount()
  })
})
