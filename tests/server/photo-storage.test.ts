import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'kysely'
import { unzipSync } from 'fflate'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildServer, type ServerOptions } from '../../server/app'
import { openStore, type Store } from '../../server/db/database'
import type { Manifest } from '../../server/evidence/package'
import { DatabasePhotoStorage, FolderPhotoStorage, photoStorageFromEnv } from '../../server/photos/storage'
import type { Campaign } from '../../src/kernel/campaign-schema'
import { downloadPackage, evidenceScenario } from '../helpers/evidence'
import { makeCampaign, pusher, type Who } from '../helpers/integrity'
import { makeCheckIn, photoBytes, sha256 } from '../helpers/records'
import {
  describeOn,
  describeStores,
  makeDist,
  makeStore,
  PG_URL,
  signedIn,
  type StoreKind,
  type TestServer,
} from '../helpers/server'

/** Every file under `dir`, as paths relative to it. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort()
}

/**
 * Two servers on one database (each with its own connections: a second SQLite connection to the same file, a
 * second PostgreSQL pool on the same schema) sharing one photo folder, and a third that keeps photos in the
 * database, as every server did before there was a folder.
 */
interface Cluster {
  folder: string
  a: TestServer
  b: TestServer
  inDatabase: TestServer
  close(): Promise<void>
}

async function makeCluster(kind: StoreKind): Promise<Cluster> {
  const tmp = mkdtempSync(join(tmpdir(), 'zhixun-photo-storage-'))
  const folder = join(tmp, 'photos')
  let first: Store
  let second: Store
  if (kind === 'sqlite') {
    first = await openStore(join(tmp, 'db', 'zhixun.sqlite'))
    second = await openStore(join(tmp, 'db', 'zhixun.sqlite'))
  } else {
    first = await makeStore('postgres')
    const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(first.db)
    // A second pool that fails to open must not leave the first one's schema behind.
    second = await openStore(PG_URL, { schema: rows[0]!.schema }).catch(async (err: unknown) => {
      await first.close()
      throw err
    })
  }
  const dist = makeDist()
  const serve = async (store: Store, options: Partial<ServerOptions>): Promise<TestServer> => ({
    app: await buildServer({ distDir: dist.dir, store, ...options }),
    store,
    close: async () => undefined,
  })
  const a = await serve(first, { photoStorage: new FolderPhotoStorage(folder) })
  const b = await serve(second, { photoStorage: new FolderPhotoStorage(folder) })
  const inDatabase = await serve(first, {})
  return {
    folder,
    a,
    b,
    inDatabase,
    async close() {
      for (const s of [a, b, inDatabase]) await s.app.close()
      await second.close()
      await first.close()
      dist.remove()
      rmSync(tmp, { recursive: true, force: true })
    },
  }
}

