// @vitest-environment happy-dom
import 'fake-indexeddb/auto'
import { mount } from '@vue/test-utils'
import { describe, expect, it } from 'vitest'
import HighlightedText from '../../src/components/task/HighlightedText.vue'
import { db } from '../../src/db/db'
import { setLocale } from '../../src/modules/i18n'
import { mountAt, settle } from '../helpers/mount'

describe('TaskPage', () => {
  it('shows the full text, every department by role, and previous/next', async () => {
    const { wrapper } = await mountAt('/tasks/153')
    expect(wrapper.get('h1').text()).toBe('任务 153')
    expect(wrapper.get('[data-testid="task-text"]').text()).toMatch(/^加强粤港澳台知识产权合作交流/)
    const rows = wrapper
      .findAll('[data-testid="task-department"]')
      .map((r) => `${r.get('.role').text()} ${r.get('.grow').text()}`)
    expect(rows).toEqual([
      '牵头 省知识产权局',
      '配合 省公安厅',
      '配合 省商务厅',
      '配合 省工商局',
      '配合 省新闻出版广电局（版权局）',
      '配合 海关总署广东分署',
    ])
    expect(wrapper.get('[data-testid="task-department"]').attributes('href')).toBe(
      `/departments/${encodeURIComponent('省知识产权局')}`,
    )
    expect(wrapper.get('[data-testid="prev-task"]').attributes('href')).toBe('/tasks/152')
    expect(wrapper.get('[data-testid="next-task"]').attributes('href')).toBe('/tasks/154')
  })

  it('has no next after the last task, and explains a task that does not exist', async () => {
    const last = await mountAt('/tasks/160')
    expect(last.wrapper.find('[data-testid="next-task"]').exists()).toBe(false)
    const missing = await mountAt('/tasks/999')
    expect(missing.wrapper.get('[data-testid="task-not-found"]').text()).toBe(
      '没有任务 999。本工作要点共有 160 项任务。',
    )
  })

  it('bookmarks a task in IndexedDB', async () => {
    await db.bookmarks.clear()
    const { wrapper } = await mountAt('/tasks/28')
    await wrapper.get('[data-testid="bookmark"]').trigger('click')
    await settle()
    expect(await db.bookmarks.get(28)).toBeTruthy()
    expect(wrapper.get('[data-testid="bookmark"]').attributes('aria-pressed')).toBe('true')
  })

  it('follows the task when previous/next reuse the page: bookmark and notes are the new task’s', async () => {
    await db.bookmarks.clear()
    const { wrapper, router } = await mountAt('/tasks/28')
    await wrapper.get('[data-testid="bookmark"]').trigger('click')
    await settle()
    expect(wrapper.get('[data-testid="bookmark"]').attributes('aria-pressed')).toBe('true')
    await router.push('/tasks/29')
    await settle()
    expect(wrapper.get('h1').text()).toBe('任务 29')
    expect(wrapper.get('[data-testid="bookmark"]').attributes('aria-pressed')).toBe('false')
    await router.push('/tasks/28')
    await settle()
    expect(wrapper.get('[data-testid="bookmark"]').attributes('aria-pressed')).toBe('true')
  })

  it('speaks English when asked, keeping the task text as the source wrote it', async () => {
    await setLocale('en')
    const { wrapper } = await mountAt('/tasks/22')
    expect(wrapper.get('h1').text()).toBe('Task 22')
    expect(wrapper.text()).toContain('Lead')
    expect(wrapper.get('[data-testid="task-text"]').text()).toMatch(/^加强地理标志执法督查工作协调/)
    expect(document.documentElement.lang).toBe('en')
    await setLocale('zh-CN')
  })
})

describe('HighlightedText', () => {
  it('renders text as text, never as HTML', () => {
    const text = '<img src=x onerror=alert(1)>展会'
    const w = mount(HighlightedText, { props: { text, ranges: [[text.length - 2, text.length]] } })
    expect(w.find('img').exists()).toBe(false)
    expect(w.text()).toBe(text)
    expect(w.get('mark').text()).toBe('展会')
  })
})
