// @vitest-environment happy-dom
import { flushPromises, mount } from '@vue/test-utils'
import { afterEach, describe, expect, it } from 'vitest'
import InspectionReading from '../../src/components/inspection/InspectionReading.vue'
import { i18n, setLocale } from '../../src/modules/i18n'
import type { Inspection } from '../../src/kernel/sync-schema'
import { HOSTILE } from '../helpers/records'
import { sampleInspection } from '../helpers/inspection-doc'

const urls = {
  photoUrl: (sha: string) => `/photo/${sha}`,
  signatureUrl: (sha: string) => `/signature/${sha}`,
}

function mountReading(inspection: Inspection) {
  return mount(InspectionReading, {
    props: { inspection, agency: '广州市市场监督管理局', ...urls },
    global: { plugins: [i18n] },
    attachTo: document.body,
  })
}

/** A hostile record: markup, control characters and very long text in the fields the party reads. */
function hostileInspection(): Inspection {
  const line = HOSTILE[0]!
  return sampleInspection({
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
    findings: `${HOSTILE[0]}\n${HOSTILE[3]}`,
    items: [{ name: line, count: 3 }],
    signatures: sampleInspection().signatures.map((s) => (s.role === 'party' ? { ...s, name: line } : s)),
  })
}

describe('InspectionReading', () => {
  afterEach(async () => {
    document.body.innerHTML = ''
    await setLocale('zh-CN')
  })

  it('flows the whole record in one column, no pages, hostile text as text, then the signatures', async () => {
    const inspection = hostileInspection()
    const wrapper = mountReading(inspection)
    await flushPromises()
    const flow = wrapper.get('[data-testid="reading-flow"]')
    expect(flow.isVisible()).toBe(true)
    // No page inside the column: no page header, no page number, no 第 X 页.
    expect(flow.findAll('[data-testid="doc-page"], [data-testid="doc-page-number"], .doc-header')).toHaveLength(0)
    expect(flow.text()).not.toContain('第 1 页')
    for (const s of [HOSTILE[0]!, HOSTILE[1]!, HOSTILE[2]!, HOSTILE[4]!, 'tab\tand\u0007bell and "quotes", commas'])
      expect(flow.element.textContent).toContain(s)
    expect(wrapper.element.querySelectorAll('script, img[src="x"], [onerror]')).toHaveLength(0)
    // The template's order, ending with the signature strip (the party's signature named with the hostile name).
    const text = flow.text()
    const order = ['现场检查笔录', '检查时间', '检查地点', '被检查人', '检查机关', '检查情况', '现场照片', '当事人签名']
    const at = order.map((s) => text.indexOf(s))
    expect(
      at.every((i) => i >= 0),
      order.filter((_, i) => at[i]! < 0).join(', '),
    ).toBe(true)
    expect([...at].sort((a, b) => a - b)).toEqual(at)
    const strip = flow.get('[data-testid="doc-signature-strip"]')
    expect(strip.get('[data-role="party"] img').attributes('src')).toBe(`/signature/${'04'.repeat(32)}`)
    expect(strip.get('[data-role="party"] img').attributes('alt')).toBe(`${HOSTILE[0]}的签名`)
    expect(strip.findAll('[data-role="inspector"] img')).toHaveLength(2)
    expect(flow.get('.doc-photo img').attributes('src')).toBe(`/photo/${inspection.photos[0]!.sha256}`)
    wrapper.unmount()
  })

  it('toggles to the printed pages and back; the pages stay laid out, hidden, while the column shows', async () => {
    const wrapper = mountReading(hostileInspection())
    await flushPromises()
    const toggle = wrapper.get('[data-testid="reading-toggle"]')
    const paged = wrapper.get('.reading-paged')
    expect(toggle.text()).toBe('按打印页查看')
    expect(toggle.attributes('aria-pressed')).toBe('false')
    expect(paged.classes()).toContain('is-hidden')
    expect(paged.attributes('aria-hidden')).toBe('true')
    // What prints: the paged document is there all along.
    expect(paged.findAll('[data-testid="doc-page"]').length).toBeGreaterThanOrEqual(1)

    await toggle.trigger('click')
    expect(toggle.attributes('aria-pressed')).toBe('true')
    expect(toggle.text()).toBe('按阅读方式查看')
    expect(paged.classes()).not.toContain('is-hidden')
    expect(paged.attributes('aria-hidden')).toBe('false')
    expect(wrapper.get('[data-testid="reading-flow"]').isVisible()).toBe(false)
    expect(paged.get('[data-testid="doc-page"]').text()).toContain(HOSTILE[0]!)
    expect(paged.element.querySelectorAll('img[src="x"]')).toHaveLength(0)

    await toggle.trigger('click')
    expect(wrapper.get('[data-testid="reading-flow"]').isVisible()).toBe(true)
    expect(paged.classes()).toContain('is-hidden')
    wrapper.unmount()
  })

  it('reads in English, with the toggle in English', async () => {
    await setLocale('en')
    const wrapper = mountReading(hostileInspection())
    await flushPromises()
    const flow = wrapper.get('[data-testid="reading-flow"]')
    expect(flow.attributes('lang')).toBe('en')
    expect(flow.attributes('aria-label')).toBe('On-site inspection record, full text')
    expect(flow.text()).toContain('On-site inspection record')
    expect(flow.element.textContent).toContain(HOSTILE[0]!)
    expect(flow.text()).not.toContain('现场检查笔录')
    const toggle = wrapper.get('[data-testid="reading-toggle"]')
    expect(toggle.text()).toBe('View as printed pages')
    await toggle.trigger('click')
    expect(toggle.text()).toBe('View for reading')
    expect(wrapper.element.querySelectorAll('img[src="x"]')).toHaveLength(0)
    wrapper.unmount()
  })
})
