import type { Dataset, Department, Role, Task } from '@/kernel/dataset'

/** A half-open range [start, end) of a matched substring. */
export type Range = [number, number]

export interface TaskFilters {
  sectionId?: number
  department?: string
  role?: Role
}

export interface TaskHit {
  task: Task
  /** Where the query occurs in the task's text. */
  ranges: Range[]
  /** Departments of the task whose names contain the query. */
  departmentMatches: string[]
}

export interface DepartmentHit {
  department: Department
  ranges: Range[]
  /** Matched by pinyin or initials rather than characters. */
  byPinyin: boolean
}

export interface SearchResult {
  /** The task a bare number names (`28` → task 28). */
  exact?: Task
  tasks: TaskHit[]
  departments: DepartmentHit[]
}

export interface SearchIndex {
  dataset: Dataset
  /** Lower-cased texts, so Latin letters match either case; Chinese is unchanged by it. */
  lowerTexts: string[]
  byNumber: Map<number, Task>
}

export function buildSearchIndex(dataset: Dataset): SearchIndex {
  return {
    dataset,
    lowerTexts: dataset.tasks.map((t) => t.text.toLowerCase()),
    byNumber: new Map(dataset.tasks.map((t) => [t.number, t])),
  }
}

export function rangesOf(haystack: string, needle: string): Range[] {
  const out: Range[] = []
  if (!needle) return out
  for (let at = haystack.indexOf(needle); at !== -1; at = haystack.indexOf(needle, at + needle.length)) {
    out.push([at, at + needle.length])
  }
  return out
}

export function matchesFilters(task: Task, f: TaskFilters): boolean {
  if (f.sectionId !== undefined && task.sectionId !== f.sectionId) return false
  if (f.department === undefined && f.role === undefined) return true
  return task.departments.some(
    (d) => (f.department === undefined || d.name === f.department) && (f.role === undefined || d.role === f.role),
  )
}

function searchDepartments(departments: Department[], q: string): DepartmentHit[] {
  const latin = /^[a-z]+$/.test(q)
  const hits: DepartmentHit[] = []
  for (const department of departments) {
    const ranges = rangesOf(department.name.toLowerCase(), q)
    if (ranges.length > 0) hits.push({ department, ranges, byPinyin: false })
    else if (latin && (department.initials.includes(q) || department.pinyin.includes(q))) {
      hits.push({ department, ranges: [], byPinyin: true })
    }
  }
  return hits
}

/**
 * Tasks whose text or department names contain the query, within the filters, in task order;
 * departments whose name, pinyin or pinyin initials contain it. An empty query lists every task the
 * filters allow.
 */
export function search(index: SearchIndex, query: string, filters: TaskFilters = {}): SearchResult {
  const q = query.trim().toLowerCase()
  const { tasks } = index.dataset
  const result: SearchResult = { tasks: [], departments: [] }
  if (/^\d{1,5}$/.test(q)) {
    const exact = index.byNumber.get(Number(q))
    if (exact && matchesFilters(exact, filters)) result.exact = exact
  }
  result.departments = q ? searchDepartments(index.dataset.departments, q) : []
  const deptNames = new Set(result.departments.map((h) => h.department.name))
  for (let i = 0; i < tasks.length; i++) {
    const task = tasks[i]!
    if (!matchesFilters(task, filters)) continue
    if (!q) {
      result.tasks.push({ task, ranges: [], departmentMatches: [] })
      continue
    }
    const ranges = rangesOf(index.lowerTexts[i]!, q)
    // With a role chosen, a department match counts only where the department has that role.
    const departmentMatches = task.departments
      .filter((d) => deptNames.has(d.name) && (filters.role === undefined || d.role === filters.role))
      .map((d) => d.name)
    if (ranges.length > 0 || departmentMatches.length > 0) result.tasks.push({ task, ranges, departmentMatches })
  }
  return result
}
