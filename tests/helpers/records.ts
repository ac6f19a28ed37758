import { createHash } from 'node:crypto'
import type { CheckIn, FieldNote } from '../../src/kernel/sync-schema'
import { uuidv7 } from '../../src/kernel/uuid'

/** Records need an author: tests pass the signed-in user's id; this one stands for nobody. */
export const NO_AUTHOR = '00000000-0000-7000-8000-000000000000'

export function makeCheckIn(overrides: Partial<CheckIn> = {}): CheckIn {
  return {
    id: uuidv7(),
    authorId: NO_AUTHOR,
    venueName: '广交会展馆 A 区',
    venueType: 'trade_fair',
    occurredAt: '2026-11-20T02:30:00.000Z',
    location: { lat: 23.1066, lng: 113.3614, accuracy: 12 },
    outcome: 'suspected',
    premisesInspected: 14,
    itemsSeized: 3,
    note: '展位 3.2C 的蓝牙耳机疑似仿冒。',
    taskNumbers: [28],
    campaignId: null,
    photos: [],
    correctionOf: null,
    createdAt: '2026-11-20T02:31:00.000Z',
    ...overrides,
  }
}

export function makeNote(overrides: Partial<FieldNote> = {}): FieldNote {
  return {
    id: uuidv7(),
    authorId: NO_AUTHOR,
    taskNumber: 28,
    text: '展会主办方愿意提供参展商名单。',
    createdAt: '2026-11-20T03:00:00.000Z',
    updatedAt: '2026-11-20T03:00:00.000Z',
    ...overrides,
  }
}

/** Bytes that look like a small JPEG, different for each seed. */
export function photoBytes(seed: number, size = 40_000): Buffer {
  const b = Buffer.alloc(size)
  let x = seed * 2654435761
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0
    b[i] = x >>> 24
  }
  b[0] = 0xff
  b[1] = 0xd8
  return b
}

export const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex')

/** Text a hostile or careless user might type: markup, a spreadsheet formula, bidi overrides, control characters, length. */
export const HOSTILE = [
  '<script>alert(1)</script><img src=x onerror=alert(2)>',
  '=HYPERLINK("http://evil.example","点我")',
  '\u202eevil\u202c 右到左',
  'tab\tand\u0007bell and "quotes", commas\r\nand lines',
  '长'.repeat(200),
]