describeStores('photo storage in a folder shared by two servers, on %s', (kind) => {
  let c: Cluster
  let inspector: Who
  let supervisor: Who
  let campaign: Campaign
  let seed = 7000

  beforeAll(async () => {
    c = await makeCluster(kind)
    inspector = await signedIn(c.a, 'inspector')
    supervisor = await signedIn(c.a, 'supervisor')
    campaign = await makeCampaign(c.a, supervisor, [inspector])
  })
  afterAll(() => c.close())

  const ref = (bytes: Buffer) => ({ sha256: sha256(bytes), size: bytes.length, type: 'image/jpeg' })
  const announce = (s: TestServer, who: Who, bytes: Buffer) =>
    s.app.inject({ method: 'POST', url: '/api/photos', payload: ref(bytes), headers: { cookie: who.cookie } })
  const sendChunk = (s: TestServer, who: Who, bytes: Buffer, from: number, to: number) =>
    s.app.inject({
      method: 'PATCH',
      url: `/api/photos/${sha256(bytes)}`,
      headers: {
        cookie: who.cookie,
        'content-type': 'application/offset+octet-stream',
        'upload-offset': String(from),
      },
      payload: bytes.subarray(from, to),
    })
  /** Announces and sends the whole photo to `s` in two chunks, as the phone does. */
  async function uploadTo(s: TestServer, who: Who, bytes: Buffer) {
    expect((await announce(s, who, bytes)).statusCode).toBe(201)
    const half = Math.floor(bytes.length / 2)
    expect((await sendChunk(s, who, bytes, 0, half)).json()).toEqual({ offset: half, complete: false })
    const last = await sendChunk(s, who, bytes, half, bytes.length)
    expect(last.statusCode, last.body).toBe(200)
    expect(last.json()).toEqual({ offset: bytes.length, complete: true })
  }
  /** Pushes a check-in listing the photos, so that whoever may read it may see them. */
  async function referTo(s: TestServer, who: Who, photos: Buffer[]) {
    const checkIn = makeCheckIn({
      authorId: who.user.id,
      campaignId: campaign.id,
      taskNumbers: [37],
      photos: photos.map(ref).map((r) => ({ ...r, type: 'image/jpeg' as const })),
    })
    const pushed = await pusher(
      () => s,
      () => who,
    ).push([{ name: 'checkin.create', args: checkIn }])
    expect(pushed.status).toBe(200)
    expect(pushed.body.results.map((r) => r.status)).toEqual(['applied'])
    return checkIn
  }
  const read = (s: TestServer, who: Who, bytes: Buffer) =>
    s.app.inject({ url: `/api/photos/${sha256(bytes)}`, headers: { cookie: who.cookie } })
  const fileOf = (bytes: Buffer) => {
    const sha = sha256(bytes)
    return join(c.folder, sha.slice(0, 2), sha.slice(2, 4), sha)
  }
  const row = (bytes: Buffer) =>
    c.a.store.db
      .selectFrom('photos')
      .select(['storage', 'size', 'type', (eb) => eb.fn<number>('length', ['bytes']).as('kept')])
      .where('sha256', '=', sha256(bytes))
      .executeTakeFirst()

  it('stores an uploaded photo as one file named by its hash, its row without bytes, and serves it from either server', async () => {
    const bytes = photoBytes(++seed, 60_000)
    await uploadTo(c.a, inspector, bytes)
    expect(readFileSync(fileOf(bytes)).equals(bytes)).toBe(true)
    expect(await row(bytes)).toEqual({ storage: 'folder', size: bytes.length, type: 'image/jpeg', kept: 0 })
    await referTo(c.a, inspector, [bytes])
    for (const s of [c.a, c.b]) {
      const res = await read(s, inspector, bytes)
      expect(res.statusCode).toBe(200)
      expect(res.headers['content-type']).toBe('image/jpeg')
      expect(res.rawPayload.equals(bytes)).toBe(true)
    }
    // No temporary file is left beside it.
    expect(filesUnder(c.folder).filter((f) => f.includes('.tmp'))).toEqual([])
  })

  it('continues on the other server an upload begun on one; the chunks in between are in the database', async () => {
    const bytes = photoBytes(++seed, 50_000)
    expect((await announce(c.a, inspector, bytes)).statusCode).toBe(201)
    expect((await sendChunk(c.a, inspector, bytes, 0, 20_000)).statusCode).toBe(200)
    expect(existsSync(fileOf(bytes))).toBe(false)
    // The phone asks the server it reaches now where to resume: the other one knows.
    const state = await c.b.app.inject({
      url: `/api/photos/${sha256(bytes)}/upload`,
      headers: { cookie: inspector.cookie },
    })
    expect(state.json()).toEqual({ offset: 20_000, complete: false })
    expect((await announce(c.b, inspector, bytes)).json()).toEqual({ offset: 20_000, complete: false })
    const last = await sendChunk(c.b, inspector, bytes, 20_000, bytes.length)
    expect(last.json()).toEqual({ offset: bytes.length, complete: true })
    expect(await c.a.store.db.selectFrom('photo_chunks').selectAll().execute()).toEqual([])
    await referTo(c.b, inspector, [bytes])
    expect((await read(c.a, inspector, bytes)).rawPayload.equals(bytes)).toBe(true)
  })

  it('reads a photo stored in the database before the move to a folder, from its row, on every server', async () => {
    const bytes = photoBytes(++seed, 30_000)
    await uploadTo(c.inDatabase, inspector, bytes)
    expect(await row(bytes)).toEqual({
      storage: 'database',
      size: bytes.length,
      type: 'image/jpeg',
      kept: bytes.length,
    })
    expect(existsSync(fileOf(bytes))).toBe(false)
    await referTo(c.a, inspector, [bytes])
    for (const s of [c.inDatabase, c.a, c.b])
      expect((await read(s, inspector, bytes)).rawPayload.equals(bytes)).toBe(true)
    // Uploaded again by someone else, it stays where it is.
    const other = await signedIn(c.a, 'inspector')
    await uploadTo(c.b, other, bytes)
    expect((await row(bytes))?.storage).toBe('database')
    expect(existsSync(fileOf(bytes))).toBe(false)
  })

  it('answers 503 photo_unavailable, saying why, for a file that is missing or changed; a new upload of it restores it', async () => {
    const bytes = photoBytes(++seed, 40_000)
    await uploadTo(c.a, inspector, bytes)
    await referTo(c.a, inspector, [bytes])
    const path = fileOf(bytes)

    writeFileSync(path, Buffer.concat([bytes.subarray(0, 100), Buffer.from('changed'), bytes.subarray(107)]))
    let res = await read(c.b, inspector, bytes)
    expect(res.statusCode).toBe(503)
    expect(res.json()).toMatchObject({ error: 'photo_unavailable', problem: 'corrupt', sha256: sha256(bytes) })

    rmSync(path)
    res = await read(c.a, inspector, bytes)
    expect(res.statusCode).toBe(503)
    expect(res.json()).toMatchObject({ error: 'photo_unavailable', problem: 'missing' })
    // The server itself is fine.
    expect((await c.a.app.inject({ url: '/api/health' })).statusCode).toBe(200)

    // A server started without the folder cannot reach it: it says so, it does not pretend the photo is unknown.
    res = await read(c.inDatabase, inspector, bytes)
    expect(res.statusCode).toBe(503)
    expect(res.json()).toMatchObject({ error: 'photo_unavailable', problem: 'not_configured' })

    // Anyone's upload of the same bytes writes the lost file again.
    const other = await signedIn(c.a, 'inspector')
    await uploadTo(c.b, other, bytes)
    expect(readFileSync(path).equals(bytes)).toBe(true)
    expect((await read(c.a, inspector, bytes)).rawPayload.equals(bytes)).toBe(true)
  })

  it('keeps nothing when the folder cannot be written: a 503 to retry, the last chunk taken again once it can', async () => {
    const bytes = photoBytes(++seed, 30_000)
    const sha = sha256(bytes)
    // A file where the photo's sub-folder should be: mkdir fails, whoever the tests run as.
    const blocker = join(c.folder, sha.slice(0, 2))
    mkdirSync(c.folder, { recursive: true }) // made with the first photo stored: this test may run first
    const hadFolder = existsSync(blocker)
    if (!hadFolder) writeFileSync(blocker, '')
    try {
      if (hadFolder) writeFileSync(join(blocker, sha.slice(2, 4)), '')
      expect((await announce(c.a, inspector, bytes)).statusCode).toBe(201)
      expect((await sendChunk(c.a, inspector, bytes, 0, 10_000)).statusCode).toBe(200)
      const failed = await sendChunk(c.a, inspector, bytes, 10_000, bytes.length)
      expect(failed.statusCode).toBe(503)
      expect(failed.json()).toMatchObject({ error: 'unavailable' })
      expect(failed.headers['retry-after']).toBe('2')
      expect(await row(bytes)).toBeUndefined()
      expect((await announce(c.b, inspector, bytes)).json()).toEqual({ offset: 10_000, complete: false })
    } finally {
      rmSync(hadFolder ? join(blocker, sha.slice(2, 4)) : blocker)
    }
    expect((await sendChunk(c.b, inspector, bytes, 10_000, bytes.length)).json()).toEqual({
      offset: bytes.length,
      complete: true,
    })
    expect(readFileSync(fileOf(bytes)).equals(bytes)).toBe(true)
  })

  it('puts the photos in the evidence package, and refuses a package whose photo file is lost', async () => {
    const scene = await evidenceScenario(c.a)
    for (const p of scene.photos) expect(existsSync(fileOf(p))).toBe(true)
    const { res, zip } = await downloadPackage(c.b, scene.supervisor, scene.checkIn.id)
    expect(res.statusCode).toBe(200)
    const files = unzipSync(zip)
    const manifest = JSON.parse(Buffer.from(files['manifest.json']!).toString('utf8')) as Manifest
    expect(manifest.missing).toEqual([])
    for (const p of scene.photos) expect(Buffer.from(files[`photos/${sha256(p)}.jpg`]!).equals(p)).toBe(true)
    for (const sig of scene.signatures)
      expect(Buffer.from(files[`signatures/${sha256(sig)}.png`]!).equals(sig)).toBe(true)

    const exports = async () =>
      (
        await c.a.store.db
          .selectFrom('audit_log')
          .select('id')
          .where('action', '=', 'evidence.export')
          .where('target_id', '=', scene.checkIn.id)
          .execute()
      ).length
    const before = await exports()
    rmSync(fileOf(scene.photos[0]!))
    const refused = await downloadPackage(c.a, scene.supervisor, scene.checkIn.id)
    expect(refused.res.statusCode).toBe(503)
    expect(refused.res.json()).toMatchObject({ error: 'photo_unavailable', problem: 'missing' })
    // Not logged as exported: nothing was.
    expect(await exports()).toBe(before)
  })
})

