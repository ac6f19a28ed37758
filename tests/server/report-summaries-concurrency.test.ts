import { sql } from 'kysely'
import { afterAll, beforeAll, expect, it } from 'vitest'
import type { CheckIn, PushResponse } from '../../src/kernel/sync-schema'
import { makeCheckIn } from '../helpers/records'
import { describeOn, makeServer, signedIn, type TestServer } from '../helpers/server'

type Who = { user: { id: string }; cookie: string }

/**
 * The flag and counts of migration 0017 with two phones of one inspector pushing at once on PostgreSQL (READ
 * COMMITTED: a trigger's lookup does not see the other push's uncommitted rows). One push is held just before
 * its commit until the other is seen waiting for it.
 */
describeOn('postgres', 'report counts kept by triggers, two pushes at once, on postgres', () => {
  let s: TestServer
  let alice: Who
  /** The next push to reach its commit tells its backend's pid and waits there until released. */
  let holdNext: { reached: (pid: number) => void; released: Promise<void> } | undefined

  beforeAll(async () => {
    s = await makeServer('postgres', {
      beforePushCommit: async (tx) => {
        const hold = holdNext
        holdNext = undefined
        if (!hold) return
        const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(tx)
        hold.reached(rows[0]!.pid)
        await hold.released
      },
    })
    alice = await signedIn(s)
  }, 60_000)
  afterAll(() => s?.close())

  let clientNo = 0
  const newClient = () => `summaries-${++clientNo}-${Math.random().toString(36).slice(2, 8)}`
  const push = async (clientId: string, checkIns: CheckIn[], firstSeq = 1) => {
    const res = await s.app.inject({
      method: 'POST',
      url: '/api/sync/push',
      headers: { cookie: alice.cookie },
      payload: {
        clientId,
        mutations: checkIns.map((args, i) => ({ seq: firstSeq + i, name: 'checkin.create', args })),
      },
    })
    expect(res.statusCode, res.body).toBe(200)
    return res.json() as PushResponse
  }
  /** Pushes `first` and holds it before its commit; pushes `second` once it waits for the first; both answer. */
  async function together(first: Parameters<typeof push>, second: Parameters<typeof push>) {
    let reached!: (pid: number) => void
    let release!: () => void
    const atCommit = new Promise<number>((r) => (reached = r))
    holdNext = { reached, released: new Promise<void>((r) => (release = r)) }
    const a = push(...first)
    const pid = await atCommit
    const b = push(...second)
    // The second waits on a lock the first holds (its record's, or a count's row), however long it takes to get there.
    for (;;) {
      const { rows } = await sql<{ n: number | string }>`
        select count(*) as n from pg_stat_activity where ${pid} = any(pg_blocking_pids(pid))`.execute(s.store.db)
      if (Number(rows[0]!.n) > 0) break
      await new Promise((r) => setImmediate(r))
    }
    release()
    return Promise.all([a, b])
  }
  const flag = async (id: string) =>
    (await s.store.db.selectFrom('records').select('superseded').where('id', '=', id).executeTakeFirstOrThrow())
      .superseded
  /** Task 28's latest time and check-ins of one phone, kept, and counted from the records. */
  async function kept(clientId: string) {
    const group = await s.store.db
      .selectFrom('task_authors')
      .select(['check_ins', 'last_at'])
      .where('client_id', '=', clientId)
      .where('task_number', '=', 28)
      .executeTakeFirst()
    const counted = await s.store.db
      .selectFrom('records')
      .select([(eb) => eb.fn.countAll<number>().as('n'), (eb) => eb.fn.max('occurred_at').as('last')])
      .where('client_id', '=', clientId)
      .where('kind', '=', 'checkin')
      .where('deleted', '=', 0)
      .where('superseded', '=', 0)
      .executeTakeFirstOrThrow()
    return {
      kept: { n: group?.check_ins ?? 0, last: group?.last_at ?? null },
      counted: { n: Number(counted.n), last: counted.last ?? null },
    }
  }

  // The push's scope locks (server/sync/push.ts scopeKeys: a correction locks the record it names) make these two
  // take turns; the triggers alone would not (the original's lookup misses the uncommitted correction, and the
  // correction's update misses the uncommitted original).
  it('flags an original and its correction pushed at once from two phones, whichever commits first', async () => {
    for (const correctionFirst of [false, true]) {
      const original = makeCheckIn({ authorId: alice.user.id, occurredAt: '2026-11-20T02:00:00.000Z' })
      const correction = makeCheckIn({
        authorId: alice.user.id,
        occurredAt: '2026-11-20T02:10:00.000Z',
        correctionOf: original.id,
      })
      const [phoneA, phoneB] = [newClient(), newClient()]
      const pushes: [Parameters<typeof push>, Parameters<typeof push>] = [
        [phoneA, [original]],
        [phoneB, [correction]],
      ]
      await together(...((correctionFirst ? pushes.reverse() : pushes) as typeof pushes))
      expect([await flag(original.id), await flag(correction.id)]).toEqual([1, 0])
      for (const phone of [phoneA, phoneB]) {
        const { kept: k, counted } = await kept(phone)
        expect(k).toEqual(counted)
      }
    }
  })

  it('keeps a phone’s latest time when another phone’s correction hides its latest check-in as it pushes an earlier one', async () => {
    const [phoneA, phoneB] = [newClient(), newClient()]
    const latest = makeCheckIn({ authorId: alice.user.id, occurredAt: '2026-11-21T10:00:00.000Z' })
    await push(phoneA, [latest])
    // Phone A's next check-in is dated before its latest (made while its clock was set wrong, say); phone B
    // corrects the latest at the same moment.
    const earlier = makeCheckIn({ authorId: alice.user.id, occurredAt: '2026-11-21T09:00:00.000Z' })
    const correction = makeCheckIn({
      authorId: alice.user.id,
      occurredAt: '2026-11-21T10:05:00.000Z',
      correctionOf: latest.id,
    })
    // Phone A's second push (its sequence number 2 only: it names nothing phone B's names, so neither waits for
    // the other's record) holds the count's rows of phone A that phone B's correction takes the latest out of.
    await together([phoneA, [earlier], 2], [phoneB, [correction]])
    expect(await flag(latest.id)).toBe(1)
    for (const phone of [phoneA, phoneB]) {
      const { kept: k, counted } = await kept(phone)
      expect(k, phone).toEqual(counted)
    }
  })
})
