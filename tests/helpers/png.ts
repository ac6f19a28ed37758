import { encodeRgbPng } from '../../scripts/png'

/**
 * An RGB PNG of `width` × `height` pixels of seeded noise: a photo the phone cannot shrink much, so its JPEG
 * stays a few hundred kilobytes and goes up in several chunks.
 */
export function noisePng(seed: number, width: number, height: number): Buffer {
  const raw = Buffer.alloc((width * 3 + 1) * height)
  let x = (seed * 2654435761) >>> 0
  for (let y = 0; y < height; y++) {
    const row = y * (width * 3 + 1)
    raw[row] = 0 // no filter
    for (let i = 1; i <= width * 3; i++) {
      x = (x * 1103515245 + 12345) >>> 0
      raw[row + i] = x >>> 24
    }
  }
  return encodeRgbPng(width, height, raw, 1)
}
