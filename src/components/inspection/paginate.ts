/**
 * Flows the blocks of a printed document into pages of a fixed height, from heights measured in the browser.
 * Pure: the component measures (src/components/inspection/measure.ts) and renders; this only decides what goes
 * where, so it is tested with given heights (a DOM without layout measures every height as 0).
 */

/** A block as measured: its height in px. A block of text lines may be split between lines, never inside one. */
export interface MeasuredBlock {
  key: string
  height: number
  /** The heights of its lines, for a block that may be split; the rest of `height` is its own padding. */
  lines?: readonly number[]
  /** A heading: never the last thing on a page, it goes over with what follows it. */
  keepWithNext?: boolean
}

/** What a page shows of a block: all of it, or lines `from` (inclusive) to `to` (exclusive). */
export interface PagePiece {
  key: string
  from?: number
  to?: number
}

/** Half a pixel of rounding is not an overflow. */
const SLACK = 0.5

/** The least of a block that can open a page: all of a box, the first line of a text. */
function firstPart(block: MeasuredBlock): number {
  if (!block.lines?.length) return block.height
  return overhead(block) + block.lines[0]!
}

function overhead(block: MeasuredBlock): number {
  const lines = block.lines ?? []
  return Math.max(0, block.height - lines.reduce((a, b) => a + b, 0))
}

/**
 * The pages, each a list of pieces, for blocks of the given heights on pages whose content is `pageHeight`
 * high. Always at least one page. A box taller than a page gets a page of its own (and is cut there); a line
 * taller than a page likewise. A text that does not fit goes on at the next page from the first line that
 * did not fit.
 */
export function paginate(blocks: readonly MeasuredBlock[], pageHeight: number): PagePiece[][] {
  const pages: PagePiece[][] = [[]]
  // Without a layout (nothing measured) everything is on one page.
  if (!(pageHeight > 0)) {
    pages[0] = blocks.map((b) => ({ key: b.key }))
    return pages
  }
  let used = 0
  const current = () => pages[pages.length - 1]!
  const newPage = () => {
    pages.push([])
    used = 0
  }
  const room = () => pageHeight - used

  blocks.forEach((block, i) => {
    const next = blocks[i + 1]
    if (block.lines?.length && block.height > room() + SLACK) {
      const lines = block.lines
      const pad = overhead(block)
      let from = 0
      while (from < lines.length) {
        let to = from
        let height = pad
        while (to < lines.length && height + lines[to]! <= room() + SLACK) height += lines[to++]!
        if (to === from) {
          if (current().length > 0) {
            newPage()
            continue
          }
          height += lines[to++]! // a line taller than a page: alone, cut at the page's end
        }
        current().push(to === lines.length && from === 0 ? { key: block.key } : { key: block.key, from, to })
        used += height
        from = to
        if (from < lines.length) newPage()
      }
      return
    }
    let needed = block.height
    // A heading takes with it at least the first part of what follows it.
    if (block.keepWithNext && next) needed += firstPart(next)
    if (needed > room() + SLACK && current().length > 0) newPage()
    current().push({ key: block.key })
    used += block.height
  })
  return pages
}
