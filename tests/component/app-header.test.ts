// @vitest-environment happy-dom
import 'fake-indexeddb/auto'
import { mount } from '@vue/test-utils'
import { createPinia } from 'pinia'
import { afterEach, describe, expect, it } from 'vitest'
import { createMemoryHistory } from 'vue-router'
import AppHeader from '../../src/components/app/AppHeader.vue'
import { db } from '../../src/db/db'
import { saveCheckIn } from '../../src/db/records'
import { i18n, setLocale } from '../../src/modules/i18n'
import { createAppRouter } from '../../src/router'
import { settle } from '../helpers/mount'
import { makeCheckIn, NO_AUTHOR } from '../helpers/records'

/*
 * The header's sync link is named by what it shows, after what it is: a label of its own ("同步状态") would stand
 * in for its words, and a screen reader would never say "离线" or "1 条未上传".
 */

afterEach(async () => {
  Object.defineProperty(navigator, 'onLine', { value: true, configurable: true })
  await setLocale('zh-CN')
  await Promise.all([db.checkins.clear(), db.outbox.clear(), db.session.clear()])
})

async function header(locale: 'zh-CN' | 'en') {
  await db.session.put({
    key: 'me',
    user: { id: NO_AUTHOR, username: 'wang', displayName: '王', department: '省知识产权局', role: 'inspector' },
    expiresAt: '2099-01-01T00:00:00Z',
  })
  await saveCheckIn(db, makeCheckIn({ venueName: '东门市场' }))
  Object.defineProperty(navigator, 'onLine', { value: false, configurable: true })
  await setLocale(locale)
  const router = createAppRouter(createMemoryHistory())
  await router.push('/')
  const wrapper = mount(AppHeader, { global: { plugins: [createPinia(), router, i18n] } })
  await settle()
  return wrapper
}

describe("the header's sync link", () => {
  for (const [locale, name] of [
    ['zh-CN', '同步状态： 离线 1 条未上传 · 尚未同步'],
    ['en', 'Sync status: Offline 1 unsent · never synced'],
  ] as const) {
    it(`is named by the status and the unsent count it shows (${locale})`, async () => {
      const wrapper = await header(locale)
      const link = wrapper.get('a.sync')
      expect(link.attributes('aria-label')).toBeUndefined()
      // Its name, as a browser puts it together from the parts it names.
      const parts = link.attributes('aria-labelledby')!.split(' ')
      const text = (id: string) => link.element.querySelector(`[id="${id}"]`)!.textContent!.replace(/\s+/g, ' ').trim()
      expect(parts.map(text).join(' ')).toBe(name)
      wrapper.unmount()
    })
  }
})
