// @vitest-environment happy-dom
import { flushPromises, mount } from '@vue/test-utils'
import { afterEach, describe, expect, it, vi } from 'vitest'
import InspectionDocument from '../../src/components/inspection/InspectionDocument.vue'
import { paginate, type MeasuredBlock, type PagePiece } from '../../src/components/inspection/paginate'
import { i18n, setLocale } from '../../src/modules/i18n'
import type { Inspection } from '../../src/kernel/sync-schema'
import { HOSTILE } from '../helpers/records'
import { longFindings, sampleInspection } from '../helpers/inspection-doc'

/** Every piece's height as the paginator counts it. */
function pieceHeight(block: MeasuredBlock, piece: PagePiece): number {
  if (piece.from === undefined) return block.height
  const lines = block.lines!
  const pad = block.height - lines.reduce((a, b) => a + b, 0)
  return pad + lines.slice(piece.from, piece.to).reduce((a, b) => a + b, 0)
}

/** What must hold of any pagination: order kept, every block and line exactly once, no page over full. */
function expectSound(blocks: MeasuredBlock[], pages: PagePiece[][], pageHeight: number) {
  const byKey = new Map(blocks.map((b) => [b.key, b]))
  const seen: string[] = []
  for (const page of pages) {
    expect(page.length).toBeGreaterThan(0)
    const used = page.reduce((sum, piece) => sum + pieceHeight(byKey.get(piece.key)!, piece), 0)
    // Only something that cannot fit on any page may overfill one, and then alone.
    if (used > pageHeight + 0.5) expect(page).toHaveLength(1)
    for (const piece of page) {
      const block = byKey.get(piece.key)!
      if (piece.from === undefined) seen.push(`${piece.key}:all`)
      else for (let l = piece.from; l < piece.to!; l++) seen.push(`${piece.key}:${l}`)
      expect(block).toBeDefined()
    }
  }
  const whole = new Set(seen.filter((s) => s.endsWith(':all')))
  const expected = blocks.flatMap((b) =>
    whole.has(`${b.key}:all`) ? [`${b.key}:all`] : b.lines!.map((_, l) => `${b.key}:${l}`),
  )
  expect(seen).toEqual(expected)
}

describe('the paginator, over measured heights', () => {
  it('fills pages in order and starts a new page when the next box does not fit', () => {
    const blocks = [100, 300, 250, 90, 400].map((height, i) => ({ key: `b${i}`, height }))
    const pages = paginate(blocks, 500)
    expect(pages.map((p) => p.map((x) => x.key))).toEqual([['b0', 'b1'], ['b2', 'b3'], ['b4']])
    expectSound(blocks, pages, 500)
  })

  it('splits a long text between lines, going on at the next page from the first line that did not fit', () => {
    const text: MeasuredBlock = { key: 'findings', height: 100 * 20 + 4, lines: Array(100).fill(20) }
    const blocks = [{ key: 'title', height: 200 }, text, { key: 'end', height: 50 }]
    const pages = paginate(blocks, 500)
    // 300 px left under the title: 4 px of padding and 14 lines; then 24 lines a page; the last 14 and the end.
    expect(pages[0]).toEqual([{ key: 'title' }, { key: 'findings', from: 0, to: 14 }])
    expect(pages[1]).toEqual([{ key: 'findings', from: 14, to: 38 }])
    expect(pages.at(-1)).toEqual([{ key: 'findings', from: 86, to: 100 }, { key: 'end' }])
    expect(pages).toHaveLength(5)
    expectSound(blocks, pages, 500)
  })

  it('keeps a heading with the first line of what follows it', () => {
    const blocks: MeasuredBlock[] = [
      { key: 'a', height: 440 },
      { key: 'h', height: 40, keepWithNext: true },
      { key: 't', height: 84, lines: [40, 40] },
    ]
    const pages = paginate(blocks, 500)
    expect(pages.map((p) => p.map((x) => x.key))).toEqual([['a'], ['h', 't']])
    expectSound(blocks, pages, 500)
  })

  it('gives a box or a line taller than a page a page of its own', () => {
    const blocks: MeasuredBlock[] = [
      { key: 'a', height: 100 },
      { key: 'huge', height: 900 },
      { key: 't', height: 700, lines: [100, 600] },
      { key: 'b', height: 10 },
    ]
    const pages = paginate(blocks, 500)
    expect(pages).toEqual([
      [{ key: 'a' }],
      [{ key: 'huge' }],
      [{ key: 't', from: 0, to: 1 }],
      [{ key: 't', from: 1, to: 2 }],
      [{ key: 'b' }],
    ])
  })

  it('puts everything on one page when nothing could be measured (no layout)', () => {
    const blocks = [
      { key: 'a', height: 0 },
      { key: 'b', height: 0, lines: [] },
    ]
    expect(paginate(blocks, 0)).toEqual([[{ key: 'a' }, { key: 'b' }]])
  })

  it('holds for any heights: order kept, every line once, no page over full', () => {
    let seed = 7
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) % n
    for (let run = 0; run < 200; run++) {
      const blocks: MeasuredBlock[] = Array.from({ length: 1 + rand(30) }, (_, i) => {
        if (rand(3) === 0) {
          const lines = Array.from({ length: 1 + rand(60) }, () => 10 + rand(20))
          return { key: `t${i}`, height: lines.reduce((a, b) => a + b, 0) + rand(8), lines }
        }
        return { key: `b${i}`, height: rand(700), keepWithNext: rand(5) === 0 }
      })
      const pageHeight = 300 + rand(400)
      expectSound(blocks, paginate(blocks, pageHeight), pageHeight)
    }
  })
})

