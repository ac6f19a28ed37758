import type { Dataset, Department, Role, Task } from '@/kernel/dataset'
import { GLOSSARY, glossaryTerms } from './glossary'
import { initialsOf, MIN_INITIALS, parsePinyinTable, pinyinMatcher, type PinyinTable } from './pinyin'

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

export interface SearchOptions {
  /** Department names in the interface's language (Chinese name → English name), searched too. */
  departmentNames?: ReadonlyMap<string, string>
}

export interface SearchResult {
  /** The task a bare number names (`28` → task 28); also the first of `tasks`. */
  exact?: Task
  tasks: TaskHit[]
  departments: DepartmentHit[]
}

export interface SearchIndex {
  dataset: Dataset
  /** Lower-cased texts, so Latin letters match either case; Chinese is unchanged by it. */
  lowerTexts: string[]
  byNumber: Map<number, Task>
  /** The dataset's reading table, for matching the text as pinyin. */
  pinyin: PinyinTable
  /** Per task, its characters' first letters (see `initialsOf`). */
  initials: string[]
  /** Per department, its name's characters' first letters. */
  departmentInitials: string[]
}

export function buildSearchIndex(dataset: Dataset): SearchIndex {
  const pinyin = parsePinyinTable(dataset.readings ?? '')
  return {
    dataset,
    lowerTexts: dataset.tasks.map((t) => t.text.toLowerCase()),
    byNumber: new Map(dataset.tasks.map((t) => [t.number, t])),
    pinyin,
    initials: dataset.tasks.map((t) => initialsOf(pinyin, t.text)),
    departmentInitials: dataset.departments.map((d) => initialsOf(pinyin, d.name)),
  }
}

/** Letters a query in pinyin may have: syllables run together, spaces ignored; `v` stands for ü. */
const PINYIN_QUERY = /^[a-z]{1,40}$/