// Two phones finishing the same photo on two servers at once: PostgreSQL only, where two servers' pushes and
// uploads really run side by side (two SQLite connections in one process take turns on the file's lock).
describeOn('postgres', 'one photo finished on two servers at once, on postgres', () => {
  let c: Cluster
  beforeAll(async () => {
    c = await makeCluster('postgres')
  })
  afterAll(() => c.close())

  it('ends with one good file and one row, both uploaders owning it', async () => {
    const bytes = photoBytes(8001, 200_000)
    const sha = sha256(bytes)
    const people = [await signedIn(c.a, 'inspector'), await signedIn(c.a, 'inspector')]
    const servers = [c.a, c.b]
    for (const [i, who] of people.entries()) {
      const res = await servers[i]!.app.inject({
        method: 'POST',
        url: '/api/photos',
        payload: { sha256: sha, size: bytes.length, type: 'image/jpeg' },
        headers: { cookie: who.cookie },
      })
      expect(res.statusCode).toBe(201)
    }
    const answers = await Promise.all(
      people.map((who, i) =>
        servers[i]!.app.inject({
          method: 'PATCH',
          url: `/api/photos/${sha}`,
          headers: { cookie: who.cookie, 'content-type': 'application/offset+octet-stream', 'upload-offset': '0' },
          payload: bytes,
        }),
      ),
    )
    expect(answers.map((r) => r.json())).toEqual([
      { offset: bytes.length, complete: true },
      { offset: bytes.length, complete: true },
    ])
    expect(filesUnder(c.folder)).toEqual([join(sha.slice(0, 2), sha.slice(2, 4), sha)])
    expect(readFileSync(join(c.folder, sha.slice(0, 2), sha.slice(2, 4), sha)).equals(bytes)).toBe(true)
    const owners = await c.a.store.db.selectFrom('photo_owners').select('user_id').where('sha256', '=', sha).execute()
    expect(owners.map((o) => o.user_id).sort()).toEqual(people.map((p) => p.user.id).sort())
  })
})

