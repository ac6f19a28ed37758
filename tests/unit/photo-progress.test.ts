import 'fake-indexeddb/auto'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ZhixunDB } from '../../src/db/db'
import { saveCheckIn } from '../../src/db/records'
import { dexieSyncStorage } from '../../src/db/syncStorage'
import { SyncEngine, type PhotoUploadProgress } from '../../src/sync/engine'
import { httpTransport } from '../../src/sync/transport'
import { makeCheckIn, photoBytes, sha256 } from '../helpers/records'
import { makeServer, signedIn, type TestServer } from '../helpers/server'
import { faultyFetch, injectFetch } from '../helpers/sync'

let s: TestServer
let me: { user: { id: string }; cookie: string }
beforeEach(async () => {
  s = await makeServer('sqlite')
  me = await signedIn(s)
})
afterEach(() => s.close())

function photo(seed: number, size: number, source?: 'camera' | 'gallery') {
  const bytes = photoBytes(seed, size)
  return {
    sha256: sha256(bytes),
    size,
    type: 'image/jpeg' as const,
    ...(source ? { source } : {}),
    bytes: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer,
  }
}

/** A phone whose engine reports every step of the photo uploads into `seen`. */
function phoneWithProgress(failOn?: (n: number, url: string) => boolean) {
  const seen: (readonly PhotoUploadProgress[])[] = []
  const db = new ZhixunDB(`progress-${Math.random().toString(36).slice(2)}`)
  const fetchFn = faultyFetch(injectFetch(s.app, me.cookie), (n, url) => (failOn?.(n, url) ? 'drop-request' : 'none'))
  const engine = new SyncEngine(dexieSyncStorage(db), httpTransport('', fetchFn), {
    chunkBytes: 16_000,
    onPhotoProgress: (p) => seen.push(p),
  })
  return { db, engine, seen }
}

describe('photo upload progress', () => {
  it('tells, chunk by chunk, how far each photo of a check-in has gone up, then that it is over', async () => {
    const phone = phoneWithProgress()
    const a = photo(1, 50_000, 'camera')
    const b = photo(2, 20_000, 'gallery')
    const refs = [a, b].map(({ bytes: _bytes, ...ref }) => ref)
    await saveCheckIn(phone.db, makeCheckIn({ authorId: me.user.id, photos: refs }), [a, b])
    expect(await phone.engine.sync()).toMatchObject({ pushed: 1, photosUploaded: 2 })

    expect(phone.seen.at(-1)).toEqual([]) // over: nothing left to show
    const steps = phone.seen.slice(0, -1)
    expect(steps[0]).toEqual([
      { sha256: a.sha256, size: 50_000, sent: 0 },
      { sha256: b.sha256, size: 20_000, sent: 0 },
    ])
    // 50 000 bytes in chunks of 16 000: 16 000, 32 000, 48 000, all; then the second photo's two chunks.
    const sentOf = (sha: string) => steps.map((p) => p.find((x) => x.sha256 === sha)!.sent)
    expect([...new Set(sentOf(a.sha256))]).toEqual([0, 16_000, 32_000, 48_000, 50_000])
    expect([...new Set(sentOf(b.sha256))]).toEqual([0, 16_000, 20_000])
    // The second photo starts only once the first is all there, and nothing ever goes backwards.
    for (const [i, p] of steps.entries()) {
      if (p[1]!.sent > 0) expect(p[0]!.sent).toBe(50_000)
      if (i > 0) for (const [k, x] of p.entries()) expect(x.sent).toBeGreaterThanOrEqual(steps[i - 1]![k]!.sent)
    }
    expect(steps.at(-1)!.map((p) => p.sent)).toEqual([50_000, 20_000])
  })

  it('starts a resumed upload where the server is, and clears the progress when the link fails', async () => {
    let chunks = 0
    // The third chunk never reaches the server; the first two do.
    const phone = phoneWithProgress((_n, url) => url.includes('/api/photos/') && ++chunks === 3)
    const a = photo(3, 60_000)
    const ref = { sha256: a.sha256, size: a.size, type: a.type }
    await saveCheckIn(phone.db, makeCheckIn({ authorId: me.user.id, photos: [ref] }), [a])
    await expect(phone.engine.sync()).rejects.toThrow()
    expect(phone.seen.at(-1)).toEqual([])
    expect(Math.max(...phone.seen.flatMap((p) => p.map((x) => x.sent)))).toBe(32_000)

    phone.seen.length = 0
    await phone.engine.sync()
    // The server had 32 000 bytes: the bar starts there, not at nought.
    expect(phone.seen[1]).toEqual([{ sha256: a.sha256, size: 60_000, sent: 32_000 }])
    expect(phone.seen.at(-2)).toEqual([{ sha256: a.sha256, size: 60_000, sent: 60_000 }])
    expect(phone.seen.at(-1)).toEqual([])
  })
})
