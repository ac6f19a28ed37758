// @vitest-environment happy-dom
import { createHash } from 'node:crypto'
import { flushPromises, mount } from '@vue/test-utils'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import SignaturePad from '../../src/components/inspection/SignaturePad.vue'
import { inkBounds, isBlank } from '../../src/components/inspection/strokes'
import type { DrawnSignature } from '../../src/components/inspection/strokes'
import { i18n } from '../../src/modules/i18n'
import { HOSTILE } from '../helpers/records'
import { noisePng } from '../helpers/png'

/** What was drawn on each canvas: a stand-in for the 2D context the test DOM lacks. */
interface Drawn {
  canvas: HTMLCanvasElement
  fills: { style: string; rect: number[] }[]
  strokes: { style: string; from: number[]; to: number[] }[]
}

let drawn: Drawn[] = []
const PNG = noisePng(3, 8, 8)

beforeEach(() => {
  drawn = []
  const contexts = new WeakMap<HTMLCanvasElement, CanvasRenderingContext2D>()
  vi.spyOn(HTMLCanvasElement.prototype, 'getContext').mockImplementation(function (this: HTMLCanvasElement) {
    let ctx = contexts.get(this)
    if (!ctx) {
      const record: Drawn = { canvas: this, fills: [], strokes: [] }
      drawn.push(record)
      let at = [0, 0]
      const fake = {
        fillStyle: '',
        strokeStyle: '',
        lineWidth: 1,
        lineCap: 'butt',
        lineJoin: 'miter',
        setTransform() {},
        clearRect() {},
        fillRect(...rect: number[]) {
          record.fills.push({ style: fake.fillStyle, rect })
        },
        beginPath() {},
        arc() {},
        fill() {},
        moveTo(x: number, y: number) {
          at = [x, y]
        },
        lineTo(x: number, y: number) {
          record.strokes.push({ style: fake.strokeStyle, from: at, to: [x, y] })
        },
        stroke() {},
      }
      ctx = fake as unknown as CanvasRenderingContext2D
      contexts.set(this, ctx)
    }
    return ctx
  } as unknown as typeof HTMLCanvasElement.prototype.getContext)
  vi.spyOn(HTMLCanvasElement.prototype, 'toBlob').mockImplementation((done: BlobCallback) =>
    done(new Blob([new Uint8Array(PNG)], { type: 'image/png' })),
  )
})
afterEach(() => {
  vi.restoreAllMocks()
  document.body.innerHTML = ''
})

function mountPad(signerName = '王经理') {
  return mount(SignaturePad, {
    props: { label: '当事人签名', signerName },
    global: { plugins: [i18n] },
    attachTo: document.body,
  })
}

function pointer(type: string, x: number, y: number, pointerType = 'touch') {
  return new PointerEvent(type, { clientX: x, clientY: y, pointerId: 7, pointerType, bubbles: true, button: 0 })
}

function draw(canvas: Element, points: [number, number][], pointerType = 'touch') {
  const [first, ...rest] = points
  canvas.dispatchEvent(pointer('pointerdown', first![0], first![1], pointerType))
  for (const [x, y] of rest) canvas.dispatchEvent(pointer('pointermove', x, y, pointerType))
  const last = points.at(-1)!
  canvas.dispatchEvent(pointer('pointerup', last[0], last[1], pointerType))
}

describe('strokes', () => {
  it('count a tap or a dot as no signature, and bound the ink with room around it', () => {
    expect(isBlank([])).toBe(true)
    expect(isBlank([[{ x: 5, y: 5, w: 2 }]])).toBe(true)
    expect(
      isBlank([
        [
          { x: 5, y: 5, w: 2 },
          { x: 9, y: 5, w: 2 },
        ],
      ]),
    ).toBe(true)
    const signature = [
      [
        { x: 10, y: 20, w: 2 },
        { x: 60, y: 40, w: 2 },
      ],
    ]
    expect(isBlank(signature)).toBe(false)
    expect(inkBounds(signature, 8)).toEqual({ x: 0, y: 10, w: 70, h: 40 })
  })
})

