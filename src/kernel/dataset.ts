/** The dataset contract: what `npm run dataset` writes to public/data/dataset.json. */

export type Role = 'lead' | 'responsible' | 'cooperating'

export const ROLES: readonly Role[] = ['lead', 'responsible', 'cooperating']

export interface TaskDepartment {
  name: string
  role: Role
}

export interface Task {
  number: number
  sectionId: number
  /** The task's text as the source wrote it, page breaks repaired, without the department clause. */
  text: string
  /** The department clause as the source wrote it, brackets included; empty when the text names them. */
  clause: string
  departments: TaskDepartment[]
}

export interface Section {
  id: number
  /** The source's numeral: 一 … 九. */
  ordinal: string
  title: string
}

export interface Principle {
  title: string
  text: string
}

export interface DocumentInfo {
  letterhead: string
  number: string
  issuer: string
  title: string
  /** ISO date, YYYY-MM-DD. */
  date: string
  addressees: string
  notice: string
  contact: string
  workPointsTitle: string
  preamble: string
  guidingThought: string
  principles: Principle[]
  /** The closing line's 公开方式, e.g. 主动公开. */
  disclosure: string
}

export interface DepartmentCounts {
  lead: number
  responsible: number
  cooperating: number
}

export interface Department {
  name: string
  /** Toneless pinyin, lower case, syllables joined: 省工商局 → shenggongshangju. */
  pinyin: string
  /** First letter of each syllable: 省工商局 → sgsj. */
  initials: string
  counts: DepartmentCounts
}

export interface Dataset {
  /** Hash of the content (sections, tasks, departments, document). */
  version: string
  document: DocumentInfo
  sections: Section[]
  tasks: Task[]
  departments: Department[]
  /**
   * Toneless pinyin of every Chinese character in the task texts and department names, so the phone can
   * match full pinyin without a dictionary: each syllable followed by its characters, syllables in
   * alphabetical order ("ai爱an安案…"); a character read two ways in the text is under both. Absent
   * from datasets built before it existed.
   */
  readings?: string
}
