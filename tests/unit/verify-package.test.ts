import { execFile } from 'node:child_process'
import { createHash, generateKeyPairSync, sign } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { unzipSync, zipSync } from 'fflate'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Manifest } from '../../server/evidence/package'
import { serverKeyIdOf } from '../../server/evidence/server-key'
import { verifyPackage, type Check } from '../../server/evidence/verify'
import { downloadPackage, evidenceScenario, type EvidenceScenario } from '../helpers/evidence'
import { sha256 } from '../helpers/records'
import { makeServer, type TestServer } from '../helpers/server'

const run = promisify(execFile)
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex')
const failed = (checks: Check[]) => checks.filter((c) => c.status === 'failed').map((c) => c.text)

/** Flips the bits of `mask` in byte `at`. */
const flip = (bytes: Uint8Array, at: number, mask: number) => {
  bytes[at] = bytes[at]! ^ mask
}

/** The package with `change` made to its files, zipped again. */
function altered(zip: Uint8Array, change: (files: Record<string, Uint8Array>) => void): Uint8Array {
  const files = unzipSync(zip)
  change(files)
  return zipSync(files)
}

/** What a forger with their own Ed25519 key does after changing files: lists the new hashes and signs again. */
function forged(files: Record<string, Uint8Array>, changed: string[]): void {
  const forger = generateKeyPairSync('ed25519')
  const manifest = JSON.parse(Buffer.from(files['manifest.json']!).toString('utf8')) as Manifest
  for (const f of manifest.files)
    if (changed.includes(f.path)) Object.assign(f, { sha256: sha(files[f.path]!), size: files[f.path]!.length })
  manifest.serverPublicKeyPem = forger.publicKey.export({ type: 'spki', format: 'pem' }).toString()
  manifest.serverKeyId = serverKeyIdOf(forger.publicKey)
  const bytes = new Uint8Array(Buffer.from(JSON.stringify(manifest, null, 2)))
  files['manifest.json'] = bytes
  files['manifest.sig'] = new Uint8Array(Buffer.from(sign(null, bytes, forger.privateKey).toString('base64')))
}

