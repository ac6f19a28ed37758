/**
 * Measures a document's blocks as the browser lays them out, for the paginator (paginate.ts): each block's
 * height, and for a block of text where its lines start, so a page can end between two lines and the next go
 * on from there. Measured on an unscaled copy in mm-sized boxes, so screen and print see the same pages.
 */
import type { MeasuredBlock } from './paginate'

/** A text block's lines: where each starts in its text, and the height of each. */
export interface MeasuredLines {
  starts: number[]
  heights: number[]
}

/**
 * Where each line of the element's text begins (offsets into its one text node). The character's box top moves
 * down at each new line; each line's first character is found by bisection, so a 10,000-character text is
 * a few thousand range measurements, not one per character.
 */
export function lineStarts(el: HTMLElement): number[] {
  return measureLines(el).starts
}

/**
 * Where each line of the element's text begins, and how high each line is: from one line's top to the next
 * (a line set partly in a fallback font may be taller than the others); the heights add up to the element's.
 */
export function measureLines(el: HTMLElement): MeasuredLines {
  const box = el.getBoundingClientRect()
  const whole = { starts: [0], heights: [box.height] }
  const node = el.firstChild
  if (!node || node.nodeType !== Node.TEXT_NODE) return whole
  const text = node.textContent ?? ''
  const range = document.createRange()
  // The top of the first character from `i` that has a box (a space hanging at a line's end may have none). The
  // first character of a line may also report an empty box at the end of the line before (WebKit): the glyph
  // is the widest box.
  const topAt = (i: number): number => {
    for (let j = i; j < Math.min(text.length, i + 4); j++) {
      range.setStart(node, j)
      range.setEnd(node, j + 1)
      let glyph: DOMRect | undefined
      for (const rect of range.getClientRects())
        if (rect.height > 0 && (!glyph || rect.width > glyph.width)) glyph = rect
      if (glyph) return glyph.top
    }
    return Number.NEGATIVE_INFINITY
  }
  const starts = [0]
  let start = 0
  let top = topAt(0)
  if (top === Number.NEGATIVE_INFINITY) return whole
  const tops = [top]
  const fontSize = parseFloat(getComputedStyle(el).fontSize) || 16
  for (;;) {
    // The first character from `start` on a lower line, if any.
    let lo = start + 1
    let hi = text.length
    if (lo >= hi || topAt(hi - 1) <= top + fontSize / 2) break
    hi -= 1
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (topAt(mid) > top + fontSize / 2) hi = mid
      else lo = mid + 1
    }
    // Never between the two halves of a character outside the basic plane.
    if (isLowSurrogate(text.charCodeAt(lo))) lo -= 1
    if (lo <= start) break
    starts.push(lo)
    start = lo
    top = topAt(lo)
    tops.push(top)
  }
  range.detach()
  // Line k runs from its first character's top to the next line's; the first from the element's top, the last
  // to its bottom.
  const lead = tops[0]! - box.top
  const edges = [box.top, ...tops.slice(1).map((t) => t - lead), box.bottom]
  return { starts, heights: starts.map((_, k) => Math.max(0, edges[k + 1]! - edges[k]!)) }
}

const isLowSurrogate = (code: number) => code >= 0xdc00 && code <= 0xdfff

/**
 * The blocks under `flow` (elements with `data-block`), measured; those marked `data-lines` are measured line
 * by line, their text being in the one child element marked `data-text`.
 */
export function measureBlocks(
  flow: HTMLElement,
  keepWithNext: (key: string) => boolean,
): { blocks: MeasuredBlock[]; lines: Map<string, MeasuredLines> } {
  const blocks: MeasuredBlock[] = []
  const lines = new Map<string, MeasuredLines>()
  for (const el of flow.querySelectorAll<HTMLElement>('[data-block]')) {
    const key = el.dataset.block!
    const height = el.getBoundingClientRect().height
    const block: MeasuredBlock = { key, height, keepWithNext: keepWithNext(key) }
    const textEl = el.dataset.lines === undefined ? null : el.querySelector<HTMLElement>('[data-text]')
    if (textEl && height > 0) {
      const measuredLines = measureLines(textEl)
      lines.set(key, measuredLines)
      block.lines = measuredLines.heights
    }
    blocks.push(block)
  }
  return { blocks, lines }
}
