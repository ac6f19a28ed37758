/** The server's SHA-256 (server/sync/hash.ts) gives exactly the phone's Web Crypto hashes (src/kernel/canonical.ts). */
import { expect, it } from 'vitest'
import * as kernel from '../../src/kernel/canonical'
import * as server from '../../server/sync/hash'
import { makeCheckIn } from '../helpers/records'

const TEXTS = [
  '',
  'a',
  '例行巡查，未见明显侵权商品。',
  '👍 emoji and 𠀀 beyond the basic plane',
  // Lone surrogates: both encoders write U+FFFD for each.
  'broken \ud800 pair \udc00 end',
  '\u0000 nul and \r\n line ends',
  'x'.repeat(100_000),
]

it('hashes text as the phone does, whatever its characters', async () => {
  for (const text of TEXTS) expect(await server.sha256Hex(text)).toBe(await kernel.sha256Hex(text))
  for (let i = 0; i < 200; i++) {
    const text = String.fromCharCode(...Array.from({ length: i }, () => Math.floor(Math.random() * 0x10000)))
    expect(server.sha256HexNow(text)).toBe(await kernel.sha256Hex(text))
  }
})

it('hashes bytes and records as the phone does', async () => {
  const bytes = new Uint8Array(Array.from({ length: 4096 }, (_, i) => (i * 31) & 255))
  expect(await server.sha256Hex(bytes)).toBe(await kernel.sha256Hex(bytes))
  const record = makeCheckIn({ note: '档口 3 号，查见疑似侵权商品 12 件' })
  expect(await server.recordHash(record)).toBe(await kernel.recordHash(record))
  expect(await server.recordHash({ b: 1, a: [{ d: 2, c: 3 }] })).toBe(
    await kernel.recordHash({ a: [{ c: 3, d: 2 }], b: 1 }),
  )
})

it('rejects, never throws, for a value canonical JSON refuses', async () => {
  let deep: unknown = 1
  for (let i = 0; i < 100; i++) deep = [deep]
  const hashing = server.recordHash(deep)
  await expect(hashing).rejects.toThrow(kernel.JsonTooDeep)
})
