import { afterAll, beforeAll, expect, it } from 'vitest'
import type { PullResponse, PushResponse } from '../../src/kernel/sync-schema'
import { makeCheckIn } from '../helpers/records'
import { describeStores, makeServer, signedIn, type TestServer } from '../helpers/server'

type Who = { user: { id: string }; cookie: string }

const WRITERS = 8
const PUSHES = 6
const PER_PUSH = 3
/** Small pages: the reader takes many turns while the pushes commit. */
const PAGE = 4

// The promise of the version cursor (server/sync/push.ts, lockVersion): versions commit in the order they
// are handed out, so a reader that has passed a version never later meets a change below it.
describeStores('a pull never skips a version, on %s', (kind) => {
  let s: TestServer
  /** One inspector's eight phones: a phone pulls its user's records only, so the reader is that user too. */
  let writers: Who[]
  let reader: Who
  beforeAll(async () => {
    s = await makeServer(kind)
    reader = await signedIn(s, 'inspector', '省知识产权局')
    writers = Array.from({ length: WRITERS }, () => reader)
  }, 60_000)
  afterAll(() => s?.close())

  const pull = async (cursor: number): Promise<PullResponse> => {
    const res = await s.app.inject({
      url: `/api/sync/pull?cursor=${cursor}&limit=${PAGE}`,
      headers: { cookie: reader.cookie },
    })
    expect(res.statusCode, res.body).toBe(200)
    return res.json()
  }

  it('gives a reader racing pushes from eight phones every committed change, none behind its cursor', async () => {
    const committed = new Set<string>()
    let writing = true
    const write = async (w: Who, phone: number) => {
      let seq = 0
      for (let p = 0; p < PUSHES; p++) {
        const checkIns = Array.from({ length: PER_PUSH }, () => makeCheckIn({ authorId: w.user.id }))
        const res = await s.app.inject({
          method: 'POST',
          url: '/api/sync/push',
          headers: { cookie: w.cookie },
          payload: {
            clientId: `racer-${kind}-${phone}`,
            mutations: checkIns.map((args) => ({ seq: ++seq, name: 'checkin.create', args })),
          },
        })
        expect(res.statusCode, res.body).toBe(200)
        expect((res.json() as PushResponse).results.map((r) => r.status)).toEqual(checkIns.map(() => 'applied'))
        for (const c of checkIns) committed.add(c.id)
      }
    }
    const writes = Promise.all(writers.map(write)).finally(() => (writing = false))
    writes.catch(() => undefined) // a failed push is reported where it is awaited, below

    // Another phone of theirs pulls over and over while they push, moving its cursor on after every page.
    const seen: { id: string; version: number; cursor: number }[] = []
    let cursor = 0
    let pagesWhileWriting = 0
    for (;;) {
      const last = !writing // once every push has answered, one more round reads the rest
      for (;;) {
        const page = await pull(cursor)
        for (const c of page.changes) seen.push({ id: c.id, version: c.version, cursor })
        if (writing && page.changes.length > 0) pagesWhileWriting++
        cursor = page.cursor
        if (!page.more) break
      }
      if (last) break
      await new Promise((r) => setImmediate(r)) // let the pushes move on between rounds
    }
    await writes

    // The reader did race the writers: it met changes before the last push had committed.
    expect(pagesWhileWriting).toBeGreaterThan(0)
    // Each change was met once, ahead of the cursor it was read from, in the order of versions.
    expect(seen.filter((c) => c.version <= c.cursor)).toEqual([])
    const versions = seen.map((c) => c.version)
    expect(versions).toEqual([...new Set(versions)].sort((a, b) => a - b))
    // Everything committed was met: nothing committed below a cursor the reader had already passed.
    expect(committed.size).toBe(WRITERS * PUSHES * PER_PUSH)
    const met = new Set(seen.map((c) => c.id))
    const everything = await s.app.inject({
      url: '/api/sync/pull?cursor=0&limit=500',
      headers: { cookie: reader.cookie },
    })
    const onServer = (everything.json() as PullResponse).changes
    const skipped = onServer.filter((c) => !met.has(c.id)).map((c) => `${c.id} at version ${c.version}`)
    expect(skipped, `passed by a reader now at cursor ${cursor}`).toEqual([])
    expect(met).toEqual(committed)
    expect(new Set(onServer.map((c) => c.id))).toEqual(committed)
  }, 60_000)
})
