// @vitest-environment happy-dom
import 'fake-indexeddb/auto'
import { mount } from '@vue/test-utils'
import { createPinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createMemoryHistory, RouterView } from 'vue-router'
import { useBookmark } from '../../src/composables/useBookmarks'
import { db } from '../../src/db/db'
import { replaceDataset } from '../../src/db/dataset'
import { i18n } from '../../src/modules/i18n'
import { createAppRouter } from '../../src/router'
import { settle } from '../helpers/mount'
import { realDataset } from '../helpers/seed'

const KEY = 'zhixun.homeSnapshot'
const lastShown = (bookmarks: number) =>
  JSON.stringify({
    version: 'earlier',
    documentNumber: '粤府知办〔2016〕17号',
    sections: [{ id: 1, ordinal: '一', title: '上次显示的部分', count: 3 }],
    bookmarks,
  })

/** Home, mounted without waiting for anything: what it shows before IndexedDB has answered. */
async function openHome() {
  const router = createAppRouter(createMemoryHistory())
  await router.push('/')
  await router.isReady()
  return mount(RouterView, { global: { plugins: [createPinia(), router, i18n] } })
}
const rows = (wrapper: Awaited<ReturnType<typeof openHome>>) =>
  wrapper.findAll('[data-testid="section-list"] li').map((li) => li.text())

beforeEach(async () => {
  localStorage.clear()
  await db.delete()
  await db.open()
  await replaceDataset(db, realDataset)
})
afterEach(() => localStorage.clear())

describe('the home list on a reload', () => {
  it('is painted as last shown before IndexedDB answers, then read from it and kept for the next start', async () => {
    localStorage.setItem(KEY, lastShown(0))
    const wrapper = await openHome()
    expect(rows(wrapper)).toEqual(['一上次显示的部分3 项任务'])
    await settle()
    expect(rows(wrapper)).toHaveLength(9)
    expect(rows(wrapper)[1]).toBe('二加大知识产权保护力度36 项任务')
    const kept = JSON.parse(localStorage.getItem(KEY)!) as { version: string; sections: unknown[]; bookmarks: number }
    expect(kept).toMatchObject({ version: realDataset.version, bookmarks: 0 })
    expect(kept.sections).toHaveLength(9)
    wrapper.unmount()
  })

  it('waits for IndexedDB when the page also shows bookmarks, which would push the list down', async () => {
    localStorage.setItem(KEY, lastShown(1))
    const wrapper = await openHome()
    expect(rows(wrapper)).toEqual([])
    await settle()
    expect(rows(wrapper)).toHaveLength(9)
    wrapper.unmount()
  })

  it('is forgotten when a bookmark is set or cleared', async () => {
    localStorage.setItem(KEY, lastShown(0))
    await useBookmark(28).toggle()
    expect(localStorage.getItem(KEY)).toBeNull()
  })

  it('waits for IndexedDB without a snapshot, as on a first start', async () => {
    const wrapper = await openHome()
    expect(rows(wrapper)).toEqual([])
    await settle()
    expect(rows(wrapper)).toHaveLength(9)
    wrapper.unmount()
  })
})
