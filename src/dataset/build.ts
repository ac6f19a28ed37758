import type { Dataset, Department } from '../kernel/dataset'
import type { ParsedSeed } from './parse'

export interface Romanizer {
  /** Toneless pinyin syllables of a name's Chinese characters, in order. */
  (name: string): string[]
}

/**
 * Adds what the phone should not compute: each department's task counts and its pinyin, and the version
 * (a hash of everything else) by which clients tell whether their copy is current.
 */
export function buildDataset(parsed: ParsedSeed, romanize: Romanizer, hash: (text: string) => string): Dataset {
  const byName = new Map<string, Department>()
  for (const task of parsed.tasks) {
    for (const { name, role } of task.departments) {
      let dept = byName.get(name)
      if (!dept) {
        const syllables = romanize(name).map((s) => s.toLowerCase())
        dept = {
          name,
          pinyin: syllables.join(''),
          initials: syllables.map((s) => s[0]).join(''),
          counts: { lead: 0, responsible: 0, cooperating: 0 },
        }
        byName.set(name, dept)
      }
      dept.counts[role]++
    }
  }
  const content = {
    document: parsed.document,
    sections: parsed.sections,
    tasks: parsed.tasks,
    departments: [...byName.values()],
  }
  return { version: hash(JSON.stringify(content)).slice(0, 16), ...content }
}
