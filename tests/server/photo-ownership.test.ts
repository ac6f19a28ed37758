import 'fake-indexeddb/auto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import SQLite from 'better-sqlite3'
import { Kysely, Migrator, SqliteDialect } from 'kysely'
import { OwnSchemaPostgresDialect } from '../../server/db/postgres-dialect'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildServer } from '../../server/app'
import { openStore } from '../../server/db/database'
import { migrations } from '../../server/db/migrations'
import { canonicalJson, sha256Hex } from '../../src/kernel/canonical'
import { uuidv7 } from '../../src/kernel/uuid'
import type { Campaign, CampaignReport, CoverageReport } from '../../src/kernel/campaign-schema'
import type { CheckIn, PushResponse } from '../../src/kernel/sync-schema'
import { saveCheckIn } from '../../src/db/records'
import { makeCheckIn, photoBytes, sha256 } from '../helpers/records'
import {
  describeStores,
  makeDist,
  makeServer,
  PG_URL,
  signedIn,
  type StoreKind,
  type TestServer,
} from '../helpers/server'
import { makePhone } from '../helpers/sync'

type Who = { user: { id: string }; cookie: string }

describeStores('who may correct a check-in, refer to a photo and add to an upload, on %s', (kind) => {
  let s: TestServer
  let a: Who
  let b: Who
  let supervisor: Who
  let campaign: Campaign

  let clientNo = 0
  const newClient = () => `own-${kind}-${++clientNo}-${Math.random().toString(36).slice(2, 8)}`
  const push = async (who: Who, clientId: string, args: CheckIn[]) => {
    const res = await s.app.inject({
      method: 'POST',
      url: '/api/sync/push',
      headers: { cookie: who.cookie },
      payload: { clientId, mutations: args.map((c, i) => ({ seq: i + 1, name: 'checkin.create', args: c })) },
    })
    return { status: res.statusCode, body: res.json() as PushResponse & Record<string, unknown> }
  }
  const checkInBy = (who: Who, o: Partial<CheckIn> = {}) =>
    makeCheckIn({ authorId: who.user.id, campaignId: campaign.id, taskNumbers: [37], ...o })
  const ref = (bytes: Buffer, size = bytes.length) => ({ sha256: sha256(bytes), size, type: 'image/jpeg' as const })
  const announce = (who: Who, bytes: Buffer, size = bytes.length) =>
    s.app.inject({ method: 'POST', url: '/api/photos', payload: ref(bytes, size), headers: { cookie: who.cookie } })
  const sendChunk = (who: Who, sha: string, offset: number, chunk: Buffer) =>
    s.app.inject({
      method: 'PATCH',
      url: `/api/photos/${sha}`,
      headers: {
        cookie: who.cookie,
        'content-type': 'application/offset+octet-stream',
        'upload-offset': String(offset),
      },
      payload: chunk,
    })
  const CHUNK = 10_000
  /** Announces and sends every byte from `from` on; the last answer. */
  async function uploadAll(who: Who, bytes: Buffer, from = 0) {
    await announce(who, bytes)
    let last
    for (let offset = from; offset < bytes.length; offset += CHUNK)
      last = await sendChunk(who, sha256(bytes), offset, bytes.subarray(offset, offset + CHUNK))
    return last!
  }
  const uploadState = (who: Who, sha: string) =>
    s.app.inject({ url: `/api/photos/${sha}/upload`, headers: { cookie: who.cookie } })
  const photoStatus = async (who: Who, sha: string) =>
    (await s.app.inject({ url: `/api/photos/${sha}`, headers: { cookie: who.cookie } })).statusCode
  const recordCount = async () =>
    Number(
      (
        await s.store.db
          .selectFrom('records')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    )
  const chunkCount = async () =>
    Number(
      (
        await s.store.db
          .selectFrom('photo_chunks')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    )

  async function newCampaign(): Promise<Campaign> {
    const res = await s.app.inject({
      method: 'POST',
      url: '/api/campaigns',
      headers: { cookie: supervisor.cookie },
      payload: {
        name: '护航行动',
        description: '',
        taskNumbers: [37],
        departments: ['省知识产权局'],
        inspectorIds: [a.user.id, b.user.id],
        startDate: '2026-11-01',
        endDate: '2026-12-31',
        venues: [],
      },
    })
    expect(res.statusCode, res.body).toBe(201)
    return res.json().campaign
  }

  beforeAll(async () => {
    s = await makeServer(kind)
    a = await signedIn(s, 'inspector', '省知识产权局')
    b = await signedIn(s, 'inspector', '省知识产权局')
    supervisor = await signedIn(s, 'supervisor', '省知识产权局')
    campaign = await newCampaign()
  })
  afterAll(() => s.close())

  describe('corrections', () => {
    it("rejects a correction of someone else's check-in as not_yours, and the rest of the push goes on", async () => {
      const original = checkInBy(a)
      expect((await push(a, newClient(), [original])).body.results).toMatchObject([{ seq: 1, status: 'applied' }])
      const own = checkInBy(b)
      const batch = [
        checkInBy(b, { correctionOf: original.id, outcome: 'no_problem' }),
        own,
        checkInBy(b, { correctionOf: own.id }),
      ]
      const client = newClient()
      const first = await push(b, client, batch)
      expect(first.status).toBe(200)
      expect(first.body).toMatchObject({
        lastProcessedSeq: 3,
        results: [
          { seq: 1, status: 'rejected', code: 'not_yours', detail: 'correctionOf', reason: expect.any(String) },
          { seq: 2, status: 'applied' },
          { seq: 3, status: 'applied' },
        ],
      })
      // Recorded: sent again, it is answered the same, and nothing more is written.
      const before = await recordCount()
      const answer = (body: PushResponse) => body.results.map((r) => [r.seq, r.status, r.code])
      const again = await push(b, client, batch)
      expect([again.body.lastProcessedSeq, answer(again.body)]).toEqual([3, answer(first.body)])
      expect(await recordCount()).toBe(before)
      // The author's own correction of their own check-in still applies.
      expect(
        (await push(a, newClient(), [checkInBy(a, { correctionOf: original.id, outcome: 'referred' })])).body.results,
      ).toMatchObject([{ seq: 1, status: 'applied' }])
    })

    it("counts a check-in in reports, CSV and coverage even when someone else's stored check-in names it as corrected", async () => {
      // What the push took before this fix, and still takes when the original is not on the server yet (the
      // original's id cannot be known before it is sent): a "correction" by B naming A's check-in.
      campaign = await newCampaign()
      const hidden = checkInBy(a, { venueName: '被冒改的检查', occurredAt: '2026-11-25T03:00:00.000Z' })
      const forged = checkInBy(b, { correctionOf: hidden.id, venueName: '冒名更正', outcome: 'no_problem' })
      expect((await push(b, newClient(), [forged])).body.results).toMatchObject([{ seq: 1, status: 'applied' }])
      expect((await push(a, newClient(), [hidden])).body.results).toMatchObject([{ seq: 1, status: 'applied' }])
      // A's own correction of their own check-in still stands in for it.
      const replaced = checkInBy(a, { venueName: '原记录' })
      const correction = checkInBy(a, { correctionOf: replaced.id, venueName: '更正后' })
      expect((await push(a, newClient(), [replaced, correction])).body.results).toHaveLength(2)

      const get = (url: string) => s.app.inject({ url, headers: { cookie: supervisor.cookie } })
      const report = (await get(`/api/campaigns/${campaign.id}/report`)).json() as CampaignReport
      const ids = report.checkIns.map((c) => c.id)
      expect(ids).toContain(hidden.id)
      expect(ids).toContain(forged.id)
      expect(ids).toContain(correction.id)
      expect(ids).not.toContain(replaced.id)
      const csv = (await get(`/api/campaigns/${campaign.id}/checkins.csv`)).body
      expect(csv).toContain(hidden.id)
      // No row of its own (the correction names it, in a column further along).
      expect(csv.split('\r\n').some((line) => line.startsWith(`${replaced.id},`))).toBe(false)
      // Four stored under the campaign; only `replaced` is corrected.
      expect(report.total).toBe(3)
      const coverage = (await get(`/api/coverage?campaign=${campaign.id}`)).json() as CoverageReport
      expect(coverage.tasks.find((t) => t.taskNumber === 37)?.checkIns).toBe(3)
    })
  })

  describe('photos a check-in refers to', () => {
    it('takes a check-in only with photos its author uploaded; anyone else is told it is missing, stored or not', async () => {
      const bytes = photoBytes(301, 25_000)
      expect(JSON.parse((await uploadAll(a, bytes)).body)).toEqual({ offset: bytes.length, complete: true })
      expect(
        (await push(a, newClient(), [checkInBy(a, { campaignId: null, photos: [ref(bytes)] })])).body.results,
      ).toMatchObject([{ seq: 1, status: 'applied' }])
      const before = await recordCount()
      const stored = await push(b, newClient(), [checkInBy(b, { photos: [ref(bytes)] })])
      const neverStored = photoBytes(302, 25_000)
      const missing = await push(b, newClient(), [checkInBy(b, { photos: [ref(neverStored)] })])
      expect(stored.status).toBe(409)
      expect(stored.body).toMatchObject({ error: 'photo_missing', missing: [sha256(bytes)] })
      // The same answer as for a photo nobody ever uploaded: it says nothing about what is stored.
      expect(missing.status).toBe(409)
      expect({ ...missing.body, missing: undefined }).toEqual({ ...stored.body, missing: undefined })
      expect(await recordCount()).toBe(before)
      expect(await photoStatus(b, sha256(bytes))).toBe(404)
      expect(await photoStatus(a, sha256(bytes))).toBe(200)
    })

    it('opens no photo through its hash typed into a check-in note or venue', async () => {
      const bytes = photoBytes(303, 25_000)
      const sha = sha256(bytes)
      await uploadAll(a, bytes)
      expect(
        (await push(a, newClient(), [checkInBy(a, { campaignId: null, photos: [ref(bytes)] })])).body.results,
      ).toMatchObject([{ seq: 1, status: 'applied' }])
      const typed = makeCheckIn({ authorId: b.user.id, taskNumbers: [37], venueName: sha, note: `照片 ${sha}` })
      expect((await push(b, newClient(), [typed])).body.results).toMatchObject([{ seq: 1, status: 'applied' }])
      expect(await photoStatus(b, sha)).toBe(404)
      expect(await photoStatus(a, sha)).toBe(200)
      expect(await photoStatus(supervisor, sha)).toBe(200)
    })
  })

  describe('uploads', () => {
    it("stalls nobody's upload when someone else announces the same photo with another size", async () => {
      const bytes = photoBytes(310, 35_000)
      const sha = sha256(bytes)
      expect((await announce(a, bytes)).json()).toEqual({ offset: 0, complete: false })
      await sendChunk(a, sha, 0, bytes.subarray(0, CHUNK))
      const wrong = await announce(b, bytes, bytes.length + 1)
      expect(wrong.statusCode).toBe(201)
      expect(wrong.json()).toEqual({ offset: 0, complete: false })
      expect((await announce(a, bytes)).json()).toEqual({ offset: CHUNK, complete: false })
      expect(JSON.parse((await uploadAll(a, bytes, CHUNK)).body)).toEqual({ offset: bytes.length, complete: true })
    })

    it("lets nobody add to someone else's upload", async () => {
      const bytes = photoBytes(311, 35_000)
      const sha = sha256(bytes)
      await announce(a, bytes)
      await sendChunk(a, sha, 0, bytes.subarray(0, CHUNK))
      const garbage = await sendChunk(b, sha, CHUNK, Buffer.alloc(CHUNK, 0x41))
      expect(garbage.statusCode).toBe(404)
      expect(garbage.json()).toMatchObject({ error: 'no_upload' })
      expect((await uploadState(b, sha)).statusCode).toBe(404)
      expect((await uploadState(a, sha)).json()).toEqual({ offset: CHUNK, complete: false })
      expect(JSON.parse((await uploadAll(a, bytes, CHUNK)).body)).toEqual({ offset: bytes.length, complete: true })
    })

    it('tells nobody else that a photo is stored, or its size; they own it once they upload every byte', async () => {
      const bytes = photoBytes(312, 35_000)
      const sha = sha256(bytes)
      await uploadAll(a, bytes)
      const fresh = photoBytes(313, 35_000)
      // Exactly what a photo nobody has stored gets.
      const told = await announce(b, bytes)
      const toldFresh = await announce(b, fresh)
      expect([told.statusCode, told.json()]).toEqual([toldFresh.statusCode, toldFresh.json()])
      expect(told.json()).toEqual({ offset: 0, complete: false })
      expect((await uploadState(b, sha)).json()).toEqual({ offset: 0, complete: false })
      // Wrong bytes under the hash are discarded; the stored photo is untouched.
      await sendChunk(b, sha, 0, Buffer.alloc(bytes.length, 0x42))
      expect((await uploadState(b, sha)).statusCode).toBe(404)
      // Every byte, and the photo is B's to refer to as well.
      expect(JSON.parse((await uploadAll(b, bytes)).body)).toEqual({ offset: bytes.length, complete: true })
      expect((await push(b, newClient(), [checkInBy(b, { photos: [ref(bytes)] })])).body.results).toMatchObject([
        { seq: 1, status: 'applied' },
      ])
      expect(await photoStatus(b, sha)).toBe(200)
    })

    it('drops unfinished uploads a day after they started, chunks and all, when an upload starts', async () => {
      const bytes = photoBytes(314, 35_000)
      const sha = sha256(bytes)
      await announce(a, bytes)
      await sendChunk(a, sha, 0, bytes.subarray(0, CHUNK))
      const chunksBefore = await chunkCount()
      expect(chunksBefore).toBeGreaterThan(0)
      const dayAgo = new Date(Date.now() - 24 * 3600_000 - 60_000).toISOString()
      await s.store.db.updateTable('photo_uploads').set({ created_at: dayAgo }).where('sha256', '=', sha).execute()
      // Any upload start (here someone else's) sweeps expired ones.
      await announce(b, photoBytes(315, 1_000))
      expect((await uploadState(a, sha)).statusCode).toBe(404)
      expect(await chunkCount()).toBe(chunksBefore - 1)
      // The phone starts it again from the first byte.
      expect((await announce(a, bytes)).json()).toEqual({ offset: 0, complete: false })
    })

    it("refuses a user's new upload beyond their quota of unfinished bytes with 429, and no one else's", async () => {
      const heavy = await signedIn(s, 'inspector', '省知识产权局')
      const size = 3 * 1024 * 1024
      const fakeSha = (i: number) => sha256(Buffer.from(`quota-${kind}-${i}`))
      const start = (who: Who, i: number) =>
        s.app.inject({
          method: 'POST',
          url: '/api/photos',
          payload: { sha256: fakeSha(i), size, type: 'image/jpeg' },
          headers: { cookie: who.cookie },
        })
      // 16 × 3 MiB = 48 MiB fits under 50 MiB; a 17th does not.
      for (let i = 0; i < 16; i++) expect((await start(heavy, i)).statusCode).toBe(201)
      const over = await start(heavy, 16)
      expect(over.statusCode).toBe(429)
      expect(over.json()).toMatchObject({ error: 'upload_quota', quotaBytes: 50 * 1024 * 1024 })
      // Resuming one already started is not a new upload.
      expect((await start(heavy, 3)).statusCode).toBe(201)
      expect((await start(b, 16)).statusCode).toBe(201)
      // Once some expire, there is room again.
      const dayAgo = new Date(Date.now() - 24 * 3600_000 - 60_000).toISOString()
      await s.store.db
        .updateTable('photo_uploads')
        .set({ created_at: dayAgo })
        .where('sha256', 'in', [fakeSha(0), fakeSha(1)])
        .execute()
      expect((await start(heavy, 16)).statusCode).toBe(201)
    })
  })

  describe('a phone of the version before', () => {
    it('sends a check-in whose photo it had uploaded before uploads had owners, by uploading it again', async () => {
      // The bytes are on the server, but this user owns no copy (as after the upgrade, for a photo uploaded
      // before it whose check-in was still queued): here someone else uploaded them.
      const bytes = photoBytes(320, 30_000)
      await uploadAll(b, bytes)
      const phone = makePhone(s.app, a.cookie)
      const checkIn = makeCheckIn({ authorId: a.user.id, taskNumbers: [37], photos: [ref(bytes)] })
      await saveCheckIn(phone.db, checkIn, [
        { ...ref(bytes), bytes: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer },
      ])
      await phone.db.photos.update(sha256(bytes), { state: 'verified' })
      const report = await phone.engine.sync()
      expect(report).toMatchObject({ pushed: 1, photosUploaded: 1 })
      expect((await phone.db.checkins.get(checkIn.id))?.state).toBe('verified')
      expect(await photoStatus(a, sha256(bytes))).toBe(200)
    })
  })
})

/** The tables as migration 0004 left them: what a server of the version before stored. */
interface Legacy {
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
    created_at: string
    updated_at: string
  }
  counters: { name: string; value: number }
  photos: { sha256: string; size: number; type: string; bytes: Buffer; created_at: string }
  photo_uploads: { sha256: string; size: number; type: string; received: number; created_at: string }
  photo_chunks: { sha256: string; offset: number; bytes: Buffer }
}

/** A database at migration 0004, for `fill` to put a former version's data in; then opened as today's store. */
async function storeMigratedFrom0004(kind: StoreKind, fill: (db: Kysely<Legacy>) => Promise<void>) {
  const dir = mkdtempSync(join(tmpdir(), 'zhixun-0005-'))
  const schema = `t_0005_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`
  let raw: Kysely<Legacy>
  let pool: pg.Pool | undefined
  if (kind === 'sqlite') {
    raw = new Kysely<Legacy>({ dialect: new SqliteDialect({ database: new SQLite(join(dir, 'z.sqlite')) }) })
  } else {
    pool = new pg.Pool({ connectionString: PG_URL, max: 2, options: `-c search_path=${schema}` })
    await pool.query(`CREATE SCHEMA "${schema}"`)
    raw = new Kysely<Legacy>({ dialect: new OwnSchemaPostgresDialect({ pool }, schema) })
  }
  const dropSchema = async () => {
    if (kind !== 'postgres') return
    const client = new pg.Client({ connectionString: PG_URL })
    await client.connect()
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
    await client.end()
  }
  try {
    const migrator = new Migrator({
      db: raw,
      provider: { getMigrations: async () => migrations(kind) },
      ...(kind === 'postgres' ? { migrationTableSchema: schema } : {}),
    })
    const { error } = await migrator.migrateTo('0004_campaigns')
    if (error) throw error
    await fill(raw)
  } finally {
    await raw.destroy()
  }
  const store = await openStore(kind === 'sqlite' ? join(dir, 'z.sqlite') : PG_URL, {
    ...(kind === 'postgres' ? { schema } : {}),
  }).catch(async (err: unknown) => {
    await dropSchema()
    throw err
  })
  const dist = makeDist()
  const app = await buildServer({ distDir: dist.dir, store })
  return {
    app,
    store,
    async close() {
      await app.close()
      await store.close()
      await dropSchema()
      dist.remove()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

describeStores('migration 0005_photo_ownership, on %s', (kind) => {
  const idA = uuidv7()
  const idB = uuidv7()
  const taken = photoBytes(401, 20_000) // referred to by A's check-in
  const queued = photoBytes(402, 20_000) // uploaded, its check-in still on the phone
  const halfway = photoBytes(403, 20_000) // an unfinished upload
  const sha = (b: Buffer) => sha256(b)
  const photoRef = (b: Buffer) => ({ sha256: sha(b), size: b.length, type: 'image/jpeg' as const })
  const checkInA = makeCheckIn({ authorId: idA, taskNumbers: [37], photos: [photoRef(taken)] })
  // B typed the hash into a note: before, that opened the photo to B.
  const checkInB = makeCheckIn({ authorId: idB, taskNumbers: [37], note: `见 ${sha(taken)}` })
  let s: Awaited<ReturnType<typeof storeMigratedFrom0004>>
  const as: Record<'a' | 'b', string> = { a: '', b: '' }
  /** The photo tables just after the migration, before any test adds to them. */
  let migrated: { links: unknown[]; owners: unknown[]; uploads: number }

  beforeAll(async () => {
    s = await storeMigratedFrom0004(kind, async (db) => {
      const at = '2026-11-20T00:00:00.000Z'
      let version = 0
      for (const c of [checkInA, checkInB]) {
        const data = canonicalJson(c)
        await db
          .insertInto('records')
          .values({
            id: c.id,
            kind: 'checkin',
            version: ++version,
            client_id: `legacy-${c.authorId}`,
            task_number: 37,
            data,
            hash: await sha256Hex(data),
            deleted: 0,
            conflict_of: null,
            author_id: c.authorId,
            department: '省知识产权局',
            campaign_id: null,
            created_at: at,
            updated_at: at,
          })
          .execute()
      }
      await db.updateTable('counters').set({ value: version }).where('name', '=', 'version').execute()
      for (const b of [taken, queued])
        await db
          .insertInto('photos')
          .values({ sha256: sha(b), size: b.length, type: 'image/jpeg', bytes: b, created_at: at })
          .execute()
      await db
        .insertInto('photo_uploads')
        .values({ sha256: sha(halfway), size: halfway.length, type: 'image/jpeg', received: 5_000, created_at: at })
        .execute()
      await db
        .insertInto('photo_chunks')
        .values({ sha256: sha(halfway), offset: 0, bytes: halfway.subarray(0, 5_000) })
        .execute()
    })
    migrated = {
      links: await s.store.db.selectFrom('record_photos').selectAll().execute(),
      owners: await s.store.db.selectFrom('photo_owners').select(['user_id', 'sha256']).execute(),
      uploads: (await s.store.db.selectFrom('photo_uploads').select('id').execute()).length,
    }
    // The users of the version before, signed in: accounts given the ids the old records carry.
    for (const [who, id] of [
      ['a', idA],
      ['b', idB],
    ] as const) {
      const { user, cookie } = await signedIn(s, 'inspector', '省知识产权局')
      await s.store.db.updateTable('users').set({ id }).where('id', '=', user.id).execute()
      await s.store.db.updateTable('sessions').set({ user_id: id }).where('user_id', '=', user.id).execute()
      as[who] = cookie
    }
  })
  afterAll(() => s?.close())

  const get = (who: 'a' | 'b', url: string) => s.app.inject({ url, headers: { cookie: as[who] } })
  const post = (who: 'a' | 'b', url: string, payload: object) =>
    s.app.inject({ method: 'POST', url, payload, headers: { cookie: as[who] } })
  const pushOne = (who: 'a' | 'b', args: CheckIn) =>
    post(who, '/api/sync/push', {
      clientId: `new-${who}-${Math.random().toString(36).slice(2, 10)}`,
      mutations: [{ seq: 1, name: 'checkin.create', args }],
    })

  it('indexes the photos of every stored check-in, and gives each stored photo the authors who referred to it', async () => {
    expect(migrated.links).toEqual([{ sha256: sha(taken), record_id: checkInA.id }])
    expect(migrated.owners).toEqual([{ user_id: idA, sha256: sha(taken) }])
    expect((await get('a', `/api/photos/${sha(taken)}`)).statusCode).toBe(200)
    expect((await get('b', `/api/photos/${sha(taken)}`)).statusCode).toBe(404)
  })

  it('lets an author go on referring to their photo; one never referred to is uploaded again first', async () => {
    expect(
      (await pushOne('a', makeCheckIn({ authorId: idA, photos: [photoRef(taken)] }))).json().results,
    ).toMatchObject([{ seq: 1, status: 'applied' }])
    const later = makeCheckIn({ authorId: idA, photos: [photoRef(queued)] })
    const refused = await pushOne('a', later)
    expect([refused.statusCode, refused.json().error]).toEqual([409, 'photo_missing'])
    expect((await post('a', '/api/photos', photoRef(queued))).json()).toEqual({ offset: 0, complete: false })
    const done = await s.app.inject({
      method: 'PATCH',
      url: `/api/photos/${sha(queued)}`,
      payload: queued,
      headers: { cookie: as.a, 'content-type': 'application/offset+octet-stream', 'upload-offset': '0' },
    })
    expect(done.json()).toEqual({ offset: queued.length, complete: true })
    expect((await pushOne('a', later)).json().results).toMatchObject([{ seq: 1, status: 'applied' }])
  })

  it('drops unfinished uploads that had no uploader; the phone starts them again', async () => {
    expect(migrated.uploads).toBe(0)
    expect((await post('a', '/api/photos', photoRef(halfway))).json()).toEqual({ offset: 0, complete: false })
  })
})
