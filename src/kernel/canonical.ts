import { ZhixunError } from './errors'

/**
 * The deepest nesting of arrays and objects canonical JSON takes, and the server accepts in a request body.
 * A record is three levels deep (a push's envelope adds three); anything near this is not a record.
 */
export const MAX_JSON_DEPTH = 64

/** A value nested more than MAX_JSON_DEPTH levels deep: not a record, and it would overflow the stack. */
export class JsonTooDeep extends ZhixunError<'too_deep'> {
  constructor() {
    super('too_deep', `JSON nested more than ${MAX_JSON_DEPTH} levels deep`)
  }
}

/**
 * Whether `value` nests arrays and objects more than `max` levels deep (a number is 0 levels, `[]` is 1,
 * `[[]]` 2). Walked without recursion, so it answers for any depth, and for a cycle, without overflowing.
 */
export function nestedDeeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 0]]
  for (let item = stack.pop(); item; item = stack.pop()) {
    const [node, depth] = item
    if (node === null || typeof node !== 'object') continue
    if (depth >= max) return true
    for (const child of Array.isArray(node) ? node : Object.values(node)) stack.push([child, depth + 1])
  }
  return false
}

/**
 * JSON with object keys sorted at every level, so the same value always hashes the same on phone and server.
 * A value nested more than MAX_JSON_DEPTH levels deep is refused with JsonTooDeep, never a stack overflow.
 */
export function canonicalJson(value: unknown): string {
  if (nestedDeeperThan(value, MAX_JSON_DEPTH)) throw new JsonTooDeep()
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : v,
  )
}

const hex = (buf: ArrayBuffer) => Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, '0')).join('')

/** SHA-256 in hex, with Web Crypto: the same function on the phone and in Node. */
export async function sha256Hex(data: string | BufferSource): Promise<string> {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data
  return hex(await crypto.subtle.digest('SHA-256', bytes))
}

/** The hash of a record: rejects (never throws) for a value canonical JSON refuses. */
export const recordHash = async (data: unknown): Promise<string> => sha256Hex(canonicalJson(data))