const LINE = 20
const CHARS_PER_LINE = 40
const PAGE_ROOM = 800

/**
 * A stand-in for the browser's layout (the DOM in tests measures nothing): every line of text is 20 px and holds
 * 40 characters, every other block 30 px, the room on a page 800 px.
 */
function fakeLayout() {
  const linesOf = (el: Element) => Math.max(1, Math.ceil((el.textContent ?? '').length / CHARS_PER_LINE))
  const rect = (height: number, width = 600) =>
    ({ top: 0, left: 0, right: width, bottom: height, width, height, x: 0, y: 0, toJSON: () => ({}) }) as DOMRect
  vi.spyOn(Element.prototype, 'getBoundingClientRect').mockImplementation(function (this: Element) {
    if (this.matches('.doc-measure > .doc-page')) return rect(1123, 794)
    if (this.matches('.doc-measure .doc-body')) return rect(PAGE_ROOM)
    if (this.matches('.doc-flow [data-text]')) return rect(linesOf(this) * LINE)
    if (this.matches('.doc-flow [data-lines]')) return rect(linesOf(this) * LINE + 4)
    if (this.matches('.doc-flow [data-block]')) return rect(30)
    return rect(0, 0)
  })
  vi.spyOn(Range.prototype, 'getClientRects').mockImplementation(function (this: Range) {
    const top = Math.floor(this.startOffset / CHARS_PER_LINE) * LINE
    return [rect(LINE)].map((r) => ({ ...r, top })) as unknown as DOMRectList
  })
}

const urls = {
  photoUrl: (sha: string) => `/photo/${sha}`,
  signatureUrl: (sha: string) => `/signature/${sha}`,
}

function mountDocument(inspection: Inspection, mode: 'screen' | 'print' = 'print') {
  return mount(InspectionDocument, {
    props: { inspection, agency: '广州市市场监督管理局', mode, ...urls },
    global: { plugins: [i18n] },
    attachTo: document.body,
  })
}

