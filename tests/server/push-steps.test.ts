import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import type { PushMutation } from '../../src/kernel/sync-schema'
import type { SessionUser } from '../../src/kernel/users'
import { uuidv7 } from '../../src/kernel/uuid'
import type { Store } from '../../server/db/database'
import { applyInOrder, applyMutation, PushWork } from '../../server/sync/apply'
import { authorize, claimClient, lockVersion, writeWork } from '../../server/sync/push'
import {
  campaignsNamed,
  claimsOf,
  classify,
  inSequence,
  mutationRow,
  payloadHash,
  processedSeqs,
  refuseForeignCampaigns,
  refuseForgedAuthors,
  resultOf,
  type HashedMutation,
} from '../../server/sync/push-batch'
import { makeCheckIn, makeNote } from '../helpers/records'
import { makeStore, describeStores } from '../helpers/server'

const me: SessionUser = {
  id: uuidv7(),
  username: 'wang.inspector',
  displayName: '王巡查',
  department: '省知识产权局',
  role: 'inspector',
}
const someoneElse = uuidv7()
const TASKS: ReadonlySet<number> = new Set([28, 37])

const checkIn = (seq: number, o: Parameters<typeof makeCheckIn>[0] = {}): PushMutation => ({
  seq,
  name: 'checkin.create',
  args: makeCheckIn({ authorId: me.id, ...o }),
})
const one = async (m: PushMutation): Promise<HashedMutation> => (await inSequence([m]))[0]!

describe('putting a batch in sequence', () => {
  it('orders by sequence number and keeps a mutation sent twice once', async () => {
    const [a, b, c] = [checkIn(1), checkIn(2), checkIn(3)]
    const batch = await inSequence([c, a, b, a])
    expect(batch.map((m) => m.seq)).toEqual([1, 2, 3])
    expect(batch[0]).toMatchObject({ ...a, hash: await payloadHash(a) })
  })

  it('hashes contents, not the order their keys were written in', async () => {
    const args = makeCheckIn({ authorId: me.id })
    const reordered = Object.fromEntries(Object.entries(args).reverse())
    expect(await payloadHash({ seq: 1, name: 'checkin.create', args })).toBe(
      await payloadHash({ seq: 1, name: 'checkin.create', args: reordered }),
    )
  })

  it('refuses a sequence number sent twice with different contents', async () => {
    await expect(inSequence([checkIn(1), checkIn(2), checkIn(1)])).rejects.toMatchObject({
      status: 409,
      code: 'seq_conflict',
      details: { seq: 1 },
    })
  })
})

describe('what a mutation claims, before it is validated', () => {
  const claims = (name: string, args: unknown) => claimsOf({ seq: 1, name, args })

  it('reads the author of a check-in and of a note, whatever else is wrong', () => {
    expect(claims('checkin.create', { authorId: 'x', venueName: 5 }).author).toBe('x')
    expect(claims('note.put', { note: { authorId: 'y' } }).author).toBe('y')
    expect(claims('checkin.create', { authorId: null }).author).toBeNull()
    for (const args of [null, [], 'text', 5, {}, { note: null }, { note: 'x' }])
      expect(claims('note.put', args).author, JSON.stringify(args)).toBeUndefined()
  })

  it('reads the campaign of a check-in only, cut to the length an id can have', async () => {
    expect(claims('checkin.create', { campaignId: 'c-1' }).campaign).toBe('c-1')
    expect(claims('note.put', { campaignId: 'c-1' }).campaign).toBeUndefined()
    expect(claims('checkin.create', { campaignId: 5 }).campaign).toBeUndefined()
    expect(claims('checkin.create', { campaignId: 'x'.repeat(100) }).campaign).toHaveLength(64)
    const batch = await inSequence([checkIn(1, { campaignId: 'a' }), checkIn(2, { campaignId: 'a' }), checkIn(3)])
    expect(campaignsNamed(batch)).toEqual(['a'])
  })

  it('reads the id of the record a mutation names, when it could be stored', () => {
    const note = makeNote()
    expect(claims('note.put', { note, baseVersion: null }).recordId).toBe(note.id)
    expect(claims('note.delete', { id: note.id }).recordId).toBe(note.id)
    expect(claims('note.delete', { id: 'x'.repeat(65) }).recordId).toBeUndefined()
    expect(claims('note.delete', null).recordId).toBeUndefined()
  })
})

