/**
 * The kernel's hashes (src/kernel/canonical.ts) computed with Node's own SHA-256 instead of Web Crypto: the same
 * bytes and the same hex, without a job on the thread pool for each of a push's few hundred bytes. Web Crypto's
 * digest took 16 % of a server's CPU under 200 phones pushing (bench:scale, profiled).
 */
import { createHash } from 'node:crypto'
import { canonicalJson } from '../../src/kernel/canonical'

/** SHA-256 in hex of a string's UTF-8 bytes (as TextEncoder makes them) or of bytes. */
export function sha256HexNow(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex')
}

/** As the kernel's `sha256Hex`. */
export const sha256Hex = async (data: string | Uint8Array): Promise<string> => sha256HexNow(data)

/** As the kernel's `recordHash`: rejects (never throws) for a value canonical JSON refuses. */
export const recordHash = async (data: unknown): Promise<string> => sha256HexNow(canonicalJson(data))
