import { afterAll, beforeAll, expect, it } from 'vitest'
import { recordHash } from '../../src/kernel/canonical'
import type { CheckIn } from '../../src/kernel/sync-schema'
import { makeCheckIn, makeNote } from '../helpers/records'
import { newClientId, PhoneChain, pusher, type Who } from '../helpers/integrity'
import { databaseBefore } from '../helpers/migrated'
import { describeStores, makeServer, signedIn, type StoreKind, type TestServer } from '../helpers/server'

describeStores('hash chains per creating client, on %s', (kind) => {
  let s: TestServer
  let me: Who
  let other: Who
  const checkIn = (o: Partial<CheckIn> = {}) => makeCheckIn({ authorId: me.user.id, taskNumbers: [37], ...o })
  const create = (args: unknown) => ({ name: 'checkin.create', args })
  const row = (id: string) =>
    s.store.db
      .selectFrom('records')
      .select(['chain_client', 'chain_seq', 'chain_status', 'hash'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow()
  const statusOf = async (id: string) => (await row(id)).chain_status
  const links = (clientId: string) =>
    s.store.db
      .selectFrom('chain_links')
      .select(['seq', 'record_id', 'status', 'prev', 'hash', 'delivered_by'])
      .where('client_id', '=', clientId)
      .orderBy('seq')
      .execute()

  beforeAll(async () => {
    s = await makeServer(kind)
    me = await signedIn(s)
    other = await signedIn(s)
  }, 60_000)
  afterAll(() => s.close())

  it('keeps the first link and every link that names the hash of the one before', async () => {
    const phone = pusher(
      () => s,
      () => me,
    )
    const chain = new PhoneChain(phone.clientId)
    const records = [await chain.link(checkIn()), await chain.link(checkIn()), await chain.link(checkIn())]
    const res = await phone.push(records.map(create))
    expect(res.status).toBe(200)
    expect(res.body.results.map((r) => r.status)).toEqual(['applied', 'applied', 'applied'])
    expect(await Promise.all(records.map((r) => statusOf(r.id)))).toEqual(['first', 'linked', 'linked'])
    expect(await row(records[2]!.id)).toMatchObject({ chain_client: phone.clientId, chain_seq: 3 })
    const stored = await links(phone.clientId)
    expect(stored.map((l) => [l.seq, l.record_id, l.status, l.delivered_by])).toEqual([
      [1, records[0]!.id, 'first', phone.clientId],
      [2, records[1]!.id, 'linked', phone.clientId],
      [3, records[2]!.id, 'linked', phone.clientId],
    ])
    expect(stored[1]!.prev).toBe(stored[0]!.hash)
    expect(stored[0]!.hash).toBe(await recordHash(records[0]))
  })

  it('marks a gap, and links the waiting record once the missing one arrives in a later push', async () => {
    const phone = pusher(
      () => s,
      () => me,
    )
    const chain = new PhoneChain(phone.clientId)
    const [one, two, three] = [await chain.link(checkIn()), await chain.link(checkIn()), await chain.link(checkIn())]
    expect((await phone.push([create(one), create(three)])).status).toBe(200)
    expect([await statusOf(one.id), await statusOf(three.id)]).toEqual(['first', 'gap'])
    expect((await links(phone.clientId)).map((l) => l.status)).toEqual(['first', 'gap'])
    expect((await phone.push([create(two)])).status).toBe(200)
    expect([await statusOf(two.id), await statusOf(three.id)]).toEqual(['linked', 'linked'])
    expect((await links(phone.clientId)).map((l) => l.status)).toEqual(['first', 'linked', 'linked'])
  })

  it('links records that arrive out of order in one push (3 before 2)', async () => {
    const phone = pusher(
      () => s,
      () => me,
    )
    const chain = new PhoneChain(phone.clientId)
    const [one, two, three] = [await chain.link(checkIn()), await chain.link(checkIn()), await chain.link(checkIn())]
    expect((await phone.push([create(one), create(three), create(two)])).status).toBe(200)
    expect(await Promise.all([one, two, three].map((r) => statusOf(r.id)))).toEqual(['first', 'linked', 'linked'])
    expect((await links(phone.clientId)).map((l) => l.status)).toEqual(['first', 'linked', 'linked'])
  })

  it('flags a forged previous hash as broken, also when the gap it waited on fills, and keeps the record', async () => {
    const phone = pusher(
      () => s,
      () => me,
    )
    const chain = new PhoneChain(phone.clientId)
    const one = await chain.link(checkIn())
    const forged = { ...checkIn(), chain: { clientId: phone.clientId, seq: 2, prev: 'f'.repeat(64) } }
    const res = await phone.push([create(one), create(forged)])
    expect(res.body.results.map((r) => r.status)).toEqual(['applied', 'applied'])
    expect(await statusOf(forged.id)).toBe('broken')

    // A record waiting on a gap whose previous hash turns out to be another's: broken once the gap fills.
    const phone2 = pusher(
      () => s,
      () => me,
    )
    const c2 = new PhoneChain(phone2.clientId)
    const a = await c2.link(checkIn())
    const b = await c2.link(checkIn())
    const c = { ...checkIn(), chain: { clientId: phone2.clientId, seq: 3, prev: 'e'.repeat(64) } }
    await phone2.push([create(a), create(c)])
    expect(await statusOf(c.id)).toBe('gap')
    await phone2.push([create(b)])
    expect([await statusOf(b.id), await statusOf(c.id)]).toEqual(['linked', 'broken'])

    // A first record that names a previous one, and a second record claiming a place already taken.
    const third = pusher(
      () => s,
      () => me,
    )
    const badFirst = { ...checkIn(), chain: { clientId: third.clientId, seq: 1, prev: 'a'.repeat(64) } }
    const c3 = new PhoneChain(newClientId('fork'))
    const taken = await c3.link(checkIn())
    const intruder = { ...checkIn(), chain: { clientId: c3.clientId, seq: 1, prev: null } }
    await third.push([create(badFirst), create(taken), create(intruder)])
    expect(await statusOf(badFirst.id)).toBe('broken')
    expect([await statusOf(taken.id), await statusOf(intruder.id)]).toEqual(['first', 'broken'])
    // The place stays the first record's.
    expect((await links(c3.clientId)).map((l) => [l.seq, l.record_id, l.status])).toEqual([[1, taken.id, 'first']])
  })

  it("links a record delivered by another phone of the same inspector (an imported export) into its maker's chain", async () => {
    const phoneA = pusher(
      () => s,
      () => me,
    )
    const phoneB = pusher(
      () => s,
      () => me,
    )
    const chain = new PhoneChain(phoneA.clientId)
    const [one, two, three, four] = [
      await chain.link(checkIn()),
      await chain.link(checkIn()),
      await chain.link(checkIn()),
      await chain.link(checkIn()),
    ]
    await phoneA.push([create(one), create(three)])
    expect(await statusOf(three.id)).toBe('gap')
    // Phone B imports A's export and sends what A never did: the gap fills, whoever delivers it.
    const res = await phoneB.push([create(two), create(four)])
    expect(res.body.results.map((r) => r.status)).toEqual(['applied', 'applied'])
    expect(await Promise.all([two, three, four].map((r) => statusOf(r.id)))).toEqual(['linked', 'linked', 'linked'])
    expect((await row(four.id)).chain_client).toBe(phoneA.clientId)
    expect((await links(phoneA.clientId)).map((l) => [l.seq, l.status, l.delivered_by])).toEqual([
      [1, 'first', phoneA.clientId],
      [2, 'linked', phoneB.clientId],
      [3, 'linked', phoneA.clientId],
      [4, 'linked', phoneB.clientId],
    ])
    // The same records delivered again (the export imported twice) change nothing.
    const again = await phoneB.push([create(one), create(two)])
    expect(again.body.results.map((r) => r.status)).toEqual(['applied', 'applied'])
    expect(await Promise.all([one, two].map((r) => statusOf(r.id)))).toEqual(['first', 'linked'])
    expect(await links(phoneA.clientId)).toHaveLength(4)
  })

  it("gives no one a place in another inspector's chain", async () => {
    const mine = pusher(
      () => s,
      () => me,
    )
    const chain = new PhoneChain(mine.clientId)
    const one = await chain.link(checkIn())
    await mine.push([create(one)])
    const theirs = pusher(
      () => s,
      () => other,
    )
    const squatter = {
      ...makeCheckIn({ authorId: other.user.id, taskNumbers: [37] }),
      chain: { clientId: mine.clientId, seq: 2, prev: chain.head },
    }
    const res = await theirs.push([create(squatter)])
    expect(res.body.results[0]!.status).toBe('applied')
    expect(await statusOf(squatter.id)).toBe('broken')
    // The inspector's own second record still takes its place.
    const two = await chain.link(checkIn())
    await mine.push([create(two)])
    expect(await statusOf(two.id)).toBe('linked')
    expect((await links(mine.clientId)).map((l) => l.record_id)).toEqual([one.id, two.id])
  })

  it('counts a rejected record as a chain member: the next record links to it', async () => {
    const phone = pusher(
      () => s,
      () => me,
    )
    const chain = new PhoneChain(phone.clientId)
    const one = await chain.link(checkIn())
    const unknownTask = await chain.link(checkIn({ taskNumbers: [99999] }))
    // Invalid too (an empty venue name), but its chain can be read.
    const invalid = await chain.link({ ...checkIn(), venueName: '' })
    const four = await chain.link(checkIn())
    const res = await phone.push([create(one), create(unknownTask), create(invalid), create(four)])
    expect(res.body.results.map((r) => [r.status, r.code])).toEqual([
      ['applied', undefined],
      ['rejected', 'unknown_task'],
      ['rejected', 'invalid'],
      ['applied', undefined],
    ])
    expect(await statusOf(four.id)).toBe('linked')
    const stored = await links(phone.clientId)
    expect(stored.map((l) => [l.seq, l.record_id, l.status])).toEqual([
      [1, one.id, 'first'],
      [2, unknownTask.id, 'linked'],
      [3, invalid.id, 'linked'],
      [4, four.id, 'linked'],
    ])
    expect(stored[1]!.hash).toBe(await recordHash(unknownTask))
    const rejected = await s.store.db.selectFrom('records').select('id').where('id', '=', unknownTask.id).execute()
    expect(rejected).toEqual([])
  })

  it('chains note saves: each save is the next link, and the note row carries its latest', async () => {
    const phone = pusher(
      () => s,
      () => me,
    )
    const chain = new PhoneChain(phone.clientId)
    const note = makeNote({ authorId: me.user.id, taskNumber: 37 })
    const first = await chain.link(note)
    const ci = await chain.link(checkIn())
    const edited = await chain.link({ ...note, text: '改过的记录', updatedAt: '2026-11-20T04:00:00.000Z' })
    const res = await phone.push([
      { name: 'note.put', args: { note: first, baseVersion: null } },
      create(ci),
      { name: 'note.put', args: { note: edited, baseVersion: null } },
    ])
    expect(res.body.results.map((r) => r.status)).toEqual(['applied', 'applied', 'applied'])
    expect(await row(note.id)).toMatchObject({ chain_client: phone.clientId, chain_seq: 3, chain_status: 'linked' })
    expect((await links(phone.clientId)).map((l) => [l.record_id, l.status])).toEqual([
      [note.id, 'first'],
      [ci.id, 'linked'],
      [note.id, 'linked'],
    ])
  })

  it('syncs records of phones before chains, marked unchained, with no links', async () => {
    const phone = pusher(
      () => s,
      () => me,
    )
    const old = checkIn()
    const note = makeNote({ authorId: me.user.id, taskNumber: 37 })
    const res = await phone.push([create(old), { name: 'note.put', args: { note, baseVersion: null } }])
    expect(res.body.results.map((r) => r.status)).toEqual(['applied', 'applied'])
    expect(await row(old.id)).toMatchObject({ chain_client: null, chain_seq: null, chain_status: 'unchained' })
    expect(await statusOf(note.id)).toBe('unchained')
    expect(await links(phone.clientId)).toEqual([])
  })
})

/** The records table as migration 0008 left it: a server of the version before issue 11's chains. */
interface Before0009 {
  records: {
    id: string
    kind: string
    version: number
    client_id: string
    task_number: number | null
    data: string | null
    hash: string | null
    deleted: number
    conflict_of: string | null
    author_id: string | null
    department: string | null
    campaign_id: string | null
    signature_status: string | null
    signature: string | null
    created_at: string
    updated_at: string
  }
}

describeStores('migration 0009_chain_inspections, on %s', (kind: StoreKind) => {
  const earlier = databaseBefore(kind, '0009')
  const old = makeCheckIn({ taskNumbers: [37] })

  afterAll(async () => {
    await earlier.drop()
  })

  it('marks every record stored before it unchained, with no flags it could not know', async () => {
    const raw = await earlier.migratedTo<Before0009>('0008_credentials_parties')
    try {
      const at = '2026-11-20T00:00:00.000Z'
      await raw
        .insertInto('records')
        .values({
          id: old.id,
          kind: 'checkin',
          version: 1,
          client_id: 'legacy-phone',
          task_number: 37,
          data: JSON.stringify(old),
          hash: await recordHash(old),
          deleted: 0,
          conflict_of: null,
          author_id: old.authorId,
          department: '省知识产权局',
          campaign_id: null,
          signature_status: 'unsigned',
          signature: null,
          created_at: at,
          updated_at: at,
        })
        .execute()
    } finally {
      await raw.destroy()
    }
    const store = await earlier.open()
    try {
      const migrated = await store.db
        .selectFrom('records')
        .selectAll()
        .where('id', '=', old.id)
        .executeTakeFirstOrThrow()
      expect(migrated).toMatchObject({
        chain_status: 'unchained',
        chain_client: null,
        chain_seq: null,
        clock_skew_ms: null,
        certified_count: null,
        two_certified: null,
        party_id: null,
      })
      expect(await store.db.selectFrom('chain_links').selectAll().execute()).toEqual([])
    } finally {
      await store.close()
    }
  })
})