describe('the folder storage itself', () => {
  let dir: string
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'zhixun-photo-folder-'))
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('never rewrites a good file, replaces a changed one, and refuses bytes that are not the hash', async () => {
    const folder = new FolderPhotoStorage(dir)
    const bytes = photoBytes(9001, 10_000)
    const sha = sha256(bytes)
    const path = folder.pathOf(sha)
    expect(path).toBe(join(dir, sha.slice(0, 2), sha.slice(2, 4), sha))
    expect(await folder.put(sha, bytes)).toEqual(Buffer.alloc(0))
    const first = statSync(path)
    await folder.put(sha, bytes)
    const again = statSync(path)
    expect([again.ino, again.mtimeMs]).toEqual([first.ino, first.mtimeMs])

    writeFileSync(path, 'not the photo')
    await folder.put(sha, bytes)
    expect(readFileSync(path).equals(bytes)).toBe(true)

    await expect(folder.put(sha256(photoBytes(9002, 10)), bytes)).rejects.toMatchObject({ code: 'hash_mismatch' })
    await expect(folder.get({ sha256: sha, storage: 'folder', bytes: new Uint8Array() })).resolves.toEqual(bytes)
    expect(() => folder.pathOf('../../etc/passwd')).toThrow()
  })

  it('comes from ZHIXUN_PHOTO_DIR, checked writable; the database without it', async () => {
    expect(await photoStorageFromEnv({})).toBeInstanceOf(DatabasePhotoStorage)
    const fromEnv = await photoStorageFromEnv({ ZHIXUN_PHOTO_DIR: join(dir, 'new', 'photos') })
    expect(fromEnv).toBeInstanceOf(FolderPhotoStorage)
    expect(filesUnder(join(dir, 'new', 'photos'))).toEqual([])
    writeFileSync(join(dir, 'a-file'), '')
    await expect(photoStorageFromEnv({ ZHIXUN_PHOTO_DIR: join(dir, 'a-file') })).rejects.toThrow()
  })
})
