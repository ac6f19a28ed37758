import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { recordHash } from '../../src/kernel/canonical'
import type { Change, PullResponse, PushResponse } from '../../src/kernel/sync-schema'
import { makeCheckIn as anyCheckIn, makeNote as anyNote, photoBytes, sha256 } from '../helpers/records'
import { makeServer, signedIn, describeStores, type TestServer } from '../helpers/server'
import type { CheckIn, FieldNote } from '../../src/kernel/sync-schema'

describeStores('sync server on %s', (kind) => {
  let s: TestServer
  let failNextCommit = false
  let me: { user: { id: string }; cookie: string }
  const makeCheckIn = (o: Partial<CheckIn> = {}) => anyCheckIn({ authorId: me.user.id, ...o })
  const makeNote = (o: Partial<FieldNote> = {}) => anyNote({ authorId: me.user.id, ...o })
  beforeAll(async () => {
    s = await makeServer(kind, {
      beforePushCommit: () => {
        if (failNextCommit) {
          failNextCommit = false
          // A named database-unavailable error (server/http/errors.ts): the connection to the database was refused.
          throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })
        }
      },
    })
    me = await signedIn(s)
  })
  afterAll(() => s.close())

  let clientNo = 0
  const newClient = () => `client-${kind}-${++clientNo}-${Math.random().toString(36).slice(2, 8)}`
  const pushRaw = (body: unknown, cookie = me.cookie) =>
    s.app.inject({ method: 'POST', url: '/api/sync/push', payload: body as object, headers: { cookie } })
  async function push(clientId: string, mutations: { seq: number; name: string; args: unknown }[]) {
    const res = await pushRaw({ clientId, mutations })
    return {
      status: res.statusCode,
      body: res.json() as PushResponse & { error?: string; expected?: number },
      headers: res.headers,
    }
  }
  async function pullAll(cursor = 0, limit = 500): Promise<{ changes: Change[]; pages: PullResponse[] }> {
    const pages: PullResponse[] = []
    for (;;) {
      const page = (
        await s.app.inject({ url: `/api/sync/pull?cursor=${cursor}&limit=${limit}`, headers: { cookie: me.cookie } })
      ).json() as PullResponse
      pages.push(page)
      cursor = page.cursor
      if (!page.more) break
    }
    return { changes: pages.flatMap((p) => p.changes), pages }
  }
  const countRecords = async () =>
    Number(
      (
        await s.store.db
          .selectFrom('records')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    )
  const lastSeq = async (clientId: string) =>
    (await s.store.db.selectFrom('clients').select('last_seq').where('client_id', '=', clientId).executeTakeFirst())
      ?.last_seq

  it('applies a check-in, and a replayed push has exactly one effect', async () => {
    const client = newClient()
    const checkIn = makeCheckIn()
    const mutations = [{ seq: 1, name: 'checkin.create', args: checkIn }]
    const first = await push(client, mutations)
    expect(first.status).toBe(200)
    // The answer says what the server committed: the hash of the row it stored and its version.
    const version = first.body.versions!.from
    expect(first.body).toEqual({
      lastProcessedSeq: 1,
      results: [{ seq: 1, status: 'applied', hash: await recordHash(checkIn), version }],
      versions: { from: version, to: version },
    })
    const before = await countRecords()
    const replay = await push(client, mutations)
    // A replay commits nothing: it says what happened, and the phone verifies by pulling.
    expect(replay.body).toEqual({ lastProcessedSeq: 1, results: [{ seq: 1, status: 'applied' }] })
    expect(await countRecords()).toBe(before)
    const { changes } = await pullAll()
    expect(changes.filter((c) => c.id === checkIn.id)).toHaveLength(1)
    expect(changes.find((c) => c.id === checkIn.id)?.data).toEqual(checkIn)
  })

  it('refuses the same sequence number with other contents, writing nothing', async () => {
    const client = newClient()
    await push(client, [{ seq: 1, name: 'checkin.create', args: makeCheckIn() }])
    const before = await countRecords()
    const res = await push(client, [
      { seq: 1, name: 'checkin.create', args: makeCheckIn() },
      { seq: 2, name: 'checkin.create', args: makeCheckIn() },
    ])
    expect(res.status).toBe(409)
    expect(res.body.error).toBe('seq_conflict')
    expect(await countRecords()).toBe(before)
    expect(await lastSeq(client)).toBe(1)
    const inBatch = await push(newClient(), [
      { seq: 1, name: 'checkin.create', args: makeCheckIn() },
      { seq: 1, name: 'checkin.create', args: makeCheckIn() },
    ])
    expect(inBatch.status).toBe(409)
  })

  it('refuses a gap in sequence numbers, writing nothing', async () => {
    const client = newClient()
    await push(client, [{ seq: 1, name: 'checkin.create', args: makeCheckIn() }])
    const before = await countRecords()
    const res = await push(client, [{ seq: 3, name: 'checkin.create', args: makeCheckIn() }])
    expect(res.status).toBe(409)
    expect(res.body).toMatchObject({ error: 'seq_gap', expected: 2 })
    expect(await countRecords()).toBe(before)
  })

  it('applies a reordered batch in sequence order, and a duplicate inside it once', async () => {
    const client = newClient()
    const [a, b, c] = [makeCheckIn(), makeCheckIn(), makeCheckIn()]
    const res = await push(client, [
      { seq: 3, name: 'checkin.create', args: c },
      { seq: 1, name: 'checkin.create', args: a },
      { seq: 2, name: 'checkin.create', args: b },
      { seq: 1, name: 'checkin.create', args: a },
    ])
    expect(res.body.lastProcessedSeq).toBe(3)
    expect(res.body.results.map((r) => r.seq)).toEqual([1, 2, 3])
    const { changes } = await pullAll()
    const versions = [a, b, c].map((x) => changes.find((ch) => ch.id === x.id)!.version)
    expect(versions).toEqual([...versions].sort((p, q) => p - q))
  })

  it('stores a record it can never accept as rejected with a reason, and the next ones still apply', async () => {
    const client = newClient()
    const good = makeCheckIn()
    const unknownTask = makeCheckIn({ taskNumbers: [999] })
    const res = await push(client, [
      { seq: 1, name: 'checkin.create', args: makeCheckIn({ venueName: '   ' }) },
      { seq: 2, name: 'checkin.create', args: unknownTask },
      { seq: 3, name: 'checkin.delete', args: {} },
      { seq: 4, name: 'checkin.create', args: { ...makeCheckIn(), extra: 1 } },
      { seq: 5, name: 'checkin.create', args: good },
    ])
    expect(res.status).toBe(200)
    expect(res.body.lastProcessedSeq).toBe(5)
    const [r1, r2, r3, r4, r5] = res.body.results
    expect(r1).toMatchObject({ status: 'rejected', reason: expect.stringMatching(/venueName.*required/) })
    expect(r2).toEqual({ seq: 2, status: 'rejected', code: 'unknown_task', detail: '999', reason: 'unknown task 999' })
    expect(r3).toMatchObject({ status: 'rejected', reason: 'unknown mutation checkin.delete' })
    expect(r4).toMatchObject({ status: 'rejected', reason: expect.stringMatching(/extra/) })
    expect(r5).toEqual({ seq: 5, status: 'applied', hash: expect.any(String), version: expect.any(Number) })
    expect(r1).toMatchObject({ code: 'invalid', detail: 'venueName' })
    // The rejection is remembered: a replay answers the same, and stores nothing.
    const replay = await push(client, [{ seq: 2, name: 'checkin.create', args: unknownTask }])
    expect(replay.body).toEqual({ lastProcessedSeq: 5, results: [r2] })
    expect((await pullAll()).changes.some((c) => c.id === unknownTask.id)).toBe(false)
  })

  it('answers malformed, oversized and hostile input with a clear 4xx and keeps serving', async () => {
    const before = await countRecords()
    const notJson = await s.app.inject({
      method: 'POST',
      url: '/api/sync/push',
      payload: '{"clientId":',
      headers: { 'content-type': 'application/json', cookie: me.cookie },
    })
    expect(notJson.statusCode).toBe(400)
    expect(notJson.json()).toMatchObject({ error: 'bad_request' })
    const noClient = await pushRaw({ mutations: [] })
    expect(noClient.statusCode).toBe(400)
    expect(noClient.json()).toMatchObject({ error: 'invalid_request', message: expect.stringMatching(/clientId/) })
    const badSeq = await pushRaw({ clientId: newClient(), mutations: [{ seq: -1, name: 'x', args: null }] })
    expect(badSeq.statusCode).toBe(400)
    const huge = await pushRaw({
      clientId: newClient(),
      mutations: [{ seq: 1, name: 'checkin.create', args: { note: 'x'.repeat(3_000_000) } }],
    })
    expect(huge.statusCode).toBe(413)
    expect(huge.json()).toMatchObject({ error: 'too_large' })
    const tooMany = await pushRaw({
      clientId: newClient(),
      mutations: Array.from({ length: 201 }, (_, i) => ({ seq: i + 1, name: 'x', args: null })),
    })
    expect(tooMany.statusCode).toBe(400)
    expect((await s.app.inject({ url: '/api/sync/pull?cursor=-5', headers: { cookie: me.cookie } })).statusCode).toBe(
      400,
    )
    expect((await s.app.inject({ url: '/api/sync/pull?cursor=abc', headers: { cookie: me.cookie } })).statusCode).toBe(
      400,
    )
    expect(await countRecords()).toBe(before)
    expect((await s.app.inject('/api/health')).statusCode).toBe(200)
  })

  it('keeps hostile text as text', async () => {
    const client = newClient()
    const nasty = '<script>alert(1)</script>\u202Eevil\u0000\u0007' + '长'.repeat(4900)
    const checkIn = makeCheckIn({ venueName: '<img src=x onerror=alert(1)>', note: nasty })
    expect((await push(client, [{ seq: 1, name: 'checkin.create', args: checkIn }])).body.results[0]!.status).toBe(
      'applied',
    )
    const { changes } = await pullAll()
    expect(changes.find((c) => c.id === checkIn.id)?.data).toEqual(checkIn)
  })

  it('answers a temporary failure with 503 and Retry-After, commits nothing, and the retry applies once', async () => {
    const client = newClient()
    const checkIn = makeCheckIn()
    const before = await countRecords()
    failNextCommit = true
    const res = await push(client, [{ seq: 1, name: 'checkin.create', args: checkIn }])
    expect(res.status).toBe(503)
    expect(res.headers['retry-after']).toBe('2')
    expect(await countRecords()).toBe(before)
    expect(await lastSeq(client)).toBeUndefined()
    const retry = await push(client, [{ seq: 1, name: 'checkin.create', args: checkIn }])
    expect(retry.body.results).toMatchObject([{ seq: 1, status: 'applied', hash: await recordHash(checkIn) }])
    expect(await countRecords()).toBe(before + 1)
  })

  it('edits a note from its base version, and keeps a conflicting edit beside the other', async () => {
    const a = newClient()
    const b = newClient()
    const note = makeNote()
    await push(a, [{ seq: 1, name: 'note.put', args: { note, baseVersion: null } }])
    const v1 = (await pullAll()).changes.find((c) => c.id === note.id)!.version
    const editA = { ...note, text: 'A 的修改', updatedAt: '2026-11-20T04:00:00.000Z' }
    expect(
      (await push(a, [{ seq: 2, name: 'note.put', args: { note: editA, baseVersion: v1 } }])).body.results[0]!.status,
    ).toBe('applied')
    // B edited the same note offline from v1.
    const editB = { ...note, text: 'B 的修改', updatedAt: '2026-11-20T04:05:00.000Z' }
    const res = await push(b, [{ seq: 1, name: 'note.put', args: { note: editB, baseVersion: v1 } }])
    const result = res.body.results[0]!
    expect(result).toMatchObject({ status: 'conflict', reason: 'changed on the server', keptAs: expect.any(String) })
    const { changes } = await pullAll()
    expect((changes.find((c) => c.id === note.id)!.data as { text: string }).text).toBe('A 的修改')
    expect(changes.find((c) => c.id === result.keptAs)!.data).toMatchObject({ text: 'B 的修改', conflictOf: note.id })
  })

  it('deletes a stored note and stores new records in one push (rows read back and new rows written together)', async () => {
    const a = newClient()
    const note = makeNote()
    await push(a, [{ seq: 1, name: 'note.put', args: { note, baseVersion: null } }])
    const v1 = (await pullAll()).changes.find((c) => c.id === note.id)!.version
    // The deleted note is written back from its stored row, with every column the database keeps; the new
    // records have only what the push sets. On SQLite the new rows were given NULL for the others (500).
    const fresh = makeNote()
    const checkIn = makeCheckIn()
    const res = await push(a, [
      { seq: 2, name: 'note.put', args: { note: fresh, baseVersion: null } },
      { seq: 3, name: 'note.delete', args: { id: note.id, baseVersion: v1 } },
      { seq: 4, name: 'checkin.create', args: checkIn },
    ])
    expect(res.status).toBe(200)
    expect(res.body.results.map((r) => r.status)).toEqual(['applied', 'applied', 'applied'])
    const changes = (await pullAll(v1)).changes
    expect(changes.find((c) => c.id === note.id)).toMatchObject({ deleted: true })
    expect(changes.find((c) => c.id === fresh.id)).toMatchObject({ deleted: false })
    expect(changes.find((c) => c.id === checkIn.id)).toMatchObject({ deleted: false })
  })

  it('sends a delete as a tombstone, and an offline edit against it is kept, not lost', async () => {
    const a = newClient()
    const b = newClient()
    const note = makeNote()
    await push(a, [{ seq: 1, name: 'note.put', args: { note, baseVersion: null } }])
    const v1 = (await pullAll()).changes.find((c) => c.id === note.id)!.version
    expect(
      (await push(a, [{ seq: 2, name: 'note.delete', args: { id: note.id, baseVersion: v1 } }])).body.results[0]!
        .status,
    ).toBe('applied')
    const tomb = (await pullAll(v1)).changes.find((c) => c.id === note.id)!
    expect(tomb).toMatchObject({ deleted: true, data: null })
    const res = await push(b, [
      { seq: 1, name: 'note.put', args: { note: { ...note, text: '离线时的补充' }, baseVersion: v1 } },
    ])
    expect(res.body.results[0]).toMatchObject({ status: 'conflict', reason: 'deleted on the server' })
    const kept = (await pullAll()).changes.find((c) => c.id === res.body.results[0]!.keptAs)!
    expect(kept.data).toMatchObject({ text: '离线时的补充', conflictOf: note.id })
    // A delete against a newer edit is not applied either.
    const other = makeNote()
    await push(a, [{ seq: 3, name: 'note.put', args: { note: other, baseVersion: null } }])
    const ov = (await pullAll()).changes.find((c) => c.id === other.id)!.version
    await push(a, [{ seq: 4, name: 'note.put', args: { note: { ...other, text: '新' }, baseVersion: ov } }])
    expect(
      (await push(b, [{ seq: 2, name: 'note.delete', args: { id: other.id, baseVersion: ov } }])).body.results[0]!
        .status,
    ).toBe('conflict')
  })

  it("applies a phone's own queued edits and delete in order, with no conflict", async () => {
    const a = newClient()
    const note = makeNote()
    const res = await push(a, [
      { seq: 1, name: 'note.put', args: { note, baseVersion: null } },
      { seq: 2, name: 'note.put', args: { note: { ...note, text: '第二稿' }, baseVersion: null } },
      { seq: 3, name: 'note.put', args: { note: { ...note, text: '第三稿' }, baseVersion: null } },
    ])
    expect(res.body.results.map((r) => r.status)).toEqual(['applied', 'applied', 'applied'])
    expect(((await pullAll()).changes.find((c) => c.id === note.id)!.data as { text: string }).text).toBe('第三稿')
    const gone = makeNote()
    const del = await push(a, [
      { seq: 4, name: 'note.put', args: { note: gone, baseVersion: null } },
      { seq: 5, name: 'note.delete', args: { id: gone.id, baseVersion: null } },
    ])
    expect(del.body.results.map((r) => r.status)).toEqual(['applied', 'applied'])
    expect((await pullAll()).changes.find((c) => c.id === gone.id)).toMatchObject({ deleted: true })
  })

  it('pulls in pages by version cursor, each change once, in order', async () => {
    const client = newClient()
    await push(
      client,
      Array.from({ length: 25 }, (_, i) => ({ seq: i + 1, name: 'checkin.create', args: makeCheckIn() })),
    )
    const all = await pullAll(0, 500)
    const paged = await pullAll(0, 7)
    expect(paged.pages.length).toBeGreaterThan(3)
    expect(paged.pages.at(-1)!.more).toBe(false)
    expect(paged.changes.map((c) => c.version)).toEqual(all.changes.map((c) => c.version))
    const versions = paged.changes.map((c) => c.version)
    expect(versions).toEqual([...new Set(versions)].sort((p, q) => p - q))
    const last = paged.pages.at(-1)!.cursor
    expect(
      (await s.app.inject({ url: `/api/sync/pull?cursor=${last}`, headers: { cookie: me.cookie } })).json(),
    ).toEqual({ changes: [], cursor: last, more: false })
  })

  describe('photos', () => {
    const chunk = 16_000
    /** Sends `bytes` in chunks under `sha` (their own hash unless a test claims another). */
    async function upload(bytes: Buffer, from = 0, stopAfter = Infinity, sha = sha256(bytes)) {
      let last: { statusCode: number; body: string } | undefined
      let sent = 0
      for (let offset = from; offset < bytes.length && sent < stopAfter; offset += chunk, sent++) {
        last = await s.app.inject({
          method: 'PATCH',
          url: `/api/photos/${sha}`,
          headers: {
            'content-type': 'application/offset+octet-stream',
            'upload-offset': String(offset),
            cookie: me.cookie,
          },
          payload: bytes.subarray(offset, offset + chunk),
        })
      }
      return last!
    }
    const start = (sha: string, size: number) =>
      s.app.inject({
        method: 'POST',
        url: '/api/photos',
        payload: { sha256: sha, size, type: 'image/jpeg' },
        headers: { cookie: me.cookie },
      })
    const get = (url: string) => s.app.inject({ url, headers: { cookie: me.cookie } })

    it('takes a photo in chunks, resumes after a cut, and keeps its bytes unchanged', async () => {
      const bytes = photoBytes(1)
      const sha = sha256(bytes)
      expect((await start(sha, bytes.length)).json()).toEqual({ offset: 0, complete: false })
      await upload(bytes, 0, 1) // the connection is cut after one chunk
      expect((await get(`/api/photos/${sha}/upload`)).json()).toEqual({ offset: chunk, complete: false })
      expect((await start(sha, bytes.length)).json()).toEqual({ offset: chunk, complete: false })
      const wrong = await s.app.inject({
        method: 'PATCH',
        url: `/api/photos/${sha}`,
        headers: { 'content-type': 'application/offset+octet-stream', 'upload-offset': '0', cookie: me.cookie },
        payload: bytes.subarray(0, chunk),
      })
      expect(wrong.statusCode).toBe(409)
      expect(wrong.json()).toMatchObject({ error: 'offset_mismatch', offset: chunk })
      const done = await upload(bytes, chunk)
      expect(JSON.parse(done.body)).toEqual({ offset: bytes.length, complete: true })
      // Shown only to those who may read a record that refers to it.
      expect((await get(`/api/photos/${sha}`)).statusCode).toBe(404)
      await push(newClient(), [
        {
          seq: 1,
          name: 'checkin.create',
          args: makeCheckIn({ photos: [{ sha256: sha, size: bytes.length, type: 'image/jpeg' }] }),
        },
      ])
      const got = await get(`/api/photos/${sha}`)
      expect(got.headers['content-type']).toBe('image/jpeg')
      expect(sha256(got.rawPayload)).toBe(sha)
      expect((await start(sha, bytes.length)).statusCode).toBe(200)
    })

    it('discards a photo whose bytes do not match its hash', async () => {
      const bytes = photoBytes(2)
      const claimed = sha256(photoBytes(3))
      await start(claimed, bytes.length)
      const res = await upload(bytes, 0, Infinity, claimed)
      expect(res.statusCode).toBe(422)
      expect(JSON.parse(res.body)).toMatchObject({ error: 'hash_mismatch', actual: sha256(bytes) })
      expect((await get(`/api/photos/${claimed}`)).statusCode).toBe(404)
      expect((await get(`/api/photos/${claimed}/upload`)).statusCode).toBe(404)
    })

    it('refuses a photo over the limit before taking any bytes', async () => {
      const res = await start('a'.repeat(64), 50 * 1024 * 1024)
      expect(res.statusCode).toBe(413)
      expect(res.json()).toMatchObject({ error: 'too_large', maxBytes: 3 * 1024 * 1024 })
      expect((await s.app.inject('/api/limits')).json()).toMatchObject({ photoBytes: 3 * 1024 * 1024 })
    })

    it('refuses a record whose photo is not on the server, committing nothing, then takes it after the upload', async () => {
      const client = newClient()
      const bytes = photoBytes(4)
      const sha = sha256(bytes)
      const checkIn = makeCheckIn({ photos: [{ sha256: sha, size: bytes.length, type: 'image/jpeg' }] })
      const before = await countRecords()
      const res = await push(client, [{ seq: 1, name: 'checkin.create', args: checkIn }])
      expect(res.status).toBe(409)
      expect(res.body).toMatchObject({ error: 'photo_missing', missing: [sha] })
      expect(await countRecords()).toBe(before)
      await start(sha, bytes.length)
      await upload(bytes)
      expect((await push(client, [{ seq: 1, name: 'checkin.create', args: checkIn }])).body.results[0]!.status).toBe(
        'applied',
      )
    })
  })
})