describe('SignaturePad', () => {
  it('refuses an empty pad with a message, from the keyboard too, and hands over nothing', async () => {
    const wrapper = mountPad()
    const done = wrapper.get('[data-testid="signature-done"]')
    expect(done.element.tagName).toBe('BUTTON')
    ;(done.element as HTMLButtonElement).focus()
    expect(document.activeElement).toBe(done.element)
    await done.trigger('click')
    await flushPromises()
    expect(wrapper.get('[data-testid="signature-message"]').attributes('role')).toBe('alert')
    expect(wrapper.get('[data-testid="signature-message"]').text()).toContain('框内还没有签名')
    expect(wrapper.emitted('signed')).toBeUndefined()

    // A tap is not a signature either.
    draw(wrapper.get('canvas').element, [[30, 30]])
    await done.trigger('click')
    await flushPromises()
    expect(wrapper.find('[data-testid="signature-message"]').exists()).toBe(true)
    expect(wrapper.emitted('signed')).toBeUndefined()
    wrapper.unmount()
  })

  it('draws with a finger and hands over a PNG of black ink on white with its SHA-256', async () => {
    const wrapper = mountPad()
    const canvas = wrapper.get('canvas').element
    draw(canvas, [
      [20, 30],
      [40, 50],
      [80, 45],
      [120, 70],
    ])
    await flushPromises()
    // On screen, in the theme's ink, segment by segment as the finger moves.
    const screen = drawn.find((d) => d.canvas === canvas)!
    expect(screen.strokes.map((s) => [...s.from, ...s.to])).toEqual([
      [20, 30, 40, 50],
      [40, 50, 80, 45],
      [80, 45, 120, 70],
    ])
    expect(wrapper.find('.signature-pad-hint').classes()).toContain('is-hidden')

    await wrapper.get('[data-testid="signature-done"]').trigger('click')
    // Hashing runs off the main thread: wait for it, not for a number of ticks.
    await vi.waitFor(() => expect(wrapper.emitted('signed')).toHaveLength(1))
    const signed = wrapper.emitted('signed') as [DrawnSignature][] | undefined
    const out = signed![0]![0]
    expect(out.type).toBe('image/png')
    expect(Buffer.from(out.bytes)).toEqual(PNG)
    expect(out.size).toBe(PNG.length)
    expect(out.sha256).toBe(createHash('sha256').update(PNG).digest('hex'))
    expect(wrapper.find('[data-testid="signature-message"]').exists()).toBe(false)

    // The saved image: white ground, black ink, the same strokes, cropped to them.
    const saved = drawn.find((d) => d.canvas !== canvas)!
    expect(saved.fills[0]!.style).toBe('#ffffff')
    expect(saved.strokes.map((s) => s.style)).toEqual(['#000000', '#000000', '#000000'])
    expect(saved.strokes.map((s) => [...s.from, ...s.to])).toEqual(screen.strokes.map((s) => [...s.from, ...s.to]))
    expect(saved.canvas.width).toBeLessThan(2 * 140)
    wrapper.unmount()
  })

  it('forgets the strokes on clear, and then refuses again', async () => {
    const wrapper = mountPad()
    draw(wrapper.get('canvas').element, [
      [10, 10],
      [90, 90],
    ])
    await wrapper.get('[data-testid="signature-clear"]').trigger('click')
    expect(wrapper.emitted('cleared')).toHaveLength(1)
    expect(wrapper.find('.signature-pad-hint').classes()).not.toContain('is-hidden')
    await wrapper.get('[data-testid="signature-done"]').trigger('click')
    await flushPromises()
    expect(wrapper.find('[data-testid="signature-message"]').exists()).toBe(true)
    expect(wrapper.emitted('signed')).toBeUndefined()
    wrapper.unmount()
  })

  it('ignores a second finger while one is signing', async () => {
    const wrapper = mountPad()
    const canvas = wrapper.get('canvas').element
    canvas.dispatchEvent(pointer('pointerdown', 10, 10))
    canvas.dispatchEvent(
      new PointerEvent('pointermove', {
        clientX: 300,
        clientY: 300,
        pointerId: 8,
        pointerType: 'touch',
        bubbles: true,
      }),
    )
    canvas.dispatchEvent(pointer('pointermove', 20, 10))
    canvas.dispatchEvent(pointer('pointerup', 20, 10))
    const screen = drawn.find((d) => d.canvas === canvas)!
    expect(screen.strokes.map((s) => [...s.from, ...s.to])).toEqual([[10, 10, 20, 10]])
    wrapper.unmount()
  })

  it('shows the label and the signer name as text, never markup', () => {
    const wrapper = mountPad(HOSTILE[0]!)
    expect(wrapper.text()).toContain(HOSTILE[0]!)
    expect(wrapper.get('canvas').attributes('aria-label')).toContain(HOSTILE[0]!)
    expect(wrapper.element.querySelectorAll('script, img, [onerror]')).toHaveLength(0)
    wrapper.unmount()
  })
})
