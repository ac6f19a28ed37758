// @vitest-environment happy-dom
import 'fake-indexeddb/auto'
import { mount } from '@vue/test-utils'
import { createPinia } from 'pinia'
import { afterEach, describe, expect, it } from 'vitest'
import { createMemoryHistory } from 'vue-router'
import App from '../../src/App.vue'
import { db } from '../../src/db/db'
import { replaceDataset } from '../../src/db/dataset'
import { i18n, setLocale } from '../../src/modules/i18n'
import { createAppRouter } from '../../src/router'
import { settle } from '../helpers/mount'
import { realDataset } from '../helpers/seed'

/*
 * Each page has a title in the user's language, and after a navigation inside the app the focus is on the new
 * page's heading (src/modules/page-announce.ts); the first page takes no focus. The browser test
 * (tests/e2e/page-announce.test.ts) follows the links with the keyboard at 360 px.
 */

afterEach(() => setLocale('zh-CN'))

const focused = () => {
  const el = document.activeElement
  return el === document.body || !el ? 'BODY' : `${el.tagName}:${el.textContent?.trim()}`
}

describe('a page change', () => {
  it("is named in the page's title and takes the focus to its heading, in either language", async () => {
    await replaceDataset(db, realDataset)
    const router = createAppRouter(createMemoryHistory())
    await router.push('/')
    await router.isReady()
    const wrapper = mount(App, { global: { plugins: [createPinia(), router, i18n] }, attachTo: document.body })
    await settle()
    expect(document.title).toBe('首页 · 知巡')
    expect(focused()).toBe('BODY')

    await router.push('/tasks/28')
    await settle()
    expect(document.title).toBe('任务 28 · 知巡')
    expect(focused()).toBe('H1:任务 28')

    await router.push('/departments')
    await settle()
    expect(document.title).toBe('部门 · 知巡')
    expect(focused()).toBe('H1:部门')

    await setLocale('en')
    await settle()
    expect(document.title).toBe('Departments · Zhixun')
    // A new query is the same page: the focus is left where it is.
    ;(wrapper.element.ownerDocument.querySelector('header a') as HTMLElement).focus()
    await router.push('/departments?x=1')
    await settle()
    expect(focused()).toBe('A:Zhixun')
    wrapper.unmount()
  })
})
