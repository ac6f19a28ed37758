// @vitest-environment happy-dom
import 'fake-indexeddb/auto'
import { afterEach, describe, expect, it } from 'vitest'
import { db } from '../../src/db/db'
import { saveCheckIn } from '../../src/db/records'
import { guangdongDateTime } from '../../src/kernel/guangdong-time'
import { i18n, setLocale } from '../../src/modules/i18n'
import { mountAt, settle } from '../helpers/mount'
import { makeCheckIn, NO_AUTHOR } from '../helpers/records'

async function signedIn() {
  await db.checkins.clear()
  await db.outbox.clear()
  await db.session.put({
    key: 'me',
    user: { id: NO_AUTHOR, username: 'wang', displayName: '王小明', department: '省知识产权局', role: 'inspector' },
    expiresAt: '2099-01-01T00:00:00Z',
  })
}

afterEach(async () => {
  await setLocale('zh-CN')
})

describe('counts in English read right at one and at many', () => {
  it('picks the singular and the plural from the precompiled messages', async () => {
    await setLocale('en')
    const { t } = i18n.global
    const forms = (key: string, named: Record<string, unknown> = {}) =>
      [1, 2, 0].map((n) => t(key, { ...named, n, gaps: n, total: 160 }, n))
    expect(forms('sync.unsent')).toEqual([
      '1 record not yet on the server',
      '2 records not yet on the server',
      '0 records not yet on the server',
    ])
    expect(forms('home.taskCount')).toEqual(['1 task', '2 tasks', '0 tasks'])
    expect(forms('audit.count')).toEqual(['1 entry', '2 entries', '0 entries'])
    expect(forms('parked.entry', { name: '王' })).toEqual([
      '王: 1 unsent record',
      '王: 2 unsent records',
      '王: 0 unsent records',
    ])
    expect(forms('coverage.summary')[0]).toBe('1 of 160 tasks has no field work yet.')
    expect(forms('coverage.summary')[1]).toBe('2 of 160 tasks have no field work yet.')
    expect(forms('coverage.peopleCount')).toEqual(['1 person', '2 people', '0 people'])
    expect(forms('import.unsigned')[0]).toMatch(/^1 of them has no signature .* is marked unsigned\.$/)
    expect(forms('account.keptUnsent')[0]).toMatch(/1 unsent record is exported and stays on this phone; it goes up/)
    // Messages whose call sites name the count `n` or `count`, which vue-i18n takes as the plural choice.
    expect(t('inspection.photos', { n: 1 })).toBe('1 photo (from the check-in, with its SHA-256)')
    expect(t('inspection.photos', { n: 3 })).toBe('3 photos (from the check-in, with their SHA-256)')
    expect(t('inspection.blocker.two_certified', { count: 1 })).toMatch(/; there is 1\.$/)
    expect(t('inspection.blocker.two_certified', { count: 0 })).toMatch(/; there are 0\.$/)
    expect(t('campaign.requireTwoCertifiedMissing', { n: 1 })).toBe('1 check-in lacks two certified inspectors')
    expect(t('campaign.droppedInspectors', { n: 1 })).toMatch(/^1 inspector’s account was disabled/)
    expect(t('checkin.coInspectorTwoCertified', { n: 1 })).toMatch(/; there is 1 \(you included\)/)
    expect(forms('task.checkInCount')).toEqual([
      '1 check-in of mine for this task',
      '2 check-ins of mine for this task',
      '0 check-ins of mine for this task',
    ])
  })

  it('says “1 record” in the sync panel', async () => {
    await signedIn()
    await saveCheckIn(db, makeCheckIn({ venueName: '东门市场' }))
    await setLocale('en')
    const { wrapper } = await mountAt('/records')
    await settle()
    expect(wrapper.get('[data-testid="sync-panel"]').text()).toContain('1 record not yet on the server')
    expect(wrapper.get('[data-testid="sync-panel"]').text()).not.toContain('1 records')
    await saveCheckIn(db, makeCheckIn({ venueName: '西门市场' }))
    await settle()
    expect(wrapper.get('[data-testid="sync-panel"]').text()).toContain('2 records not yet on the server')
  })
})

describe('department names and section titles in the English interface', () => {
  it('names the departments in English on the task page, and keeps the task text as the source wrote it', async () => {
    await setLocale('en')
    const { wrapper } = await mountAt('/tasks/153')
    const rows = wrapper
      .findAll('[data-testid="task-department"]')
      .map((r) => `${r.get('.role').text()} ${r.get('.grow').text()}`)
    expect(rows[0]).toBe('Lead Guangdong Intellectual Property Office')
    expect(rows.join()).not.toMatch(/[\u4e00-\u9fff]{2}/)
    // The link still names the department as the data does.
    expect(wrapper.get('[data-testid="task-department"]').attributes('href')).toBe(
      `/departments/${encodeURIComponent('省知识产权局')}`,
    )
    expect(wrapper.get('[data-testid="task-text"]').text()).toMatch(/^加强粤港澳台知识产权合作交流/)
    // The section link stays as the source wrote it, as the server paints it on a first visit (no shift).
    expect(wrapper.get('a[href^="/sections/"]').text()).toMatch(/^（[一二三四五六七八九]）[\u4e00-\u9fff]/)
  })

  it('names sections and a bookmarked task’s departments in English on Home', async () => {
    await db.bookmarks.clear()
    await db.bookmarks.put({ taskNumber: 153, createdAt: Date.now() } as never)
    await setLocale('en')
    const { wrapper } = await mountAt('/')
    const bookmarked = wrapper.get('[data-testid="bookmark-list"]').text()
    expect(bookmarked).toContain('Guangdong Intellectual Property Office')
    expect(bookmarked).not.toContain('省知识产权局')
    expect(bookmarked).toContain('加强粤港澳台知识产权合作交流') // the task text as the source wrote it
    const sections = wrapper.get('[data-testid="section-list"]').text()
    expect(sections).toContain(i18n.global.t('plan.sections.s1'))
    await db.bookmarks.clear()
  })

  it('names the account’s department in English in Settings', async () => {
    await signedIn()
    await setLocale('en')
    const { wrapper } = await mountAt('/settings')
    const account = wrapper.get('[data-testid="account"]').text()
    expect(account).toContain('王小明 · Guangdong Intellectual Property Office · ')
    expect(account).not.toContain('省知识产权局')
    await setLocale('zh-CN')
    await settle()
    expect(wrapper.get('[data-testid="account"]').text()).toContain('王小明 · 省知识产权局 · ')
  })
})

describe('the build time in Settings', () => {
  it('is shown in Guangdong’s time (UTC+8), like every other time', async () => {
    const { wrapper } = await mountAt('/settings')
    expect(__APP_BUILD__).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$/)
    const inGuangdong = guangdongDateTime(`${__APP_BUILD__.replace(' ', 'T')}:00Z`)
    expect(wrapper.get('[data-testid="app-build"]').text()).toBe(`版本：${inGuangdong}`)
  })
})
