import type { Campaign, CampaignInput } from '../kernel/campaign-schema'
import { choosableRegions, PROVINCE, regionOf } from '../kernel/regions'

/** What the campaign form holds while a supervisor edits it: lists as the text they type. */
export interface CampaignForm {
  name: string
  description: string
  tasks: string
  departments: string[]
  inspectorIds: string[]
  startDate: string
  endDate: string
  venues: string
  ownerDepartment: string
  /** The province or the city it is run in (src/kernel/regions.ts). */
  region: string
  /** Inspections under the campaign need two inspectors with valid certificates. */
  requireTwoCertified: boolean
}

export type CampaignFormProblem = 'name' | 'tasks' | 'departments' | 'dates'

/** A new campaign: of the supervisor's department, and of their region (a city's supervisor has no other). */
export function emptyForm(department: string, today: string, region: string = PROVINCE): CampaignForm {
  return {
    name: '',
    description: '',
    tasks: '',
    departments: [department],
    inspectorIds: [],
    startDate: today,
    endDate: today,
    venues: '',
    ownerDepartment: department,
    region,
    requireTwoCertified: false,
  }
}

export function formOf(c: Campaign): CampaignForm {
  return {
    name: c.name,
    description: c.description,
    tasks: c.taskNumbers.join(', '),
    departments: [...c.departments],
    inspectorIds: [...c.inspectorIds],
    startDate: c.startDate,
    endDate: c.endDate,
    venues: c.venues.join('\n'),
    ownerDepartment: c.ownerDepartment,
    region: regionOf(c),
    requireTwoCertified: c.requireTwoCertified ?? false,
  }
}

/** "28, 37，40 41" → [28, 37, 40, 41]; anything that is not a whole number comes back as text in `bad`. */
export function parseTaskList(text: string): { numbers: number[]; bad: string[] } {
  const parts = text.split(/[\s,，、;；]+/).filter(Boolean)
  const numbers: number[] = []
  const bad: string[] = []
  for (const p of parts) {
    const n = Number(p)
    if (Number.isInteger(n) && n > 0) {
      if (!numbers.includes(n)) numbers.push(n)
    } else bad.push(p)
  }
  return { numbers, bad }
}

export function formProblems(f: CampaignForm, knownTasks: ReadonlySet<number>): CampaignFormProblem[] {
  const out: CampaignFormProblem[] = []
  if (!f.name.trim()) out.push('name')
  const { numbers, bad } = parseTaskList(f.tasks)
  if (numbers.length === 0 || bad.length > 0 || numbers.some((n) => !knownTasks.has(n))) out.push('tasks')
  if (f.departments.length === 0) out.push('departments')
  if (!/^\d{4}-\d{2}-\d{2}$/.test(f.startDate) || !/^\d{4}-\d{2}-\d{2}$/.test(f.endDate) || f.startDate > f.endDate)
    out.push('dates')
  return out
}

export function formToInput(f: CampaignForm, version?: number): CampaignInput {
  return {
    name: f.name.trim(),
    description: f.description.trim(),
    taskNumbers: parseTaskList(f.tasks).numbers,
    departments: [...f.departments],
    inspectorIds: [...f.inspectorIds],
    startDate: f.startDate,
    endDate: f.endDate,
    venues: [
      ...new Set(
        f.venues
          .split('\n')
          .map((v) => v.trim())
          .filter(Boolean),
      ),
    ],
    ownerDepartment: f.ownerDepartment,
    region: f.region,
    requireTwoCertified: f.requireTwoCertified,
    ...(version === undefined ? {} : { version }),
  }
}

/**
 * The regions the campaign form offers `user`: an admin and a provincial supervisor any, a city's supervisor only
 * their city (the server refuses others, 403 `forged_region`). A campaign already of another region keeps it listed.
 */
export function regionChoices(user: { role: string; region?: string }, current?: string): readonly string[] {
  const own = user.role === 'admin' ? PROVINCE : regionOf(user)
  const choices = choosableRegions(own)
  return current !== undefined && !choices.includes(current as never) ? [current, ...choices] : choices
}
