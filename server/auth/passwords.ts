import { randomBytes, timingSafeEqual, type ScryptOptions } from 'node:crypto'
import { Worker } from 'node:worker_threads'
import { ApiRefusal } from '../http/errors'

/**
 * The thread password hashes run on: one of its own, not libuv's pool (4 threads, which the push's
 * hashing and file access need), at the lowest CPU priority where the system allows it (Linux: a thread's
 * own nice value), so that when the machine is busy, sync goes first and sign-ins wait.
 */
const HASH_THREAD = `
const { parentPort } = require('node:worker_threads')
const { scryptSync } = require('node:crypto')
try {
  const tid = Number(require('node:fs').readlinkSync('/proc/thread-self').split('/').pop())
  require('node:os').setPriority(tid, 19)
} catch {}
parentPort.on('message', ({ id, password, salt, keylen, options }) => {
  try {
    parentPort.postMessage({ id, key: scryptSync(password, salt, keylen, options) })
  } catch (err) {
    parentPort.postMessage({ id, error: String(err) })
  }
})
`

let hashThread: Worker | undefined
const waitingHashes = new Map<number, { resolve(key: Buffer): void; reject(err: Error): void }>()
let hashNo = 0

function startHashThread(): Worker {
  const thread = new Worker(HASH_THREAD, { eval: true })
  thread.on('message', ({ id, key, error }: { id: number; key?: Uint8Array; error?: string }) => {
    const waiting = waitingHashes.get(id)
    waitingHashes.delete(id)
    // Idle, the thread does not keep the process alive.
    if (waitingHashes.size === 0) thread.unref()
    if (error !== undefined || !key) waiting?.reject(new Error(`password hash failed: ${error}`))
    else waiting?.resolve(Buffer.from(key.buffer, key.byteOffset, key.byteLength))
  })
  const fail = (err: Error) => {
    hashThread = undefined
    for (const waiting of waitingHashes.values()) waiting.reject(err)
    waitingHashes.clear()
  }
  thread.on('error', fail)
  thread.on('exit', (code) => fail(new Error(`the password hash thread stopped (${code})`)))
  return thread
}

/** What the process's password hashing has done: how many ran, and the most that ever ran at once. */
export const hashStats = { running: 0, peak: 0, count: 0 }

async function scrypt(password: string, salt: Buffer, keylen: number, options: ScryptOptions): Promise<Buffer> {
  hashStats.count++
  hashStats.peak = Math.max(hashStats.peak, ++hashStats.running)
  try {
    hashThread ??= startHashThread()
    const id = ++hashNo
    const key = new Promise<Buffer>((resolve, reject) => waitingHashes.set(id, { resolve, reject }))
    hashThread.ref()
    hashThread.postMessage({ id, password, salt, keylen, options })
    return await key
  } finally {
    hashStats.running--
  }
}

/** scrypt with N = 2^15, r = 8, p = 1: about 0.1 s and 32 MiB a guess, on purpose. */
const PARAMS = { N: 2 ** 15, r: 8, p: 1 }
const KEY_BYTES = 32
const maxmem = 64 * 1024 * 1024

/**
 * A hash of the same cost as every stored one that no password matches: an unknown username is checked
 * against it, so its answer takes as long as a known one's and timing does not tell which usernames exist.
 */
export const DUMMY_HASH = `scrypt$${PARAMS.N}$${PARAMS.r}$${PARAMS.p}$${'A'.repeat(22)}$${'A'.repeat(43)}`

/**
 * How many password hashes run at once in this process, and how many sign-ins may wait for a turn.
 *
 * Each hash takes a core for 0.1 s: a flood of sign-ins would otherwise take every core (before, on
 * libuv's threads, it stalled sync for seconds). So at most `atOnce` turns run (one by default; the hash
 * thread above runs one hash at a time anyway), and the others wait in line, first come first served. The
 * line holds `line` sign-ins, about 6 s of hashing: one that finds it full is refused at once with 429
 * `busy`, before anything is read or written, and so is one that waited `maxWaitMs` (the machine is slow
 * or busy) before the phone gives up (15 s). Waiting in line costs the server nothing, so a flood from
 * fewer connections than the line holds is slowed to the pace of the hashes; past that, each refusal is
 * one quick answer. Admins setting passwords always wait their turn.
 */
export class HashGate {
  private running = 0
  private readonly waiting: (() => void)[] = []

  constructor(
    public atOnce = 1,
    public line = 64,
    public maxWaitMs = 10_000,
  ) {}

  /** Runs `turn` when a slot is free; a sign-in (`signIn: true`) is refused when the line is full or slow. */
  async run<T>(turn: () => Promise<T>, { signIn }: { signIn: boolean }): Promise<T> {
    if (this.running < this.atOnce) {
      this.running++
    } else {
      const busy = () =>
        new ApiRefusal(429, 'busy', 'The server is busy signing others in; try again in a moment', {
          retryAfter: 1,
        })
      if (signIn && this.waiting.length >= this.line) throw busy()
      // The slot is handed over by the turn that ends, so `running` stays counted.
      await new Promise<void>((resolve, reject) => {
        const go = () => {
          clearTimeout(timer)
          resolve()
        }
        const timer = signIn
          ? setTimeout(() => {
              this.waiting.splice(this.waiting.indexOf(go), 1)
              reject(busy())
            }, this.maxWaitMs)
          : undefined
        this.waiting.push(go)
      })
    }
    try {
      return await turn()
    } finally {
      const next = this.waiting.shift()
      if (next) next()
      else this.running--
    }
  }
}

/** The one gate of this process: the cores it protects are the process's. */
export const passwordHashing = new HashGate()

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16)
  const key = await passwordHashing.run(() => scrypt(password, salt, KEY_BYTES, { ...PARAMS, maxmem }), {
    signIn: false,
  })
  return ['scrypt', PARAMS.N, PARAMS.r, PARAMS.p, salt.toString('base64url'), key.toString('base64url')].join('$')
}

/**
 * Whether `password` matches `stored`. It does not take a turn of the gate: a sign-in takes one for the
 * whole of its check (server/auth/accounts.ts), so that its attempt is counted before its hash runs.
 */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [kind, n, r, p, salt, key] = stored.split('$')
  if (kind !== 'scrypt' || !salt || !key) return false
  const expected = Buffer.from(key, 'base64url')
  const actual = await scrypt(password, Buffer.from(salt, 'base64url'), expected.length, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
    maxmem,
  })
  return actual.length === expected.length && timingSafeEqual(actual, expected)
}
