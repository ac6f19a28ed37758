// @vitest-environment happy-dom
import 'fake-indexeddb/auto'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { ApiError } from '../../src/api/http'
import { db } from '../../src/db/db'
import { syncMeta } from '../../src/db/outbox'
import { saveCheckIn } from '../../src/db/records'
import { setLocale } from '../../src/modules/i18n'
import { useCampaignsStore } from '../../src/stores/campaigns'
import { syncProblemOf, useSyncStore } from '../../src/stores/sync'
import { mountAt, settle } from '../helpers/mount'
import { makeCheckIn, NO_AUTHOR } from '../helpers/records'

async function signedIn() {
  await db.checkins.clear()
  await db.outbox.clear()
  await db.session.put({
    key: 'me',
    user: { id: NO_AUTHOR, username: 'wang', displayName: '王', department: '省知识产权局', role: 'inspector' },
    expiresAt: '2099-01-01T00:00:00Z',
  })
}

describe('the sync panel after a server bug', () => {
  it('names a 500 as the server’s unexpected error, apart from a temporary failure or no network', () => {
    expect(syncProblemOf(new ApiError(500, { error: 'internal' }))).toBe('internal')
    expect(syncProblemOf(new ApiError(503, { error: 'unavailable' }, 2))).toBe('server')
    expect(syncProblemOf(new ApiError(502))).toBe('server')
    expect(syncProblemOf(new TypeError('Failed to fetch'))).toBe('offline')
  })

  it('says so in the inspector’s language, with when it tries again', async () => {
    await signedIn()
    await saveCheckIn(db, makeCheckIn({ venueName: '东门市场' }))
    const { wrapper } = await mountAt('/records')
    const sync = useSyncStore()
    sync.problem = 'internal'
    sync.nextAttemptAt = Date.now() + 5 * 60_000
    await settle()
    const panel = () => wrapper.get('[data-testid="sync-panel"]').text()
    expect(panel()).toContain('服务器出现意外错误（已记录，供管理员排查）。')
    expect(panel()).toContain('下次尝试')
    await setLocale('en')
    await settle()
    expect(panel()).toContain('The server hit an unexpected error (it has been logged for its administrators).')
    expect(panel()).toContain('Next try')
    await setLocale('zh-CN')
  })
})

describe('the sync panel, part by part', () => {
  it('shows no records problem once every record is on the server, and names the campaign list’s own', async () => {
    await signedIn()
    const { wrapper } = await mountAt('/records')
    const sync = useSyncStore()
    // What a run leaves when the records went up and the campaign list then timed out on a weak link.
    sync.problem = 'offline'
    sync.campaignsProblem = 'offline'
    await settle()
    const panel = () => wrapper.get('[data-testid="sync-panel"]').text()
    expect(wrapper.get('[data-testid="unsent-count"]').text()).toBe('所有记录都已上传到服务器')
    expect(panel()).not.toContain('连不上服务器')
    expect(wrapper.get('[data-testid="part-campaigns"]').text()).toBe('专项行动列表：未能更新：网络不通或太慢')
    await setLocale('en')
    await settle()
    expect(panel()).not.toContain("can't be reached")
    expect(wrapper.get('[data-testid="part-campaigns"]').text()).toBe('Campaigns:Not updated (network)')
    await setLocale('zh-CN')
  })

  it('signed out: says recording needs signing in, with no count and no sync button', async () => {
    await db.session.clear()
    await db.checkins.clear()
    await db.outbox.clear()
    const { wrapper } = await mountAt('/records')
    expect(wrapper.find('[data-testid="sync-panel"]').exists()).toBe(false)
    expect(wrapper.find('[data-testid="sync-now"]').exists()).toBe(false)
    expect(wrapper.get('[data-testid="sign-in-needed"]').text()).toContain('记录巡查和笔记需要先登录。')
    expect(wrapper.text()).not.toContain('所有记录都已上传到服务器')
  })
})

describe('the sync panel after a reload', () => {
  afterEach(() => {
    vi.useRealTimers()
    vi.unstubAllGlobals()
  })

  it('says when the campaign list on the phone last came down, not "not yet"', async () => {
    await signedIn()
    await db.campaigns.clear()
    await syncMeta(db)
    // A sync while online: the campaign list comes down.
    vi.stubGlobal('fetch', async () => Response.json({ campaigns: [] }))
    setActivePinia(createPinia())
    await useCampaignsStore().refresh()
    vi.unstubAllGlobals()

    // The app starts again (offline, nothing in memory): a new store, the same IndexedDB.
    const { wrapper } = await mountAt('/records')
    const part = () => wrapper.get('[data-testid="part-campaigns"]').text()
    expect(part()).toMatch(/^专项行动列表：已更新（.+）$/)
    await setLocale('en')
    await settle()
    expect(part()).toMatch(/^Campaigns:Updated .+/)
    await setLocale('zh-CN')
  })

  it('says a record saved under a minute ago was saved just now, then how long as time goes by', async () => {
    vi.useFakeTimers({ toFake: ['Date', 'setInterval', 'clearInterval'] })
    vi.setSystemTime(new Date('2026-11-28T08:00:00Z'))
    await signedIn()
    await saveCheckIn(db, makeCheckIn({ venueName: '东门市场' }))
    vi.setSystemTime(new Date('2026-11-28T08:00:20Z'))
    const { wrapper } = await mountAt('/records')
    const oldest = () => wrapper.get('[data-testid="unsent-count"] .muted').text()
    expect(oldest()).toBe('· 最早的一条刚刚保存在本机')
    await setLocale('en')
    await settle()
    expect(oldest()).toBe('· the oldest was saved on this phone just now')
    // The panel stays open: what it says follows the clock, not the moment it was painted.
    vi.advanceTimersByTime(25 * 60_000)
    await settle()
    expect(oldest()).toBe('· the oldest has been only on this phone for 25 minutes')
    await setLocale('zh-CN')
    await settle()
    expect(oldest()).toBe('· 最早的一条已在本机保存 25分钟')
  })
})