describe('refusing forgeries', () => {
  it('refuses the first record, in sequence order, that names another author', async () => {
    const own = await inSequence([checkIn(1), checkIn(2)])
    expect(() => refuseForgedAuthors(own, me)).not.toThrow()
    const forged = await inSequence([
      { seq: 3, name: 'note.put', args: { note: makeNote({ authorId: someoneElse }) } },
      checkIn(1),
      checkIn(2, { authorId: someoneElse }),
    ])
    expect(() => refuseForgedAuthors(forged, me)).toThrow(
      expect.objectContaining({ status: 403, code: 'forged_author', details: { seq: 2 } }),
    )
    const notAString = await inSequence([{ seq: 4, name: 'checkin.create', args: { authorId: 5 } }])
    expect(() => refuseForgedAuthors(notAString, me)).toThrow(expect.objectContaining({ code: 'forged_author' }))
  })

  it('refuses a check-in under a campaign the user is not part of', async () => {
    const batch = await inSequence([checkIn(1, { campaignId: 'mine' }), checkIn(2, { campaignId: 'theirs' })])
    expect(() => refuseForeignCampaigns(batch, new Set(['mine', 'theirs']))).not.toThrow()
    expect(() => refuseForeignCampaigns(batch, new Set(['mine']))).toThrow(
      expect.objectContaining({ status: 403, code: 'forged_campaign', details: { seq: 2 } }),
    )
  })
})

describe('telling processed mutations from new ones', () => {
  it('answers processed ones as they were answered, and passes the rest on in order', async () => {
    const batch = await inSequence([checkIn(1), checkIn(2), checkIn(3), checkIn(4)])
    const kept = [
      mutationRow('phone-1', batch[0]!, { status: 'applied' }, '2026-11-20T00:00:00.000Z'),
      mutationRow(
        'phone-1',
        batch[1]!,
        { status: 'rejected', code: 'unknown_task', detail: '999', reason: 'unknown task 999' },
        '2026-11-20T00:00:00.000Z',
      ),
    ]
    expect(processedSeqs(batch, 2)).toEqual([1, 2])
    const plan = classify(batch, 2, kept)
    expect(plan.replayed).toEqual([
      { seq: 1, status: 'applied' },
      { seq: 2, status: 'rejected', code: 'unknown_task', detail: '999', reason: 'unknown task 999' },
    ])
    expect(plan.fresh.map((m) => m.seq)).toEqual([3, 4])
  })

  it('refuses a processed sequence number sent again with other contents', async () => {
    const [first] = await inSequence([checkIn(1)])
    const kept = [mutationRow('phone-1', first!, { status: 'applied' }, '2026-11-20T00:00:00.000Z')]
    const other = await inSequence([checkIn(1)])
    expect(() => classify(other, 1, kept)).toThrow(
      expect.objectContaining({ status: 409, code: 'seq_conflict', details: { seq: 1 } }),
    )
  })

  it('keeps every part of an outcome, so a replay is answered the same', async () => {
    const m = await one(checkIn(7))
    const outcome = {
      status: 'conflict',
      code: 'changed',
      detail: 'x',
      reason: 'changed on the server',
      keptAs: uuidv7(),
    } as const
    expect(resultOf(mutationRow('phone-1', m, outcome, '2026-11-20T00:00:00.000Z'))).toEqual({ seq: 7, ...outcome })
    expect(resultOf(mutationRow('phone-1', m, { status: 'applied' }, '2026-11-20T00:00:00.000Z'))).toEqual({
      seq: 7,
      status: 'applied',
    })
  })
})

