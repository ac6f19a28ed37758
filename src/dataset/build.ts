import type { Dataset, Department } from '../kernel/dataset'
import type { ParsedSeed } from './parse'

export interface Romanizer {
  /** Toneless pinyin syllables of a name's Chinese characters, in order. */
  (name: string): string[]
}

/** Each Chinese character of a text with its toneless reading in that context, in order. */
export type TextReader = (text: string) => [char: string, syllable: string][]

/** The dataset's compact reading table (see `Dataset.readings`). */
export function readingTable(texts: string[], read: TextReader): string {
  const bySyllable = new Map<string, Set<string>>()
  for (const text of texts) {
    for (const [char, syllable] of read(text)) {
      const chars = bySyllable.get(syllable) ?? new Set<string>()
      chars.add(char)
      bySyllable.set(syllable, chars)
    }
  }
  return [...bySyllable]
    .filter(([syllable]) => /^[a-z]+$/.test(syllable))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([syllable, chars]) => syllable + [...chars].sort().join(''))
    .join('')
}

/**
 * Adds what the phone should not compute: each department's task counts and its pinyin, the characters'
 * readings (given a reader), and the version (a hash of everything else) by which clients tell whether
 * their copy is current.
 */
export function buildDataset(
  parsed: ParsedSeed,
  romanize: Romanizer,
  hash: (text: string) => string,
  read?: TextReader,
): Dataset {
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
    ...(read && { readings: readingTable([...parsed.tasks.map((t) => t.text), ...byName.keys()], read) }),
  }
  return { version: hash(JSON.stringify(content)).slice(0, 16), ...content }
}
