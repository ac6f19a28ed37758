import { describe, expect, it } from 'vitest'
import { buildSearchIndex, matchesFilters, rangesOf, search } from '../../src/search/search'
import { searchStateFromQuery, searchStateToQuery } from '../../src/search/query'
import { realDataset } from '../helpers/seed'

const index = buildSearchIndex(realDataset)
const numbers = (r: ReturnType<typeof search>) => r.tasks.map((h) => h.task.number)

describe('search over the real dataset', () => {
  it('finds Chinese substrings in task text, with the match ranges', () => {
    const r = search(index, '展会')
    expect(numbers(r)).toEqual([28, 71])
    const hit = r.tasks[0]!
    const [start, end] = hit.ranges[0]!
    expect(hit.task.text.slice(start, end)).toBe('展会')
    expect(r.departments).toEqual([])
  })

  it('finds departments by name and lists their tasks', () => {
    const r = search(index, '林业厅')
    expect(r.departments.map((h) => h.department.name)).toEqual(['省林业厅'])
    expect(numbers(r)).toEqual([13, 14, 69])
    expect(r.tasks.every((h) => h.departmentMatches.includes('省林业厅'))).toBe(true)
  })

  it('finds departments by pinyin initials and full pinyin', () => {
    expect(search(index, 'gsj').departments.map((h) => h.department.name)).toEqual(['省工商局'])
    expect(search(index, 'GSJ').departments[0]?.byPinyin).toBe(true)
    expect(search(index, 'haiguan').departments.map((h) => h.department.name)).toEqual(['海关总署广东分署'])
    expect(numbers(search(index, 'sgsj'))).toContain(17)
  })

  it('finds task text by full pinyin, by initials mixed with syllables, and highlights the characters', () => {
    for (const q of ['zhanhui', 'zhan hui', 'ZhanHui', 'zhanh', 'zhhui']) {
      const r = search(index, q)
      expect(numbers(r), q).toContain(28)
      const hit = r.tasks.find((h) => h.task.number === 28)!
      expect(
        hit.ranges.map(([a, b]) => hit.task.text.slice(a, b)),
        q,
      ).toContain('展会')
    }
    expect(numbers(search(index, 'zhanhui'))).toEqual([28, 71])
    expect(numbers(search(index, 'haiguan'))).toContain(139)
    expect(numbers(search(index, 'zhuanli')).length).toBeGreaterThan(30)
    // Initials alone match the text only from four letters on; shorter ones find departments.
    expect(numbers(search(index, 'zscq')).length).toBeGreaterThan(100)
    expect(search(index, 'haig').departments.map((h) => h.department.name)).toEqual(['海关总署广东分署'])
  })

  it('finds task text by English words of the glossary, and departments by their English names', () => {
    expect(numbers(search(index, 'trade fair'))).toEqual([28, 71])
    expect(numbers(search(index, 'Customs'))).toEqual(numbers(search(index, '海关')))
    expect(numbers(search(index, 'counterfeit'))).toEqual(numbers(search(index, '假冒')))
    expect(numbers(search(index, 'patents'))).toEqual(numbers(search(index, '专利')))
    const names = new Map([['省工商局', 'Provincial Administration for Industry and Commerce']])
    const r = search(index, 'industry and commerce', {}, { departmentNames: names })
    expect(r.departments.map((h) => h.department.name)).toEqual(['省工商局'])
    expect(numbers(r)).toContain(17)
  })

  it('finds the tasks every word finds when words apart find nothing as one phrase, in any order', () => {
    for (const q of ['知识产权 展会', '展会 知识产权', '展会  zscq', 'intellectual property trade fair']) {
      const r = search(index, q)
      expect(numbers(r).length, q).toBeGreaterThan(0)
      for (const hit of r.tasks) {
        const marked = hit.ranges.map(([a, b]) => hit.task.text.slice(a, b)).join('|')
        expect(marked, `${q}: task ${hit.task.number}`).toContain('展会')
      }
    }
    expect(numbers(search(index, '知识产权 展会'))).toContain(28)
    const both = search(index, '展会 知识产权').tasks.find((h) => h.task.number === 28)!
    expect(both.ranges.map(([a, b]) => both.task.text.slice(a, b))).toEqual(
      expect.arrayContaining(['知识产权', '展会']),
    )
    // Each word must be found: one that is nowhere leaves nothing.
    expect(numbers(search(index, '展会 不存在的词'))).toEqual([])
    // A phrase found as written (pinyin with a space too) is not widened word by word.
    expect(numbers(search(index, 'zhan hui'))).toEqual([28, 71])
    expect(numbers(search(index, '林业厅 展会'))).toEqual([])
    expect(
      numbers(search(index, '海关 展会')).every((n) => search(index, '海关').tasks.some((h) => h.task.number === n)),
    ).toBe(true)
  })

  it('takes a bare number as a task number, listed first', () => {
    const r = search(index, '28')
    expect(r.exact?.number).toBe(28)
    expect(numbers(r)[0]).toBe(28)
    expect(numbers(search(index, '1'))[0]).toBe(1)
    expect(new Set(numbers(search(index, '1'))).size).toBe(search(index, '1').tasks.length)
    expect(search(index, ' 160 ').exact?.number).toBe(160)
    expect(search(index, '161').exact).toBeUndefined()
    expect(search(index, '0').exact).toBeUndefined()
  })

  it('matches Latin text in any case', () => {
    expect(numbers(search(index, 'app'))).toEqual([27])
  })

  it('filters by section, department and role, combined', () => {
    expect(search(index, '', { sectionId: 9 }).tasks).toHaveLength(3)
    const lead = search(index, '', { department: '省工商局', role: 'lead' })
    expect(numbers(lead)).toEqual([54])
    const coop = search(index, '', { department: '省工商局', role: 'cooperating' })
    expect(numbers(coop)).toEqual([22, 39, 131, 153])
    expect(numbers(search(index, '商标', { sectionId: 3, department: '省工商局' }))).toEqual([53, 54])
    expect(search(index, '28', { sectionId: 1 }).exact).toBeUndefined()
    // A department found by the query must itself have the chosen role.
    expect(numbers(search(index, 'gsj', { role: 'lead' }))).toEqual([54])
    const anyLead = search(index, '', { role: 'lead' }).tasks
    expect(anyLead.every((h) => h.task.departments.some((d) => d.role === 'lead'))).toBe(true)
    expect(anyLead.length).toBeLessThan(160)
  })

  it('returns nothing for what is not there, and everything for an empty query', () => {
    expect(search(index, '不存在的词语').tasks).toEqual([])
    expect(search(index, '').tasks).toHaveLength(160)
    expect(search(index, '   ').tasks).toHaveLength(160)
  })
})

describe('helpers', () => {
  it('finds every non-overlapping occurrence', () => {
    expect(rangesOf('保护、运用、保护', '保护')).toEqual([
      [0, 2],
      [6, 8],
    ])
    expect(rangesOf('abc', '')).toEqual([])
  })

  it('checks filters on one task', () => {
    const t = realDataset.tasks[21]! // task 22
    expect(matchesFilters(t, { department: '省农业厅', role: 'cooperating' })).toBe(true)
    expect(matchesFilters(t, { department: '省农业厅', role: 'lead' })).toBe(false)
  })

  it('round-trips the search state through the URL and ignores nonsense', () => {
    const state = { q: '展会', sectionId: 2, department: '省知识产权局', role: 'lead' as const }
    expect(searchStateFromQuery(searchStateToQuery(state) as never)).toEqual(state)
    expect(searchStateFromQuery({ section: 'x', role: 'boss', q: ['a', 'b'] })).toEqual({
      q: 'a',
      sectionId: undefined,
      department: undefined,
      role: undefined,
    })
    expect(searchStateToQuery({ q: '' })).toEqual({})
  })
})
