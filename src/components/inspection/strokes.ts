/**
 * A drawn signature as strokes (points in CSS pixels of the pad), drawn on the screen in the theme's ink and
 * saved as a PNG of black ink on white, cropped to the signature, whatever the phone's colour scheme.
 */
export interface StrokePoint {
  x: number
  y: number
  /** Line width in CSS px (a pen's pressure makes it vary; a finger or mouse draws evenly). */
  w: number
}
export type Stroke = StrokePoint[]

/** How much ink makes a signature: a stray tap or a dot is not one. */
export const MIN_INK_PX = 12

/** The length of ink drawn, in CSS px. */
export function inkLength(strokes: readonly Stroke[]): number {
  let length = 0
  for (const stroke of strokes)
    for (let i = 1; i < stroke.length; i++)
      length += Math.hypot(stroke[i]!.x - stroke[i - 1]!.x, stroke[i]!.y - stroke[i - 1]!.y)
  return length
}

export const isBlank = (strokes: readonly Stroke[]) => inkLength(strokes) < MIN_INK_PX

/** The box around the ink, with `pad` px around it. */
export function inkBounds(strokes: readonly Stroke[], pad: number): { x: number; y: number; w: number; h: number } {
  let [x0, y0, x1, y1] = [Infinity, Infinity, -Infinity, -Infinity]
  for (const stroke of strokes)
    for (const p of stroke) {
      x0 = Math.min(x0, p.x - p.w)
      y0 = Math.min(y0, p.y - p.w)
      x1 = Math.max(x1, p.x + p.w)
      y1 = Math.max(y1, p.y + p.w)
    }
  if (x0 > x1) return { x: 0, y: 0, w: 1, h: 1 }
  return { x: x0 - pad, y: y0 - pad, w: x1 - x0 + 2 * pad, h: y1 - y0 + 2 * pad }
}

/** Draws the strokes with round joints; a single point is a dot. */
export function drawStrokes(ctx: CanvasRenderingContext2D, strokes: readonly Stroke[], ink: string): void {
  ctx.strokeStyle = ink
  ctx.fillStyle = ink
  ctx.lineCap = 'round'
  ctx.lineJoin = 'round'
  for (const stroke of strokes) drawStroke(ctx, stroke, 0)
}

/** Draws a stroke from point `from` on (the pad draws only the new part of a stroke while it is drawn). */
export function drawStroke(ctx: CanvasRenderingContext2D, stroke: Stroke, from: number): void {
  if (stroke.length === 1 && from === 0) {
    const p = stroke[0]!
    ctx.beginPath()
    ctx.arc(p.x, p.y, p.w / 2, 0, Math.PI * 2)
    ctx.fill()
    return
  }
  for (let i = Math.max(1, from); i < stroke.length; i++) {
    const a = stroke[i - 1]!
    const b = stroke[i]!
    ctx.beginPath()
    ctx.lineWidth = (a.w + b.w) / 2
    ctx.moveTo(a.x, a.y)
    ctx.lineTo(b.x, b.y)
    ctx.stroke()
  }
}

/**
 * The signature as a PNG: black on white, cropped to the ink, at `scale` device pixels per CSS pixel (at least
 * 2, so it prints sharp).
 */
export async function signaturePng(strokes: readonly Stroke[], scale: number): Promise<Blob> {
  const box = inkBounds(strokes, 8)
  const canvas = document.createElement('canvas')
  canvas.width = Math.max(1, Math.ceil(box.w * scale))
  canvas.height = Math.max(1, Math.ceil(box.h * scale))
  const ctx = canvas.getContext('2d')
  if (!ctx) throw new Error('no 2D canvas')
  ctx.fillStyle = '#ffffff'
  ctx.fillRect(0, 0, canvas.width, canvas.height)
  ctx.setTransform(scale, 0, 0, scale, -box.x * scale, -box.y * scale)
  drawStrokes(ctx, strokes, '#000000')
  return new Promise((resolve, reject) =>
    canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error('the PNG was not made'))), 'image/png'),
  )
}

/** What the signature pad hands over once the signer is done: the PNG and its SHA-256, as photos travel. */
export interface DrawnSignature {
  bytes: ArrayBuffer
  sha256: string
  size: number
  type: 'image/png'
}
