/**
 * Pinyin matching over the dataset's reading table (`Dataset.readings`), with no dictionary on the phone.
 * A query matches where each character in turn takes its whole syllable or a prefix of it, so `zhanhui`,
 * `zhhui` and `zhanh` all find 展会.
 */

/** A half-open range [start, end) of matched characters. */
export type CharRange = [number, number]

export interface PinyinTable {
  /** Per id, the first letter its readings share, or '*' where they differ (行 xing/hang). */
  initials: string[]
  /** Character code → id of its readings (0: none). Typed, since taking `text[i]` allocates a string. */
  ids: Uint16Array
  /** Readings by id; index 0 unused. */
  readings: string[][]
}

export function parsePinyinTable(table: string): PinyinTable {
  const ids = new Uint16Array(65536)
  const readings: string[][] = [[]]
  for (const [, syllable, chars] of table.matchAll(/([a-z]+)([^a-z]+)/g)) {
    for (let i = 0; i < chars!.length; i++) {
      const code = chars!.charCodeAt(i)
      if (!ids[code]) ids[code] = readings.push([]) - 1
      readings[ids[code]!]!.push(syllable!)
    }
  }
  const initials = readings.map((rs) => (rs.every((r) => r[0] === rs[0]?.[0]) ? (rs[0]?.[0] ?? ' ') : '*'))
  return { ids, readings, initials }
}

/**
 * A text's characters' first letters ('*' for a character read with different ones, ' ' for one with no
 * reading), so a match's possible starts are found with the native `indexOf`, not a loop over every character.
 */
export function initialsOf(table: PinyinTable, text: string): string {
  let out = ''
  for (let i = 0; i < text.length; i++) out += table.initials[table.ids[text.charCodeAt(i)]!]!
  return out
}

/** Shorter than this, a query of initials alone matches too much of the text to be useful. */
export const MIN_INITIALS = 4

/**
 * A query compiled against the table: for each character id and place in the query, which numbers of
 * letters the character can take there (bit n-1 for n letters), and which of those are a whole syllable of
 * two letters or more. A match must take one whole syllable unless the query is long enough to stand as
 * initials alone.
 */
export function pinyinMatcher(table: PinyinTable, q: string): (text: string, initials: string) => CharRange[] {
  const Q = q.length
  const takes = new Uint8Array(table.readings.length * Q)
  const wholes = new Uint8Array(table.readings.length * Q)
  for (let id = 1; id < table.readings.length; id++) {
    for (const r of table.readings[id]!) {
      for (let qi = 0; qi < Q; qi++) {
        let common = 0
        while (common < r.length && qi + common < Q && r.charCodeAt(common) === q.charCodeAt(qi + common)) common++
        if (common === 0) continue
        takes[id * Q + qi]! |= (1 << common) - 1
        if (common === r.length && common >= 2) wholes[id * Q + qi]! |= 1 << (common - 1)
      }
    }
  }
  const { ids } = table
  const initialsSuffice = Q >= MIN_INITIALS

  function endOf(text: string, at: number, qi: number, whole: boolean): number {
    if (qi === Q) return whole || initialsSuffice ? at : -1
    if (at >= text.length) return -1
    const k = ids[text.charCodeAt(at)]! * Q + qi
    const can = takes[k]!
    for (let n = 8; n >= 1; n--) {
      if (!(can & (1 << (n - 1)))) continue
      const end = endOf(text, at + 1, qi + n, whole || (wholes[k]! & (1 << (n - 1))) !== 0)
      if (end !== -1) return end
    }
    return -1
  }

  const first = q[0]!
  return (text, initials) => {
    const out: CharRange[] = []
    let letter = initials.indexOf(first)
    let either = initials.indexOf('*')
    while (letter !== -1 || either !== -1) {
      const at = either === -1 || (letter !== -1 && letter < either) ? letter : either
      const end = endOf(text, at, 0, false)
      let next = at + 1
      if (end !== -1) {
        out.push([at, end])
        next = end
      }
      if (letter !== -1 && letter < next) letter = initials.indexOf(first, next)
      if (either !== -1 && either < next) either = initials.indexOf('*', next)
    }
    return out
  }
}