describe('InspectionDocument', () => {
  afterEach(async () => {
    vi.restoreAllMocks()
    document.body.innerHTML = ''
    await setLocale('zh-CN')
  })

  it('shows hostile text typed into every field as text, on the page and in the signature strip', async () => {
    const line = HOSTILE[0]!
    const inspection = sampleInspection({
      place: HOSTILE[2]!,
      party: {
        id: null,
        name: line,
        creditCode: null,
        address: HOSTILE[4]!,
        personPresent: HOSTILE[1]!,
        personRole: line,
        phone: line.slice(0, 40),
      },
      inspectors: [
        { userId: sampleInspection().authorId, name: line.slice(0, 100), certificateNumber: line.slice(0, 40) },
      ],
      recorder: { userId: sampleInspection().authorId, name: HOSTILE[2]!, certificateNumber: null },
      findings: `${HOSTILE[0]}\n${HOSTILE[3]}`,
      items: [{ name: line, count: 3 }],
      signatures: sampleInspection()
        .signatures.filter((s) => s.role === 'inspector')
        .map((s) => ({ ...s, name: line })),
      refusal: { reason: `${HOSTILE[0]} ${HOSTILE[1]}`, witnessName: line },
    })
    inspection.signatures.push({ ...inspection.signatures[0]!, role: 'witness', userId: null, sha256: 'e'.repeat(64) })
    const wrapper = mountDocument(inspection)
    await flushPromises()
    const root = wrapper.element
    for (const s of [HOSTILE[0]!, HOSTILE[1]!, HOSTILE[2]!, HOSTILE[4]!, 'tab\tand\u0007bell and "quotes", commas'])
      expect(root.querySelector('.doc-viewport')!.textContent).toContain(s)
    expect(root.querySelectorAll('script, img[src="x"], [onerror]')).toHaveLength(0)
    // The party refused: the strip says so, with the witness's signature; the inspectors' signatures are there.
    const strip = root.querySelector('.doc-viewport [data-testid="doc-signature-strip"]')!
    expect(strip.textContent).toContain('当事人拒绝签名')
    expect(strip.querySelectorAll('[data-role="witness"] img')).toHaveLength(1)
    expect(strip.querySelectorAll('[data-role="inspector"] img')).toHaveLength(2)
    expect(strip.querySelector('img')!.getAttribute('alt')).toBe(`${line}的签名`)
    wrapper.unmount()
  })

  it('lays out the template in order, with the photos and their SHA-256, and 第 1 页 共 1 页', async () => {
    const inspection = sampleInspection()
    const wrapper = mountDocument(inspection)
    await flushPromises()
    const pages = wrapper.findAll('.doc-viewport [data-testid="doc-page"]')
    expect(pages).toHaveLength(1)
    expect(pages[0]!.find('.doc-header').text()).toContain('广州市市场监督管理局')
    const text = `${pages[0]!.find('.doc-body').text()} ${pages[0]!.find('.doc-footer').text()}`
    const order = [
      '现场检查笔录',
      '检查时间',
      '检查地点',
      '被检查人',
      '914403001922038216',
      '检查机关',
      '广州市市场监督管理局',
      '李执法',
      '44010020001',
      '陈执法',
      '记录人',
      '出示执法证件',
      '检查情况',
      '蓝牙耳机',
      '现场照片',
      `SHA-256 ${inspection.photos[0]!.sha256}`,
      '检查人员 李执法 于',
      '第 1 页 共 1 页',
    ]
    const at = order.map((s) => text.indexOf(s))
    expect(
      at.every((i) => i >= 0),
      order.filter((_, i) => at[i]! < 0).join(', '),
    ).toBe(true)
    expect([...at].sort((a, b) => a - b)).toEqual(at)
    expect(pages[0]!.find('.doc-photo img').attributes('src')).toBe(`/photo/${inspection.photos[0]!.sha256}`)
    const strip = pages[0]!.find('[data-testid="doc-signature-strip"]')
    expect(strip.find('[data-role="party"] img').attributes('src')).toBe(`/signature/${'04'.repeat(32)}`)
    expect(strip.findAll('[data-role="inspector"] img')).toHaveLength(2)
    wrapper.unmount()
  })

  it('splits 10,000 characters of findings over pages at line ends, each page numbered with the signatures', async () => {
    fakeLayout()
    const findings = longFindings(10_000)
    const wrapper = mountDocument(sampleInspection({ findings }))
    await flushPromises()
    const pages = wrapper.findAll('.doc-viewport [data-testid="doc-page"]')
    expect(pages.length).toBeGreaterThan(5)
    expect(wrapper.attributes('data-pages')).toBe(String(pages.length))
    pages.forEach((page, k) => {
      expect(page.find('[data-testid="doc-page-number"]').text()).toBe(`第 ${k + 1} 页 共 ${pages.length} 页`)
      expect(page.findAll('[data-testid="doc-signature-strip"] img')).toHaveLength(3)
      // What a page holds fits its room, as the stand-in layout measures it.
      const used = page
        .findAll('[data-block]')
        .reduce(
          (sum, b) =>
            sum +
            (b.attributes('data-lines') === undefined
              ? 30
              : Math.max(1, Math.ceil(b.text().length / CHARS_PER_LINE)) * LINE + 4),
          0,
        )
      expect(used).toBeLessThanOrEqual(PAGE_ROOM)
    })
    // Every paragraph comes out whole, in order, once; a paragraph cut between pages is cut at a line's start.
    const pieces = pages.flatMap((page) =>
      page.findAll('[data-block^="findings-"]').map((b) => ({ key: b.attributes('data-block')!, text: b.text() })),
    )
    const paragraphs = findings.split('\n')
    const joined = paragraphs.map((_, i) =>
      pieces
        .filter((p) => p.key === `findings-${i}`)
        .map((p) => p.text)
        .join(''),
    )
    expect(joined).toEqual(paragraphs)
    for (const [i, paragraph] of paragraphs.entries()) {
      const parts = pieces.filter((p) => p.key === `findings-${i}`)
      let offset = 0
      for (const part of parts) {
        expect(offset % CHARS_PER_LINE, `paragraph ${i} cut inside a line`).toBe(0)
        offset += part.text.length
      }
      expect(offset).toBe(paragraph.length)
    }
    wrapper.unmount()
  })

  it('says "Page X of Y" in English, and shows zoom and full screen on screen', async () => {
    await setLocale('en')
    fakeLayout()
    const wrapper = mountDocument(sampleInspection({ findings: longFindings(4000) }), 'screen')
    await flushPromises()
    const numbers = wrapper.findAll('.doc-viewport [data-testid="doc-page-number"]').map((n) => n.text())
    expect(numbers.length).toBeGreaterThan(1)
    expect(numbers).toEqual(numbers.map((_, k) => `Page ${k + 1} of ${numbers.length}`))
    expect(wrapper.text()).toContain('On-site inspection record')
    await wrapper.get('[data-testid="doc-fullscreen"]').trigger('click')
    await flushPromises()
    expect(wrapper.classes()).toContain('is-fullscreen')
    await wrapper.get('[data-testid="doc-exit-fullscreen"]').trigger('click')
    expect(wrapper.classes()).not.toContain('is-fullscreen')
    expect(wrapper.get('[data-testid="doc-zoom-out"]').attributes('disabled')).toBeDefined()
    await wrapper.get('[data-testid="doc-zoom-in"]').trigger('click')
    expect(wrapper.get('[data-testid="doc-zoom-out"]').attributes('disabled')).toBeUndefined()
    wrapper.unmount()
  })

  it('while shown, sets A4 sheets without printer margins, and only then', async () => {
    // A constructed sheet (the app's Content-Security-Policy allows no inline <style>); the test DOM does not
    // parse @page rules, so what the sheet was given is read as it is given.
    const given = new Map<CSSStyleSheet, string>()
    const replaceSync = CSSStyleSheet.prototype.replaceSync
    vi.spyOn(CSSStyleSheet.prototype, 'replaceSync').mockImplementation(function (this: CSSStyleSheet, css: string) {
      given.set(this, css)
      replaceSync.call(this, css)
    })
    const pageRules = () => document.adoptedStyleSheets.map((sheet) => given.get(sheet)).filter(Boolean)
    const wrapper = mountDocument(sampleInspection())
    expect(pageRules()).toEqual(['@page { size: A4 portrait; margin: 0; }'])
    wrapper.unmount()
    expect(pageRules()).toEqual([])
  })
})
