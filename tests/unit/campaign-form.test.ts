import { describe, expect, it } from 'vitest'
import { emptyForm, formProblems, parseTaskList, type CampaignForm } from '../../src/campaigns/form'

const known = new Set([1, 17, 28, 40])

/** A form a supervisor could save as it is. */
function filled(overrides: Partial<CampaignForm> = {}): CampaignForm {
  return { ...emptyForm('省知识产权局', '2026-11-20'), name: '广交会专项', tasks: '28, 40', ...overrides }
}

describe('parseTaskList', () => {
  it('reads task numbers however they are separated, each once, in the order typed', () => {
    expect(parseTaskList('28, 37，40 41、17;1；28')).toEqual({ numbers: [28, 37, 40, 41, 17, 1], bad: [] })
    expect(parseTaskList('  ')).toEqual({ numbers: [], bad: [] })
  })

  it('gives back as text whatever is not a whole number above zero', () => {
    expect(parseTaskList('28 abc 0 2.5 -3')).toEqual({ numbers: [28], bad: ['abc', '0', '2.5', '-3'] })
  })
})

describe('formProblems', () => {
  it('finds nothing wrong with a filled-in form', () => {
    expect(formProblems(filled(), known)).toEqual([])
    expect(formProblems(filled({ startDate: '2026-11-20', endDate: '2026-11-20' }), known)).toEqual([])
  })

  it('asks for a name that is more than spaces', () => {
    expect(formProblems(filled({ name: '' }), known)).toEqual(['name'])
    expect(formProblems(filled({ name: '   ' }), known)).toEqual(['name'])
  })

  it('needs tasks, all of them numbers the dataset has', () => {
    expect(formProblems(filled({ tasks: '' }), known)).toEqual(['tasks'])
    expect(formProblems(filled({ tasks: '28, abc' }), known)).toEqual(['tasks'])
    expect(formProblems(filled({ tasks: '28, 999' }), known)).toEqual(['tasks'])
  })

  it('needs a department', () => {
    expect(formProblems(filled({ departments: [] }), known)).toEqual(['departments'])
  })

  it('needs dates written YYYY-MM-DD, the start not after the end', () => {
    expect(formProblems(filled({ startDate: '2026-11-21', endDate: '2026-11-20' }), known)).toEqual(['dates'])
    expect(formProblems(filled({ startDate: '' }), known)).toEqual(['dates'])
    expect(formProblems(filled({ endDate: '2026/12/01' }), known)).toEqual(['dates'])
  })

  it('lists every problem at once', () => {
    const f = filled({ name: '', tasks: '', departments: [], endDate: '' })
    expect(formProblems(f, known)).toEqual(['name', 'tasks', 'departments', 'dates'])
  })
})
