import { sha256Hex } from '@/kernel/canonical'
import { ZhixunError } from '@/kernel/errors'
import type { NewPhoto } from '@/db/records'

export class PhotoError extends ZhixunError<'unreadable' | 'too_large'> {
  constructor(code: PhotoError['code']) {
    super(code)
    this.name = 'PhotoError'
  }
}

/** Longest edge and JPEG quality, tried in turn until the photo fits the server's limit. */
const STEPS: [number, number][] = [
  [1600, 0.82],
  [1280, 0.75],
  [1024, 0.7],
  [800, 0.6],
]

/**
 * Shrinks a camera photo on the phone to a JPEG within `maxBytes` (a 12 MP photo becomes ~300 KB) and
 * names it by its SHA-256, so the server can verify every byte it receives.
 */
export async function compressPhoto(file: Blob, maxBytes: number): Promise<NewPhoto> {
  let bitmap: ImageBitmap
  try {
    bitmap = await createImageBitmap(file)
  } catch {
    throw new PhotoError('unreadable')
  }
  try {
    for (const [edge, quality] of STEPS) {
      const scale = Math.min(1, edge / Math.max(bitmap.width, bitmap.height))
      const canvas = new OffscreenCanvas(Math.round(bitmap.width * scale), Math.round(bitmap.height * scale))
      canvas.getContext('2d')!.drawImage(bitmap, 0, 0, canvas.width, canvas.height)
      const blob = await canvas.convertToBlob({ type: 'image/jpeg', quality })
      if (blob.size <= maxBytes) {
        const bytes = await blob.arrayBuffer()
        return { sha256: await sha256Hex(bytes), size: bytes.byteLength, type: 'image/jpeg', bytes }
      }
    }
    throw new PhotoError('too_large')
  } finally {
    bitmap.close()
  }
}