describeStores('push steps that need the database, on %s', (kind) => {
  let store: Store
  beforeAll(async () => {
    store = await makeStore(kind)
  })
  afterAll(() => store.close())

  let clientNo = 0
  const newClient = () => `steps-${kind}-${++clientNo}`
  const count = async (table: 'records' | 'mutations') =>
    Number(
      (
        await store.db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    )
  const counter = async () =>
    (await store.db.selectFrom('counters').select('value').where('name', '=', 'version').executeTakeFirstOrThrow())
      .value
  /** A PushWork over the store itself: nothing it reads needs a transaction. */
  const workFor = (clientId = newClient(), start = { version: 1000, lastSeq: 0 }) =>
    new PushWork(store.db, clientId, me, start)

  it('authorizes only campaigns the user was named in', async () => {
    const campaign = uuidv7()
    await store.db.insertInto('campaign_access').values({ campaign_id: campaign, user_id: me.id }).execute()
    const named = await inSequence([checkIn(1, { campaignId: campaign })])
    await expect(authorize(store.db, me, named)).resolves.toBeUndefined()
    const foreign = await inSequence([checkIn(1, { campaignId: campaign }), checkIn(2, { campaignId: uuidv7() })])
    await expect(authorize(store.db, me, foreign)).rejects.toMatchObject({
      code: 'forged_campaign',
      details: { seq: 2 },
    })
    const forged = await inSequence([checkIn(1, { authorId: someoneElse })])
    await expect(authorize(store.db, me, forged)).rejects.toMatchObject({ code: 'forged_author' })
  })

  it('takes the version lock: a second push waits until the first has committed', async () => {
    const events: string[] = []
    let release!: () => void
    const held = new Promise<void>((r) => (release = r))
    let locked!: () => void
    const firstLocked = new Promise<void>((r) => (locked = r))
    const start = await counter()
    let firstPid = 0
    const first = store.db.transaction().execute(async (tx) => {
      const version = await lockVersion(tx)
      if (kind === 'postgres')
        firstPid = (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(tx)).rows[0]!.pid
      locked()
      await held
      await tx
        .updateTable('counters')
        .set({ value: version + 1 })
        .where('name', '=', 'version')
        .execute()
      events.push('first commits')
    })
    await firstLocked
    const second = store.db.transaction().execute(async (tx) => {
      events.push(`second reads ${await lockVersion(tx)}`)
    })
    try {
      if (kind === 'postgres') {
        // PostgreSQL says when the second is waiting on the first's lock: wait for exactly that.
        const blocked = async () =>
          (
            await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity
              where ${firstPid} = any(pg_blocking_pids(pid))`.execute(store.db)
          ).rows[0]!.n
        await vi.waitFor(async () => expect(await blocked()).toBe(1), { timeout: 3_000, interval: 10 })
      } else {
        // SQLite shows no one waiting: give the second 100 ms to read, if it could. An unblocked read of this
        // in-memory database is answered within a millisecond, so 100 ms is ample for it to come before the release.
        await new Promise((r) => setTimeout(r, 100))
      }
    } finally {
      events.push('first released')
      release() // also when the wait failed: the first ends, and the store can close
    }
    await Promise.all([first, second])
    expect(events).toEqual(['first released', 'first commits', `second reads ${start + 1}`])
  })

  it("claims a new client id for the user, and refuses another user's", async () => {
    const client = newClient()
    expect(await store.db.transaction().execute((tx) => claimClient(tx, client, me))).toBe(0)
    await store.db.updateTable('clients').set({ last_seq: 5 }).where('client_id', '=', client).execute()
    expect(await store.db.transaction().execute((tx) => claimClient(tx, client, me))).toBe(5)
    await expect(
      store.db.transaction().execute((tx) => claimClient(tx, client, { ...me, id: someoneElse })),
    ).rejects.toMatchObject({ status: 403, code: 'forged_client' })
  })

  it('applies a check-in to the work only, at the next version', async () => {
    const work = workFor()
    const before = await count('records')
    const m = checkIn(1)
    expect(await applyMutation(work, TASKS, m)).toEqual({ status: 'applied' })
    expect([...work.records.values()]).toMatchObject([
      {
        id: (m.args as { id: string }).id,
        kind: 'checkin',
        version: 1001,
        author_id: me.id,
        department: me.department,
      },
    ])
    // Sent again in the same push: the same record, nothing new.
    expect(await applyMutation(work, TASKS, m)).toEqual({ status: 'applied' })
    expect(work.lastVersion).toBe(1001)
    expect(await count('records')).toBe(before)
  })

  it('rejects for good what can never apply, with a reason', async () => {
    const work = workFor()
    expect(await applyMutation(work, TASKS, checkIn(1, { taskNumbers: [999] }))).toEqual({
      status: 'rejected',
      code: 'unknown_task',
      detail: '999',
      reason: 'unknown task 999',
    })
    expect(await applyMutation(work, TASKS, checkIn(2, { venueName: ' ' }))).toMatchObject({
      status: 'rejected',
      code: 'invalid',
      detail: 'venueName',
    })
    expect(await applyMutation(work, TASKS, { name: 'checkin.delete', args: {} })).toMatchObject({
      status: 'rejected',
      code: 'unknown_mutation',
      detail: 'checkin.delete',
    })
    expect(work.records.size).toBe(0)
  })

  it('refuses the whole push for a check-in whose photo is not on the server', async () => {
    const sha = 'b'.repeat(64)
    const m = checkIn(1, { photos: [{ sha256: sha, size: 10, type: 'image/jpeg' }] })
    await expect(applyMutation(workFor(), TASKS, m)).rejects.toMatchObject({
      status: 409,
      code: 'photo_missing',
      details: { missing: [sha] },
    })
  })

  it("keeps a note edit made from an old base beside the server's newer one", async () => {
    const note = makeNote({ authorId: me.id })
    const first = workFor()
    await applyMutation(first, TASKS, { name: 'note.put', args: { note, baseVersion: null } })
    await store.db.transaction().execute((tx) => writeWork(tx, first))
    const other = workFor(newClient(), { version: 2000, lastSeq: 0 })
    const edit = { ...note, text: '另一台手机上的修改' }
    const outcome = await applyMutation(other, TASKS, { name: 'note.put', args: { note: edit, baseVersion: 1 } })
    expect(outcome).toMatchObject({ status: 'conflict', code: 'changed', keptAs: expect.any(String) })
    expect(other.records.get(outcome.keptAs!)).toMatchObject({ kind: 'note', conflict_of: note.id })
    expect(
      await applyMutation(other, TASKS, { name: 'note.delete', args: { id: note.id, baseVersion: 1 } }),
    ).toMatchObject({ status: 'conflict', code: 'changed_not_deleted' })
  })

  it('applies new mutations in order, and refuses a gap', async () => {
    const work = workFor(newClient(), { version: 3000, lastSeq: 4 })
    const fresh = await inSequence([checkIn(5), checkIn(6)])
    expect(await applyInOrder(work, TASKS, fresh)).toEqual([
      { seq: 5, status: 'applied' },
      { seq: 6, status: 'applied' },
    ])
    expect(work.lastSeq).toBe(6)
    expect(work.mutations.map((r) => r.seq)).toEqual([5, 6])
    const gap = await inSequence([checkIn(8)])
    await expect(applyInOrder(work, TASKS, gap)).rejects.toMatchObject({
      status: 409,
      code: 'seq_gap',
      details: { expected: 7, lastProcessedSeq: 4 },
    })
  })

  it('writes the work: records, kept mutations, the client sequence and the version counter', async () => {
    const client = newClient()
    await store.db.transaction().execute((tx) => claimClient(tx, client, me))
    const start = { version: await counter(), lastSeq: 0 }
    const work = workFor(client, start)
    const batch = await inSequence(Array.from({ length: 150 }, (_, i) => checkIn(i + 1)))
    await applyInOrder(work, TASKS, batch)
    const before = { records: await count('records'), mutations: await count('mutations') }
    await store.db.transaction().execute((tx) => writeWork(tx, work))
    expect({ records: await count('records'), mutations: await count('mutations') }).toEqual({
      records: before.records + 150,
      mutations: before.mutations + 150,
    })
    expect(await counter()).toBe(start.version + 150)
    const row = await store.db
      .selectFrom('clients')
      .select('last_seq')
      .where('client_id', '=', client)
      .executeTakeFirstOrThrow()
    expect(row.last_seq).toBe(150)
  })
})
