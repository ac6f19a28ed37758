// @vitest-environment happy-dom
import 'fake-indexeddb/auto'
import { describe, expect, it } from 'vitest'
import { ApiError } from '../../src/api/http'
import { setLocale } from '../../src/modules/i18n'
import { syncProblemOf, useSyncStore } from '../../src/stores/sync'
import { mountAt, settle } from '../helpers/mount'

describe('the sync panel after a server bug', () => {
  it('names a 500 as the server’s unexpected error, apart from a temporary failure or no network', () => {
    expect(syncProblemOf(new ApiError(500, { error: 'internal' }))).toBe('internal')
    expect(syncProblemOf(new ApiError(503, { error: 'unavailable' }, 2))).toBe('server')
    expect(syncProblemOf(new ApiError(502))).toBe('server')
    expect(syncProblemOf(new TypeError('Failed to fetch'))).toBe('offline')
  })

  it('says so in the inspector’s language, with when it tries again', async () => {
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