/** Ranges in order, overlapping ones merged: matches as written, as pinyin and by glossary can overlap. */
function merged(ranges: Range[]): Range[] {
  const out: Range[] = []
  for (const r of [...ranges].sort((a, b) => a[0] - b[0])) {
    const last = out[out.length - 1]
    if (last && r[0] <= last[1]) last[1] = Math.max(last[1], r[1])
    else out.push([r[0], r[1]])
  }
  return out
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

interface Query {
  /** Trimmed, lower case, runs of spaces as one. */
  text: string
  /** The query as pinyin letters, when it can be. */
  pinyin?: string
  /** Whether the text is worth searching as pinyin for it. */
  pinyinInText: boolean
  /** Chinese terms the query names in English. */
  terms: string[]
}

function termRanges(text: string, terms: string[]): Range[] {
  return terms.flatMap((term) => rangesOf(text, term))
}

function searchDepartments(
  index: SearchIndex,
  q: Query,
  options: SearchOptions,
  matchPinyin: ((text: string, initials: string) => Range[]) | undefined,
): DepartmentHit[] {
  const hits: DepartmentHit[] = []
  for (const [i, department] of index.dataset.departments.entries()) {
    const name = department.name.toLowerCase()
    const ranges = merged([...rangesOf(name, q.text), ...termRanges(name, q.terms)])
    if (ranges.length > 0) hits.push({ department, ranges, byPinyin: false })
    else if (options.departmentNames?.get(department.name)?.toLowerCase().includes(q.text)) {
      hits.push({ department, ranges: [], byPinyin: false })
    } else if (q.pinyin) {
      const p = q.pinyin
      const pinyinRangesInName = matchPinyin?.(name, index.departmentInitials[i]!) ?? []
      if (pinyinRangesInName.length > 0) hits.push({ department, ranges: pinyinRangesInName, byPinyin: true })
      else if (department.initials.includes(p) || department.pinyin.includes(p)) {
        hits.push({ department, ranges: [], byPinyin: true })
      }
    }
  }
  return hits
}

function parseQuery(query: string): Query {
  const text = query.trim().toLowerCase().replace(/\s+/g, ' ')
  const letters = text.replace(/ /g, '')
  const latin = /^[a-z][a-z '-]*$/.test(text)
  return {
    text,
    pinyin: PINYIN_QUERY.test(letters) ? letters : undefined,
    // Without a vowel, a short query holds no whole syllable, so it cannot match the text as pinyin.
    pinyinInText: PINYIN_QUERY.test(letters) && (letters.length >= MIN_INITIALS || /[aeiouv]/.test(letters)),
    terms: latin ? glossaryTerms(text) : [],
  }
}

type TaskMatch = Pick<TaskHit, 'ranges' | 'departmentMatches'>

/** The departments a query finds, and whether (and where) it finds the task at an index. */
function matcherFor(index: SearchIndex, q: Query, filters: TaskFilters, options: SearchOptions) {
  const matchPinyin = q.pinyin && q.pinyinInText ? pinyinMatcher(index.pinyin, q.pinyin) : undefined
  const departments = q.text ? searchDepartments(index, q, options, matchPinyin) : []
  const deptNames = new Set(departments.map((h) => h.department.name))
  const match = (i: number): TaskMatch | undefined => {
    const task = index.dataset.tasks[i]!
    const text = index.lowerTexts[i]!
    let ranges = rangesOf(text, q.text)
    if (matchPinyin) {
      const more = matchPinyin(text, index.initials[i]!)
      if (more.length > 0) ranges = merged([...ranges, ...more])
    }
    if (q.terms.length > 0) {
      const more = termRanges(text, q.terms)
      if (more.length > 0) ranges = merged([...ranges, ...more])
    }
    // With a role chosen, a department match counts only where the department has that role.
    const departmentMatches = task.departments
      .filter((d) => deptNames.has(d.name) && (filters.role === undefined || d.role === filters.role))
      .map((d) => d.name)
    return ranges.length > 0 || departmentMatches.length > 0 ? { ranges, departmentMatches } : undefined
  }
  return { departments, match }
}

/** A task every word found, with all their ranges; none when a word did not find it. */
function allOf(hits: (TaskMatch | undefined)[]): TaskMatch | undefined {
  if (hits.length === 0 || hits.some((h) => h === undefined)) return undefined
  const found = hits as TaskMatch[]
  return {
    ranges: merged(found.flatMap((h) => h.ranges)),
    departmentMatches: [...new Set(found.flatMap((h) => h.departmentMatches))],
  }
}

/** The query's words, a glossary phrase of several words ("trade fair") kept as one, the longest first. */
function wordsOf(text: string): string[] {
  const parts = text.split(' ')
  const out: string[] = []
  for (let i = 0; i < parts.length;) {
    let j = parts.length
    while (j > i + 1 && !(parts.slice(i, j).join(' ') in GLOSSARY)) j--
    out.push(parts.slice(i, j).join(' '))
    i = j
  }
  return out
}

/**
 * Tasks whose text or department names contain the query, within the filters, in task order, the task a
 * bare number names first; departments whose name (Chinese or, given, English), pinyin or pinyin initials
 * contain it. The text matches as written, as pinyin (full, initials or both mixed) and, for an English
 * word of the glossary, by its Chinese terms; words apart match a task that each of them matches. An empty
 * query lists every task the filters allow.
 */
export function search(
  index: SearchIndex,
  query: string,
  filters: TaskFilters = {},
  options: SearchOptions = {},
): SearchResult {
  const q = parseQuery(query)
  const { tasks } = index.dataset
  const result: SearchResult = { tasks: [], departments: [] }
  if (/^\d{1,5}$/.test(q.text)) {
    const exact = index.byNumber.get(Number(q.text))
    if (exact && matchesFilters(exact, filters)) {
      result.exact = exact
      result.tasks.push({ task: exact, ranges: rangesOf(exact.text.toLowerCase(), q.text), departmentMatches: [] })
    }
  }
  const phrase = matcherFor(index, q, filters, options)
  result.departments = phrase.departments
  const found = (match: (i: number) => TaskMatch | undefined) => {
    for (let i = 0; i < tasks.length; i++) {
      const task = tasks[i]!
      if (task === result.exact || !matchesFilters(task, filters)) continue
      const hit = q.text ? match(i) : { ranges: [], departmentMatches: [] }
      if (hit) result.tasks.push({ task, ...hit })
    }
  }
  found(phrase.match)
  // Words apart ("知识产权 展会", "intellectual property trade fair") that find nothing as one phrase find the tasks each of
  // them finds; a glossary phrase of several words stays one word.
  if (result.tasks.length === 0 && result.departments.length === 0 && q.text.includes(' ')) {
    const words = wordsOf(q.text).map((w) => matcherFor(index, parseQuery(w), filters, options))
    found((i) => allOf(words.map((w) => w.match(i))))
  }
  return result
}
