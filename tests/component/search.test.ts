// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest'
import { mountAt, settle } from '../helpers/mount'

describe('SearchPage', () => {
  it('shows the tasks a query matches, with the matches highlighted', async () => {
    const { wrapper } = await mountAt('/search?q=展会')
    const hits = wrapper.findAll('[data-testid="task-hits"] .task-item')
    expect(hits.map((h) => h.attributes('data-task'))).toEqual(['28', '71'])
    expect(hits[0]!.findAll('mark').map((m) => m.text())).toEqual(['展会', '展会'])
    expect(wrapper.get('[data-testid="result-count"]').text()).toBe('2 项任务')
  })

  it('searches as you type and keeps the query in the URL', async () => {
    const { wrapper, router } = await mountAt('/search')
    await wrapper.get('[data-testid="search-input"]').setValue('gsj')
    await settle()
    expect(router.currentRoute.value.query).toEqual({ q: 'gsj' })
    expect(wrapper.get('[data-testid="department-hits"]').text()).toContain('省工商局')
  })

  it('finds a task by two words typed apart, each highlighted', async () => {
    const { wrapper } = await mountAt('/search')
    await wrapper.get('[data-testid="search-input"]').setValue('展会 知识产权')
    await settle()
    const hits = wrapper.findAll('[data-testid="task-hits"] .task-item')
    expect(hits.map((h) => h.attributes('data-task'))).toEqual(['28', '71'])
    // Task 28: "展会知识产权" (side by side, one mark), "展会", and "知识产权" alone.
    const marks = hits[0]!.findAll('mark').map((m) => m.text())
    expect(marks).toContain('知识产权')
    expect(marks).toContain('展会')
    expect(marks.every((m) => m.replace(/展会|知识产权/g, '') === '')).toBe(true)
    expect(wrapper.get('[data-testid="result-count"]').text()).toBe('2 项任务')
  })

  it('lists the task a number names as the first result, counted, under no empty heading', async () => {
    const { wrapper } = await mountAt('/search?q=28')
    const hits = wrapper.findAll('[data-testid="task-hits"] .task-item')
    expect(hits[0]!.attributes('data-task')).toBe('28')
    expect(hits[0]!.attributes('href')).toBe('/tasks/28')
    expect(wrapper.get('[data-testid="result-count"]').text()).toBe(`${hits.length} 项任务`)
    expect(wrapper.findAll('h2').map((h) => h.text())).not.toContain('任务')
  })

  it('finds tasks by full pinyin', async () => {
    const { wrapper } = await mountAt('/search?q=zhanhui')
    expect(wrapper.findAll('.task-item').map((h) => h.attributes('data-task'))).toEqual(['28', '71'])
  })

  it('combines filters from the selects and puts them in the URL', async () => {
    const { wrapper, router } = await mountAt('/search')
    await wrapper.get('[data-testid="filter-department"]').setValue('省工商局')
    await settle()
    await wrapper.get('[data-testid="filter-role"]').setValue('cooperating')
    await settle()
    expect(router.currentRoute.value.query).toEqual({ dept: '省工商局', role: 'cooperating' })
    expect(wrapper.findAll('.task-item').map((h) => h.attributes('data-task'))).toEqual(['22', '39', '131', '153'])
    await wrapper.get('[data-testid="filter-section"]').setValue('8')
    await settle()
    expect(router.currentRoute.value.query).toEqual({ section: '8', dept: '省工商局', role: 'cooperating' })
    expect(wrapper.findAll('.task-item').map((h) => h.attributes('data-task'))).toEqual(['153'])
  })

  it('restores a filtered view from a shared link', async () => {
    const { wrapper } = await mountAt('/search?section=9')
    expect(wrapper.findAll('.task-item')).toHaveLength(3)
    expect((wrapper.get('[data-testid="filter-section"]').element as HTMLSelectElement).value).toBe('9')
  })

  it('says so when nothing matches', async () => {
    const { wrapper } = await mountAt('/search?q=没有这个词')
    expect(wrapper.get('[data-testid="no-results"]').text()).toBe('没有找到匹配的内容。')
  })
})
