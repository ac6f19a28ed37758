import { createHash, createPublicKey, generateKeyPairSync, verify } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { unzipSync } from 'fflate'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildServer } from '../../server/app'
import { storedServerKey } from '../../server/evidence/server-key'
import { verifyPackage } from '../../server/evidence/verify'
import type { EvidenceRecordFile, Manifest, PackagePublicKey } from '../../server/evidence/package'
import { canonicalJson } from '../../src/kernel/canonical'
import {
  downloadPackage,
  evidenceScenario,
  HOSTILE_PARTY,
  HOSTILE_REASON,
  type EvidenceScenario,
} from '../helpers/evidence'
import { pusher } from '../helpers/integrity'
import { makeCheckIn, sha256 } from '../helpers/records'
import { describeStores, makeDist, makeServer, signedIn, type TestServer } from '../helpers/server'

const text = (b: Uint8Array | undefined) => Buffer.from(b ?? new Uint8Array()).toString('utf8')
const spkiId = (pem: string) =>
  createHash('sha256')
    .update(createPublicKey(pem).export({ type: 'spki', format: 'der' }))
    .digest('hex')

describeStores('evidence packages and the server key on %s', (kind) => {
  let s: TestServer
  let scene: EvidenceScenario
  beforeAll(async () => {
    s = await makeServer(kind)
    scene = await evidenceScenario(s)
  })
  afterAll(() => s.close())

  describe('the server key', () => {
    it('is public, Ed25519, named by the SHA-256 of its SPKI DER, and cacheable', async () => {
      const res = await s.app.inject({ url: '/api/server-key' })
      expect(res.statusCode).toBe(200)
      expect(res.headers['cache-control']).toMatch(/public/)
      const body = res.json()
      expect(body.algorithm).toBe('Ed25519')
      expect(createPublicKey(body.publicKeyPem).asymmetricKeyType).toBe('ed25519')
      expect(body.keyId).toBe(spkiId(body.publicKeyPem))
      expect(Object.keys(body).sort()).toEqual(['algorithm', 'keyId', 'publicKeyPem'])
    })

    it('is one key for every server on the database, however many start at once', async () => {
      const { keyId } = (await s.app.inject({ url: '/api/server-key' })).json()
      // Servers racing on a database without a key: each makes one, one row wins, all take it.
      await s.store.db.schema.dropTable('server_keys').execute()
      await s.store.db.schema
        .createTable('server_keys')
        .addColumn('id', 'varchar(32)', (c) => c.primaryKey())
        .addColumn('algorithm', 'varchar(16)', (c) => c.notNull())
        .addColumn('public_key_pem', 'text', (c) => c.notNull())
        .addColumn('private_key_pem', 'text', (c) => c.notNull())
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .execute()
      const raced = await Promise.all(Array.from({ length: 6 }, () => storedServerKey(s.store.db)))
      expect(new Set(raced.map((k) => k.keyId)).size).toBe(1)
      expect(await s.store.db.selectFrom('server_keys').selectAll().execute()).toHaveLength(1)
      expect(raced[0]!.keyId).not.toBe(keyId)
      // A server started afterwards on the same database signs with that key.
      const dist = makeDist()
      const again = await buildServer({ distDir: dist.dir, store: s.store })
      try {
        expect((await again.inject({ url: '/api/server-key' })).json().keyId).toBe(raced[0]!.keyId)
      } finally {
        await again.close()
        dist.remove()
      }
    })

    it('comes from ZHIXUN_SERVER_KEY_FILE when set, and a file that is no Ed25519 key stops the start', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'zhixun-key-'))
      const dist = makeDist()
      const pair = generateKeyPairSync('ed25519')
      const good = join(dir, 'server.pem')
      writeFileSync(good, pair.privateKey.export({ type: 'pkcs8', format: 'pem' }))
      const rsa = join(dir, 'rsa.pem')
      writeFileSync(
        rsa,
        generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }),
      )
      try {
        process.env.ZHIXUN_SERVER_KEY_FILE = good
        const app = await buildServer({ distDir: dist.dir, store: s.store })
        const body = (await app.inject({ url: '/api/server-key' })).json()
        await app.close()
        expect(body.keyId).toBe(spkiId(pair.publicKey.export({ type: 'spki', format: 'pem' }).toString()))
        process.env.ZHIXUN_SERVER_KEY_FILE = rsa
        await expect(buildServer({ distDir: dist.dir, store: s.store })).rejects.toThrow(/ZHIXUN_SERVER_KEY_FILE/)
        process.env.ZHIXUN_SERVER_KEY_FILE = join(dir, 'absent.pem')
        await expect(buildServer({ distDir: dist.dir, store: s.store })).rejects.toThrow(/ZHIXUN_SERVER_KEY_FILE/)
      } finally {
        delete process.env.ZHIXUN_SERVER_KEY_FILE
        rmSync(dir, { recursive: true, force: true })
        dist.remove()
      }
    })
  })

  describe('a check-in’s package', () => {
    let files: Record<string, Uint8Array>
    let manifest: Manifest
    let record: EvidenceRecordFile
    let keyPem: string
    beforeAll(async () => {
      const { res, zip } = await downloadPackage(s, scene.supervisor, scene.checkIn.id)
      expect(res.statusCode, res.body).toBe(200)
      expect(res.headers['content-type']).toBe('application/zip')
      expect(res.headers['content-disposition']).toBe(`attachment; filename="evidence-${scene.checkIn.id}.zip"`)
      expect(res.headers['cache-control']).toMatch(/no-store/)
      files = unzipSync(zip)
      manifest = JSON.parse(text(files['manifest.json'])) as Manifest
      record = JSON.parse(text(files['record.json'])) as EvidenceRecordFile
      keyPem = (await s.app.inject({ url: '/api/server-key' })).json().publicKeyPem
    })

    it('holds the records, their HTML, photos, signatures, audit, keys and the signed manifest, and nothing else', () => {
      const [p1, p2] = scene.photos.map(sha256)
      const [s1, s2] = scene.signatures.map(sha256)
      expect(Object.keys(files).sort()).toEqual(
        [
          'audit.json',
          `inspection-${scene.inspection.id}.html`,
          'manifest.json',
          'manifest.sig',
          `photos/${p1}.jpg`,
          `photos/${p2}.jpg`,
          'public-keys.json',
          'README.txt',
          'record.json',
          `signatures/${s1}.png`,
          `signatures/${s2}.png`,
        ].sort(),
      )
      expect(Buffer.from(files[`photos/${p1}.jpg`]!).equals(scene.photos[0]!)).toBe(true)
      expect(Buffer.from(files[`signatures/${s2}.png`]!).equals(scene.signatures[1]!)).toBe(true)
      // Every file but the manifest and its signature, by its SHA-256 and size.
      expect(manifest.files.map((f) => f.path).sort()).toEqual(
        Object.keys(files)
          .filter((p) => !p.startsWith('manifest.'))
          .sort(),
      )
      for (const f of manifest.files) {
        expect(f.sha256, f.path).toBe(sha256(Buffer.from(files[f.path]!)))
        expect(f.size, f.path).toBe(files[f.path]!.length)
      }
      expect(manifest.missing).toEqual([])
    })

    it('is signed by the server key over manifest.json’s exact bytes', () => {
      expect(manifest.serverKeyId).toBe(spkiId(keyPem))
      expect(manifest.serverPublicKeyPem).toBe(keyPem)
      const sig = Buffer.from(text(files['manifest.sig']).trim(), 'base64')
      expect(verify(null, files['manifest.json']!, createPublicKey(keyPem), sig)).toBe(true)
      const changed = Buffer.from(files['manifest.json']!)
      changed.writeUInt8(changed.readUInt8(changed.length - 3) ^ 1, changed.length - 3)
      expect(verify(null, changed, createPublicKey(keyPem), sig)).toBe(false)
    })

    it('keeps each record as stored, with its hash, chain, phone signature and flags', async () => {
      expect(record.checkIn.data).toEqual(scene.checkIn)
      expect(record.inspections.map((r) => r.data)).toEqual([scene.inspection])
      for (const r of [record.checkIn, ...record.inspections]) {
        expect(r.hash).toBe(sha256(Buffer.from(canonicalJson(r.data))))
        expect(r.signatureStatus).toBe('valid')
        expect(r.signature?.keyId).toBe(scene.keyId)
        expect(r.chain?.clientId).toBe(scene.clientId)
        expect(r.deliveredBy).toBe(scene.clientId)
      }
      expect(record.inspections[0]!.chain).toEqual({ clientId: scene.clientId, seq: 2, prev: record.checkIn.hash })
      const stored = await s.store.db
        .selectFrom('records')
        .select(['id', 'hash', 'chain_status', 'certified_count', 'two_certified'])
        .where('id', 'in', [scene.checkIn.id, scene.inspection.id])
        .execute()
      for (const row of stored) {
        const r = row.id === scene.checkIn.id ? record.checkIn : record.inspections[0]!
        expect(r.hash).toBe(row.hash)
        expect(r.flags.chain).toBe(row.chain_status)
        expect(r.flags.certifiedCount).toBe(row.certified_count)
        expect(r.flags.twoCertified).toBe(row.two_certified)
      }
      expect(manifest.records.map((r) => [r.id, r.kind, r.hash, r.signature?.keyId, r.signatureStatus])).toEqual([
        [scene.checkIn.id, 'checkin', record.checkIn.hash, scene.keyId, 'valid'],
        [scene.inspection.id, 'inspection', record.inspections[0]!.hash, scene.keyId, 'valid'],
      ])
      expect(files['record.json']!.length).toBe(Buffer.byteLength(canonicalJson(record)))
    })

    it('names the phone key that signed, and the audit entries of the check-in and its inspection with this export', () => {
      const keys = JSON.parse(text(files['public-keys.json'])) as PackagePublicKey[]
      expect(keys.map((k) => [k.keyId, k.userId, k.clientId])).toEqual([
        [scene.keyId, scene.inspector.user.id, scene.clientId],
      ])
      const audit = JSON.parse(text(files['audit.json'])) as { action: string; targetId: string; actorId: string }[]
      const said = audit.map((e) => [e.action, e.targetId, e.actorId])
      expect(said.slice(0, 2)).toEqual([
        ['checkin.create', scene.checkIn.id, scene.inspector.user.id],
        ['inspection.sign', scene.inspection.id, scene.inspector.user.id],
      ])
      // This download last; any earlier ones (tests run in any order) in between.
      expect(said.at(-1)).toEqual(['evidence.export', scene.checkIn.id, scene.supervisor.user.id])
      expect(new Set(said.slice(2).map(([action]) => action))).toEqual(new Set(['evidence.export']))
    })

    it('prints the 笔录 with every text escaped: a party named <script> and a refusal with markup stay text', () => {
      const html = text(files[`inspection-${scene.inspection.id}.html`])
      expect(html).toContain('现场检查笔录')
      expect(html).toContain('&lt;script&gt;alert(&quot;party&quot;)&lt;/script&gt;某某商行')
      expect(html).toContain('&lt;img src=x onerror=alert(1)&gt; 不认可检查结果 &amp; &quot;拒绝&quot;')
      expect(html).not.toContain(HOSTILE_PARTY)
      expect(html).not.toContain(HOSTILE_REASON)
      expect(html.match(/<script/gi)).toBeNull()
      expect(html.match(/<img /g)?.length).toBe(scene.photos.length + scene.signatures.length)
      expect(html).toContain('@page { size: A4')
      expect(html).toContain(`photos/${sha256(scene.photos[0]!)}.jpg`)
      expect(html).toContain('粤执 44010001')
      expect(html).toContain(Buffer.from(scene.signatures[0]!).toString('base64'))
    })

    it('passes the package checker', async () => {
      const { zip } = await downloadPackage(s, scene.supervisor, scene.checkIn.id)
      const result = await verifyPackage(zip, { expectedKeyPem: keyPem })
      expect(result.checks.filter((c) => c.status !== 'ok')).toEqual([])
      expect(result.ok).toBe(true)
    })
  })

  it('packs an unsigned check-in of an older phone with its reviews, which the checker passes and flags', async () => {
    const old = makeCheckIn({ authorId: scene.inspector.user.id })
    const correction = makeCheckIn({ authorId: scene.inspector.user.id, correctionOf: old.id, itemsSeized: 4 })
    const pushed = await pusher(
      () => s,
      () => scene.inspector,
    ).push([
      { name: 'checkin.create', args: old },
      { name: 'checkin.create', args: correction },
    ])
    expect(pushed.status).toBe(200)
    const returned = await s.app.inject({
      method: 'POST',
      url: `/api/checkins/${old.id}/review`,
      headers: { cookie: scene.supervisor.cookie },
      payload: { action: 'returned', comment: '<b>缺少照片</b>' },
    })
    expect(returned.statusCode).toBe(200)
    const { zip } = await downloadPackage(s, scene.supervisor, old.id)
    const files = unzipSync(zip)
    expect(Object.keys(files).sort()).toEqual([
      'README.txt',
      'audit.json',
      'manifest.json',
      'manifest.sig',
      'public-keys.json',
      'record.json',
    ])
    const record = JSON.parse(text(files['record.json'])) as EvidenceRecordFile
    expect(record.checkIn).toMatchObject({ signature: null, signatureStatus: 'unsigned', chain: null })
    expect(record.inspections).toEqual([])
    expect(record.reviews.map((r) => r.data)).toEqual([returned.json().review])
    expect(record.correctedBy.map((c) => c.id)).toEqual([correction.id])
    expect(record.correctedBy[0]!.hash).toBe(sha256(Buffer.from(canonicalJson(correction))))
    const manifest = JSON.parse(text(files['manifest.json'])) as Manifest
    expect(manifest.records.map((r) => r.kind)).toEqual(['checkin', 'review'])
    const audit = JSON.parse(text(files['audit.json'])) as { action: string }[]
    expect(audit.map((e) => e.action)).toEqual([
      'checkin.create',
      'checkin.correct',
      'review.returned',
      'evidence.export',
    ])
    const keyPem = (await s.app.inject({ url: '/api/server-key' })).json().publicKeyPem
    const result = await verifyPackage(zip, { expectedKeyPem: keyPem })
    expect(result.ok).toBe(true)
    expect(result.checks.filter((c) => c.status === 'warning').map((c) => c.text)).toEqual([
      `checkin ${old.id}: not signed by its phone (unsigned)`,
    ])
  })

  describe('who may download it', () => {
    it('whoever may read the check-in; nobody else learns it exists', async () => {
      const admin = await signedIn(s, 'admin')
      expect((await downloadPackage(s, admin, scene.checkIn.id)).res.statusCode).toBe(200)
      expect((await downloadPackage(s, scene.inspector, scene.checkIn.id)).res.statusCode).toBe(200)
      const stranger = await signedIn(s, 'inspector')
      const otherDept = await signedIn(s, 'supervisor', '省工商局')
      for (const who of [stranger, otherDept]) {
        const { res } = await downloadPackage(s, who, scene.checkIn.id)
        expect([res.statusCode, res.json().error]).toEqual([404, 'not_found'])
      }
      const unknown = await downloadPackage(s, admin, '0190a0a0-0000-7000-8000-000000000000')
      expect(unknown.res.statusCode).toBe(404)
      expect((await downloadPackage(s, admin, 'x'.repeat(90))).res.statusCode).toBe(404)
      const signedOut = await s.app.inject({ url: `/api/checkins/${scene.checkIn.id}/evidence.zip` })
      expect(signedOut.statusCode).toBe(401)
    })
  })
})
