import { sql } from 'kysely'
import { afterAll, beforeAll, expect, it, vi } from 'vitest'
import { deleteDeadBlocks, INFLIGHT_CHECK_MS, reserveVersions, scopeDigest, takeBlock } from '../../server/sync/horizon'
import type { Change, CheckIn, PullResponse, PushResponse } from '../../src/kernel/sync-schema'
import { makeCheckIn } from '../helpers/records'
import { describeOn, describeStores, makeServer, signedIn, type TestServer } from '../helpers/server'

type Who = { user: { id: string }; cookie: string }

/**
 * Pushes on PostgreSQL reserve their versions and apply them without holding the version counter
 * (server/sync/horizon.ts); a pull reads only below the oldest push still in flight.
 */
describeOn('postgres', 'pushes side by side and the pull horizon, on postgres', () => {
  let s: TestServer
  let alice: Who
  let bob: Who
  /** The next push to reach its commit waits there until `release` is called. */
  let holdNext: { reached: () => void; released: Promise<void> } | undefined

  beforeAll(async () => {
    s = await makeServer('postgres', {
      beforePushCommit: async () => {
        const hold = holdNext
        holdNext = undefined
        if (!hold) return
        hold.reached()
        await hold.released
      },
    })
    alice = await signedIn(s)
    bob = await signedIn(s)
  }, 60_000)
  afterAll(() => s?.close())

  let clientNo = 0
  const newClient = () => `horizon-${++clientNo}-${Math.random().toString(36).slice(2, 8)}`
  const push = async (who: Who, clientId: string, checkIns: CheckIn[]) => {
    const res = await s.app.inject({
      method: 'POST',
      url: '/api/sync/push',
      headers: { cookie: who.cookie },
      payload: { clientId, mutations: checkIns.map((args, i) => ({ seq: i + 1, name: 'checkin.create', args })) },
    })
    return { status: res.statusCode, body: res.json() as PushResponse }
  }
  /** A phone's pull, Alice's unless told: a phone pulls its user's records only. */
  const pull = async (cursor: number, who: Who = alice): Promise<PullResponse> => {
    const res = await s.app.inject({
      url: `/api/sync/pull?cursor=${cursor}&limit=500`,
      headers: { cookie: who.cookie },
    })
    expect(res.statusCode, res.body).toBe(200)
    return res.json()
  }
  const latest = async () => (await pull(0)).cursor
  /** Starts a push that stops just before its commit, and answers once it has got there. */
  async function heldPush(who: Who, clientId: string, checkIns: CheckIn[]) {
    let reached!: () => void
    let release!: () => void
    const atCommit = new Promise<void>((r) => (reached = r))
    holdNext = { reached, released: new Promise<void>((r) => (release = r)) }
    const answer = push(who, clientId, checkIns)
    const tooSoon = answer.then((a) => Promise.reject(new Error(`answered before its commit: ${JSON.stringify(a)}`)))
    tooSoon.catch(() => undefined) // reported by the race, when it comes first
    await Promise.race([atCommit, tooSoon])
    return { answer, release }
  }
  const inflight = () => s.store.db.selectFrom('inflight_versions').selectAll().orderBy('from_version').execute()
  const ids = (changes: Change[]) => changes.map((c) => c.id)
  const counter = async () =>
    (await s.store.db.selectFrom('counters').select('value').where('name', '=', 'version').executeTakeFirstOrThrow())
      .value

  it('commits a second client’s push while the first is still in its transaction, and no pull passes the first', async () => {
    const before = await latest()
    const first = [makeCheckIn({ authorId: alice.user.id }), makeCheckIn({ authorId: alice.user.id })]
    const second = [makeCheckIn({ authorId: bob.user.id })]
    const held = await heldPush(alice, newClient(), first)
    try {
      // The first holds its transaction open; the second reserves after it, commits and answers all the same.
      const other = await push(bob, newClient(), second)
      expect(other.status).toBe(200)
      expect(other.body.versions).toEqual({ from: before + 3, to: before + 3 })
      expect(await inflight()).toEqual([expect.objectContaining({ from_version: before + 1, to_version: before + 2 })])
      // The first has not committed: Bob's pull now reads not even his, and its cursor stays below Alice's block.
      const during = await pull(before, bob)
      expect(ids(during.changes)).toEqual([])
      expect(during.cursor).toBe(before)
    } finally {
      held.release()
    }
    const answer = await held.answer
    expect(answer.status).toBe(200)
    expect(answer.body.versions).toEqual({ from: before + 1, to: before + 2 })
    expect(await inflight()).toEqual([])
    // Once it has committed, the pulls from where they stood read each their own, and pass the other's.
    const after = await pull(before)
    expect(ids(after.changes)).toEqual(first.map((c) => c.id))
    expect(after.cursor).toBe(before + 3)
    const his = await pull(before, bob)
    expect(ids(his.changes)).toEqual(second.map((c) => c.id))
    expect(his.cursor).toBe(before + 3)
  })

  it('makes two pushes of the same record take turns: the second finds the first’s and refuses it, overwriting nothing', async () => {
    const checkIn = makeCheckIn({ authorId: alice.user.id })
    const held = await heldPush(alice, newClient(), [checkIn])
    let theirs: Promise<{ status: number; body: PushResponse }> | undefined
    try {
      theirs = push(bob, newClient(), [{ ...checkIn, authorId: bob.user.id, itemsSeized: 99 }])
      // Bob's push waits for the record's turn (the advisory lock on its id), behind Alice's open transaction.
      const waiting = async () =>
        (
          await sql<{ n: number }>`with k as (
              select hashtextextended(current_schema() || ':' || ${scopeDigest(`record:${checkIn.id}`)}, 0) as h
            )
            select count(*)::int as n from pg_locks, k where locktype = 'advisory' and objsubid = 1 and not granted
              and classid::bigint = (k.h >> 32) & 4294967295 and objid::bigint = k.h & 4294967295`.execute(s.store.db)
        ).rows[0]!.n
      await vi.waitFor(async () => expect(await waiting()).toBe(1), { timeout: 5_000, interval: 10 })
    } finally {
      held.release()
    }
    expect((await held.answer).body.results).toMatchObject([{ status: 'applied' }])
    expect((await theirs).body.results).toMatchObject([{ status: 'rejected', code: 'id_taken' }])
    const stored = await s.store.db
      .selectFrom('records')
      .select(['author_id', 'hash'])
      .where('id', '=', checkIn.id)
      .executeTakeFirstOrThrow()
    expect(stored.author_id).toBe(alice.user.id)
  })

  it('answers the versions a push wrote: its block’s unused end is a gap that pulls pass over', async () => {
    const before = await latest()
    const kept = makeCheckIn({ authorId: alice.user.id })
    const refused = makeCheckIn({ authorId: alice.user.id, taskNumbers: [99_999] })
    const res = await push(alice, newClient(), [kept, refused])
    expect(res.body.results.map((r) => r.status)).toEqual(['applied', 'rejected'])
    // Two versions reserved, one written: the answer names the one, the other is never used.
    expect(res.body.versions).toEqual({ from: before + 1, to: before + 1 })
    const next = await push(alice, newClient(), [makeCheckIn({ authorId: alice.user.id })])
    expect(next.body.versions).toEqual({ from: before + 3, to: before + 3 })
    const page = await pull(before)
    expect(page.changes.map((c) => c.version)).toEqual([before + 1, before + 3])
    expect(page.cursor).toBe(before + 3)
  })

  it('answers a replay as before: no versions reserved, none answered', async () => {
    const clientId = newClient()
    const checkIns = [makeCheckIn({ authorId: alice.user.id })]
    const first = await push(alice, clientId, checkIns)
    const before = await counter()
    const replay = await push(alice, clientId, checkIns)
    expect(replay.body).toEqual({ lastProcessedSeq: 1, results: [{ seq: 1, status: 'applied' }] })
    expect(first.body.results[0]).toMatchObject({ seq: 1, status: 'applied' })
    expect(await counter()).toBe(before)
  })

  it('reserves no versions for a push its transaction refuses: a gap in the sequence, another user’s client', async () => {
    const clientId = newClient()
    await push(alice, clientId, [makeCheckIn({ authorId: alice.user.id })])
    const before = await counter()
    const gap = await s.app.inject({
      method: 'POST',
      url: '/api/sync/push',
      headers: { cookie: alice.cookie },
      payload: {
        clientId,
        mutations: [{ seq: 3, name: 'checkin.create', args: makeCheckIn({ authorId: alice.user.id }) }],
      },
    })
    expect(gap.statusCode).toBe(409)
    expect(gap.json()).toMatchObject({ error: 'seq_gap' })
    const forged = await push(bob, clientId, [makeCheckIn({ authorId: bob.user.id })])
    expect(forged.status).toBe(403)
    expect(await counter()).toBe(before)
    expect(await inflight()).toEqual([])
  })

  it('stops holding the horizon once the push of a block is gone, and deletes the block', async () => {
    // A server reserved a block and stopped before its transaction took it (it crashed, its connection was cut):
    // the database let go of its session's locks.
    const dead = await s.store.db.connection().execute(async (conn) => {
      const block = await reserveVersions(conn, 3)
      await sql`select pg_advisory_unlock_all()`.execute(conn)
      return block
    })
    const setStarted = (at: number) =>
      s.store.db
        .updateTable('inflight_versions')
        .set({ started_at: new Date(at).toISOString() })
        .where('from_version', '=', dead.from)
        .execute()
    // Registered just now, as pulls see it: too young to be asked after.
    await setStarted(Date.now() + 3_600_000)
    const later = [makeCheckIn({ authorId: alice.user.id })]
    const res = await push(alice, newClient(), later)
    expect(res.body.versions).toEqual({ from: dead.to + 1, to: dead.to + 1 })
    // Its push might still be applying: pulls stop below it.
    expect((await pull(dead.from - 1)).cursor).toBe(dead.from - 1)
    expect(ids((await pull(dead.from - 1)).changes)).toEqual([])
    // Older, it is asked after and found dead: the next pull deletes it and reads on, over its versions, a gap.
    await setStarted(Date.now() - INFLIGHT_CHECK_MS - 1000)
    const page = await pull(dead.from - 1)
    expect(ids(page.changes)).toEqual(later.map((c) => c.id))
    expect(page.cursor).toBe(dead.to + 1)
    expect(await inflight()).toEqual([])
    // Its server, if it came back to it, would find the block gone and write nothing into it.
    await expect(s.store.db.transaction().execute((tx) => takeBlock(tx, dead))).rejects.toThrow(/lost/)
  })

  it('never takes a push still in its transaction for dead, however long it has run', async () => {
    const before = await latest()
    const slow = [makeCheckIn({ authorId: alice.user.id })]
    const held = await heldPush(alice, newClient(), slow)
    try {
      // Every block is old enough to be asked after, by a cleanup now and by a pull an hour from now.
      await deleteDeadBlocks(s.store.db, new Date(Date.now() + 60_000).toISOString())
      vi.useFakeTimers({ toFake: ['Date'] })
      vi.setSystemTime(Date.now() + 3_600_000)
      const during = await pull(before)
      vi.useRealTimers()
      // Its push holds its lock: both leave the block, which still holds every pull below it.
      expect(during.cursor).toBe(before)
      expect((await inflight()).map((b) => b.from_version)).toEqual([before + 1])
    } finally {
      vi.useRealTimers()
      held.release()
    }
    expect((await held.answer).body.versions).toEqual({ from: before + 1, to: before + 1 })
    expect(ids((await pull(before)).changes)).toEqual(slow.map((c) => c.id))
  })
})

describeStores('the pull horizon, on %s', (kind) => {
  let s: TestServer
  let me: Who
  beforeAll(async () => {
    s = await makeServer(kind)
    me = await signedIn(s)
  })
  afterAll(() => s?.close())

  it('moves a pull’s cursor to the latest version when no push is in flight, and registers nothing after a push', async () => {
    const res = await s.app.inject({
      method: 'POST',
      url: '/api/sync/push',
      headers: { cookie: me.cookie },
      payload: {
        clientId: `plain-${kind}-${Math.random().toString(36).slice(2, 8)}`,
        mutations: [{ seq: 1, name: 'checkin.create', args: makeCheckIn({ authorId: me.user.id }) }],
      },
    })
    const { versions } = res.json() as PushResponse
    const page = (await s.app.inject({ url: '/api/sync/pull?cursor=0', headers: { cookie: me.cookie } })).json()
    expect((page as PullResponse).cursor).toBe(versions!.to)
    expect(await s.store.db.selectFrom('inflight_versions').selectAll().execute()).toEqual([])
  })
})