describe('checking an evidence package', () => {
  let s: TestServer
  let scene: EvidenceScenario
  let zip: Uint8Array
  let keyPem: string
  let dir: string
  let photoPath: string
  beforeAll(async () => {
    s = await makeServer('sqlite')
    scene = await evidenceScenario(s)
    const { res, zip: bytes } = await downloadPackage(s, scene.supervisor, scene.checkIn.id)
    expect(res.statusCode).toBe(200)
    zip = bytes
    keyPem = (await s.app.inject({ url: '/api/server-key' })).json().publicKeyPem
    dir = mkdtempSync(join(tmpdir(), 'zhixun-verify-'))
    photoPath = `photos/${sha256(scene.photos[0]!)}.jpg`
  }, 60_000)
  afterAll(async () => {
    await s.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('passes a real package from the server, every file, record, phone signature and the server signature checked', async () => {
    const { ok, checks } = await verifyPackage(zip, { expectedKeyPem: keyPem, expectedKeySource: 'test' })
    expect(failed(checks)).toEqual([])
    expect(checks.filter((c) => c.status === 'warning')).toEqual([])
    expect(ok).toBe(true)
    const said = checks.map((c) => c.text).join('\n')
    expect(said).toContain(`${photoPath}: SHA-256 ${sha256(scene.photos[0]!)}`)
    expect(said).toContain(`inspection ${scene.inspection.id}: the phone's signature verifies with key ${scene.keyId}`)
    expect(said).toContain('the server signature (manifest.sig) verifies over manifest.json')
    expect(said).toContain(`inspection ${scene.inspection.id}: chains to checkin ${scene.checkIn.id} before it`)
  })

  it('warns when only the key inside the package could be used', async () => {
    const { ok, checks } = await verifyPackage(zip)
    expect(ok).toBe(true)
    expect(checks.filter((c) => c.status === 'warning').map((c) => c.text)).toEqual([
      expect.stringMatching(/only the key inside the package/),
    ])
  })

  it('fails on one flipped byte of a photo', async () => {
    const bad = altered(zip, (files) => {
      flip(files[photoPath]!, 1000, 0x01)
    })
    const { ok, checks } = await verifyPackage(bad, { expectedKeyPem: keyPem })
    expect(ok).toBe(false)
    expect(failed(checks)).toEqual([
      expect.stringContaining(`${photoPath}: SHA-256`),
      `${photoPath} hashes to its name`,
    ])
  })

  it('fails on a changed record.json', async () => {
    const bad = altered(zip, (files) => {
      files['record.json'] = new Uint8Array(
        Buffer.from(Buffer.from(files['record.json']!).toString('utf8').replace('广交会展馆 A 区', '广交会展馆 B 区')),
      )
    })
    const { ok, checks } = await verifyPackage(bad, { expectedKeyPem: keyPem })
    expect(ok).toBe(false)
    expect(failed(checks)).toEqual([
      expect.stringContaining('record.json: SHA-256'),
      `checkin ${scene.checkIn.id}: its data hashes to ${(await hashes()).checkIn}`,
    ])
  })

  async function hashes() {
    const files = unzipSync(zip)
    const manifest = JSON.parse(Buffer.from(files['manifest.json']!).toString('utf8')) as Manifest
    return { checkIn: manifest.records[0]!.hash }
  }

  it('fails a package whose photo, its hash in the manifest and the manifest were changed and signed with another key', async () => {
    const bad = altered(zip, (files) => {
      flip(files[photoPath]!, 1000, 0x01)
      forged(files, [photoPath])
    })
    const { ok, checks } = await verifyPackage(bad, { expectedKeyPem: keyPem, expectedKeySource: 'server.pem' })
    expect(ok).toBe(false)
    // The forger's manifest and signature agree with each other; the key is not the server's.
    const texts = checks.map((c) => `${c.status} ${c.text}`)
    expect(texts).toContain('ok the server signature (manifest.sig) verifies over manifest.json')
    expect(texts).toContainEqual(
      expect.stringMatching(/^failed the manifest was signed by the server key from server\.pem/),
    )
    expect(texts).toContainEqual(expect.stringMatching(/^ok photos\/.*: SHA-256/))
  })

  it('passes a consistent forgery only while nobody compares its key with the server’s, and says so', async () => {
    // audit.json is bound by nothing but the manifest: rewritten, listed and signed again, all checks agree…
    const bad = altered(zip, (files) => {
      files['audit.json'] = new Uint8Array(Buffer.from('[]\n'))
      forged(files, ['audit.json'])
    })
    const alone = await verifyPackage(bad)
    expect(failed(alone.checks)).toEqual([])
    expect(alone.checks.some((c) => c.status === 'warning' && /only the key inside/.test(c.text))).toBe(true)
    // …until the key is the server's.
    const compared = await verifyPackage(bad, { expectedKeyPem: keyPem })
    expect(failed(compared.checks)).toEqual([expect.stringMatching(/^the manifest was signed by the server key/)])
  })

  it('fails files added or taken away, and what is no package at all', async () => {
    const extra = altered(zip, (files) => {
      files['notes.txt'] = new Uint8Array(Buffer.from('added later'))
    })
    expect(failed((await verifyPackage(extra, { expectedKeyPem: keyPem })).checks)).toEqual([
      'files outside the manifest: notes.txt',
    ])
    const gone = altered(zip, (files) => {
      delete files[photoPath]
    })
    expect(failed((await verifyPackage(gone, { expectedKeyPem: keyPem })).checks)).toEqual([
      `${photoPath} is in the package`,
      `checkin ${scene.checkIn.id} photo: ${photoPath} is in the package`,
      `inspection ${scene.inspection.id} photo: ${photoPath} is in the package`,
    ])
    expect((await verifyPackage(new Uint8Array([1, 2, 3]))).ok).toBe(false)
    const unsigned = altered(zip, (files) => {
      delete files['manifest.sig']
    })
    expect((await verifyPackage(unsigned)).ok).toBe(false)
  })

  describe('npm run verify-package', () => {
    const cli = (...args: string[]) =>
      run(process.execPath, ['--import', 'tsx', 'scripts/verify-package.ts', ...args], { timeout: 60_000 }).then(
        ({ stdout }) => ({ code: 0, stdout }),
        (err: { code: number; stdout: string; stderr: string }) => ({
          code: err.code,
          stdout: err.stdout + err.stderr,
        }),
      )

    it('prints a line per check and exits 0 on a good package, 1 on a changed one, 2 when it cannot check', async () => {
      const good = join(dir, 'good.zip')
      const bad = join(dir, 'bad.zip')
      const pem = join(dir, 'server.pem')
      writeFileSync(good, zip)
      writeFileSync(
        bad,
        altered(zip, (files) => {
          flip(files[photoPath]!, 7, 0x80)
        }),
      )
      writeFileSync(pem, keyPem)
      const [ok, changed, unusable] = await Promise.all([cli(good, '--key', pem), cli(bad, '--key', pem), cli()])
      expect(ok.code, ok.stdout).toBe(0)
      expect(ok.stdout).toMatch(/^✓ the server signature \(manifest.sig\) verifies over manifest.json$/m)
      expect(ok.stdout).not.toMatch(/^✗/m)
      expect(ok.stdout).toMatch(/every check passed/)
      expect(changed.code, changed.stdout).toBe(1)
      expect(changed.stdout).toMatch(new RegExp(`^✗ ${photoPath}: SHA-256`, 'm'))
      expect(unusable.code).toBe(2)
      // Three Node processes compiling TypeScript at once: seconds each on a busy machine.
    }, 90_000)

    it('takes the server key from --server', async () => {
      const url = await s.app.listen({ port: 0, host: '127.0.0.1' })
      const good = join(dir, 'server.zip')
      writeFileSync(good, zip)
      const res = await cli(good, '--server', url)
      expect(res.code, res.stdout).toBe(0)
      expect(res.stdout).toContain(`the manifest was signed by the server key from ${url}`)
      expect(res.stdout).not.toMatch(/^⚠/m)
    }, 60_000)
  })
})
