// @vitest-environment happy-dom
import 'fake-indexeddb/auto'
import { describe, expect, it } from 'vitest'
import { db } from '../../src/db/db'
import { saveCheckIn } from '../../src/db/records'
import { setLocale } from '../../src/modules/i18n'
import { makeCheckIn, NO_AUTHOR } from '../helpers/records'
import { mountAt } from '../helpers/mount'

describe('records on the phone', () => {
  it('shows a rejected check-in with the reason in the inspector language, and offers a correction', async () => {
    const checkIn = makeCheckIn({ venueName: '<script>alert(1)</script>\u202E市场', taskNumbers: [999] })
    await saveCheckIn(db, checkIn)
    await db.checkins.update(checkIn.id, {
      state: 'rejected',
      code: 'unknown_task',
      detail: '999',
      reason: 'unknown task 999',
    })
    const { wrapper } = await mountAt(`/checkins/${checkIn.id}`)
    expect(wrapper.get('[data-testid="record-state"]').text()).toBe('被拒收')
    expect(wrapper.get('[data-testid="reject-reason"]').text()).toBe('任务 999 不存在。')
    expect(wrapper.get('h1').text()).toBe('<script>alert(1)</script>\u202E市场')
    expect(wrapper.find('script').exists()).toBe(false)
    expect(wrapper.get('[data-testid="correct"]').attributes('href')).toBe(`/checkins/new?correct=${checkIn.id}`)
    await setLocale('en')
    const en = await mountAt(`/checkins/${checkIn.id}`)
    expect(en.wrapper.get('[data-testid="reject-reason"]').text()).toBe('There is no task 999.')
    await setLocale('zh-CN')
  })

  it('lists my check-ins with their state, and how many are not yet on the server', async () => {
    await db.checkins.clear()
    await db.outbox.clear()
    await saveCheckIn(db, makeCheckIn({ venueName: '东门市场' }))
    const { wrapper } = await mountAt('/records')
    expect(wrapper.get('[data-testid="unsent-count"]').text()).toContain('1 条记录尚未上传到服务器')
    const rows = wrapper.findAll('[data-testid="checkin-list"] li')
    expect(rows).toHaveLength(1)
    expect(rows[0]!.text()).toContain('东门市场')
    expect(rows[0]!.get('[data-testid="record-state"]').text()).toBe('待上传')
  })
})

describe('an expired session', () => {
  it('asks the inspector to sign in again and keeps every unsent record', async () => {
    await db.checkins.clear()
    await db.outbox.clear()
    await db.session.put({
      key: 'me',
      user: { id: NO_AUTHOR, username: 'wang', displayName: '王', department: '省知识产权局', role: 'inspector' },
      expiresAt: '2099-01-01T00:00:00Z',
      expired: true,
    })
    await saveCheckIn(db, makeCheckIn({ venueName: '西门市场' }))
    const { wrapper } = await mountAt('/records')
    expect(wrapper.get('[data-testid="sync-panel"]').text()).toContain('登录已过期，请重新登录后继续上传。')
    expect(wrapper.get('[data-testid="unsent-count"]').text()).toContain('1 条记录尚未上传到服务器')
    expect(wrapper.get('[data-testid="checkin-list"]').text()).toContain('西门市场')
    await db.session.clear()
  })
})
