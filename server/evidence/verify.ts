/**
 * Checking an evidence package (server/evidence/package.ts) with nothing but the package and, ideally, the
 * server's public key from somewhere else: every file against the manifest, every record against its hash,
 * every phone signature against the phone keys in the package, and the manifest against the server's key.
 * A package whose files, hashes and manifest were all changed consistently and signed again with another key
 * passes only if nobody compares that key with the server's — hence `expectedKeyPem`.
 */
import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto'
import { unzipSync } from 'fflate'
import { canonicalJson } from '../../src/kernel/canonical'
import { keyIdOf, recordSigningText, verifyText, type SignedKind } from '../../src/kernel/signature'
import type { Inspection, PhotoRef } from '../../src/kernel/sync-schema'
import { photoFileName, signatureFileName } from './html'
import type { EvidenceRecord, EvidenceRecordFile, Manifest, PackagePublicKey } from './package'
import { serverKeyIdOf } from './server-key'

export interface Check {
  status: 'ok' | 'failed' | 'warning'
  text: string
}

export interface VerifyOptions {
  /** The server's public key (PEM) from outside the package: a --key file, or the server's /api/server-key. */
  expectedKeyPem?: string
  /** Where it came from, for the report. */
  expectedKeySource?: string
}

const sha256 = (bytes: Uint8Array | string) => createHash('sha256').update(bytes).digest('hex')
const SIGNED_KINDS: readonly string[] = ['checkin', 'note', 'inspection'] satisfies SignedKind[]
const SIGNED_FILES = new Set(['manifest.json', 'manifest.sig'])

function safeVerify(data: Uint8Array, key: KeyObject, signature: Uint8Array): boolean {
  try {
    return verify(null, data, key, signature)
  } catch {
    return false
  }
}

/** Checks a package; `ok` only when nothing failed. Warnings say what could not be established. */
export async function verifyPackage(
  zipBytes: Uint8Array,
  options: VerifyOptions = {},
): Promise<{ ok: boolean; checks: Check[] }> {
  const checks: Check[] = []
  const pass = (ok: boolean, text: string) => {
    checks.push({ status: ok ? 'ok' : 'failed', text })
    return ok
  }
  const warn = (text: string) => checks.push({ status: 'warning', text })
  const done = () => ({ ok: checks.every((c) => c.status !== 'failed'), checks })

  let files: Record<string, Uint8Array>
  try {
    files = unzipSync(zipBytes)
  } catch (err) {
    pass(false, `the file is a zip archive (${String(err)})`)
    return done()
  }
  const manifestBytes = files['manifest.json']
  const sigText = files['manifest.sig']
  if (!pass(manifestBytes !== undefined && sigText !== undefined, 'manifest.json and manifest.sig are present'))
    return done()
  let manifest: Manifest
  try {
    manifest = JSON.parse(Buffer.from(manifestBytes!).toString('utf8')) as Manifest
  } catch {
    pass(false, 'manifest.json is JSON')
    return done()
  }
  if (
    !pass(manifest.version === 1 && Array.isArray(manifest.files), `manifest version 1 (${String(manifest.version)})`)
  )
    return done()

  // The server's signature over the exact bytes of manifest.json, by the key the manifest names.
  let embedded: KeyObject | undefined
  try {
    embedded = createPublicKey(manifest.serverPublicKeyPem)
  } catch {
    embedded = undefined
  }
  if (pass(embedded?.asymmetricKeyType === 'ed25519', 'the manifest names an Ed25519 server key')) {
    const embeddedId = serverKeyIdOf(embedded!)
    pass(embeddedId === manifest.serverKeyId, `the server key's id is ${manifest.serverKeyId}`)
    const signature = Buffer.from(Buffer.from(sigText!).toString('utf8').trim(), 'base64')
    pass(
      safeVerify(manifestBytes!, embedded!, signature),
      'the server signature (manifest.sig) verifies over manifest.json',
    )
    if (options.expectedKeyPem !== undefined) {
      let expectedId: string | undefined
      try {
        expectedId = serverKeyIdOf(createPublicKey(options.expectedKeyPem))
      } catch {
        expectedId = undefined
      }
      pass(
        expectedId === embeddedId,
        `the manifest was signed by the server key from ${options.expectedKeySource ?? 'outside the package'} (${expectedId ?? 'unreadable key'})`,
      )
    } else {
      warn(
        'only the key inside the package was used: anyone could have made it. Give --server URL or --key FILE to compare it with the server’s own key',
      )
    }
  }

  // Every file as the manifest lists it, and nothing else.
  const listed = new Map<string, Manifest['files'][number]>()
  for (const f of manifest.files) {
    if (listed.has(f.path)) pass(false, `${f.path} is listed once`)
    listed.set(f.path, f)
  }
  for (const f of listed.values()) {
    const bytes = files[f.path]
    if (bytes === undefined) {
      pass(false, `${f.path} is in the package`)
      continue
    }
    const actual = sha256(bytes)
    pass(
      actual === f.sha256 && bytes.length === f.size,
      `${f.path}: SHA-256 ${actual === f.sha256 ? f.sha256 : `${actual}, the manifest says ${f.sha256}`}, ${bytes.length} bytes${bytes.length === f.size ? '' : `, the manifest says ${f.size}`}`,
    )
  }
  const extra = Object.keys(files).filter((p) => !listed.has(p) && !SIGNED_FILES.has(p) && !p.endsWith('/'))
  pass(
    extra.length === 0,
    extra.length === 0 ? 'no file outside the manifest' : `files outside the manifest: ${extra.join(', ')}`,
  )

  // Photos and signatures are named by their own SHA-256: the bytes must hash to the name.
  for (const path of Object.keys(files)) {
    const m = /^(?:photos|signatures)\/([0-9a-f]{64})\.[a-z]+$/.exec(path)
    if (m) pass(sha256(files[path]!) === m[1], `${path} hashes to its name`)
  }

  // The records: each hash is the SHA-256 of the canonical JSON of its data, and the manifest says the same.
  let record: EvidenceRecordFile
  try {
    record = JSON.parse(Buffer.from(files['record.json'] ?? new Uint8Array()).toString('utf8')) as EvidenceRecordFile
  } catch {
    pass(false, 'record.json is JSON')
    return done()
  }
  const records: EvidenceRecord[] = [record.checkIn, ...(record.inspections ?? []), ...(record.reviews ?? [])]
  if (
    !pass(
      records.every((r) => r && typeof r.id === 'string'),
      'record.json holds the check-in and its records',
    )
  )
    return done()
  pass(record.checkIn.id === manifest.checkInId, `record.json is check-in ${manifest.checkInId}`)
  for (const r of records) {
    const hash = r.data === null ? null : sha256(canonicalJson(r.data))
    pass(hash !== null && hash === r.hash, `${r.kind} ${r.id}: its data hashes to ${r.hash ?? 'nothing'}`)
    const listedRecord = manifest.records.find((m) => m.id === r.id)
    pass(
      listedRecord !== undefined &&
        listedRecord.hash === r.hash &&
        listedRecord.kind === r.kind &&
        canonicalJson(listedRecord.signature) === canonicalJson(r.signature) &&
        canonicalJson(listedRecord.chain) ===
          canonicalJson(r.chain ? { ...r.chain, status: r.flags.chain } : { status: r.flags.chain }),
      `${r.kind} ${r.id}: the manifest lists it with the same hash, chain and signature`,
    )
  }
  pass(
    manifest.records.length === records.length,
    `the manifest lists ${manifest.records.length} records, record.json holds ${records.length}`,
  )
  for (const r of record.inspections ?? [])
    pass((r.data as Inspection).checkInId === record.checkIn.id, `inspection ${r.id} was made from this check-in`)

  // Each phone signature, with the phone key in the package that its author registered.
  let keys: PackagePublicKey[] = []
  try {
    keys = JSON.parse(Buffer.from(files['public-keys.json'] ?? new Uint8Array()).toString('utf8')) as PackagePublicKey[]
  } catch {
    pass(false, 'public-keys.json is JSON')
  }
  for (const r of records) {
    if (!r.signature) {
      if (SIGNED_KINDS.includes(r.kind))
        warn(`${r.kind} ${r.id}: not signed by its phone (${r.signatureStatus ?? 'unsigned'})`)
      continue
    }
    const key = keys.find((k) => k.keyId === r.signature!.keyId && k.userId === r.authorId)
    const keyOk = key !== undefined && (await keyIdOf(key.publicKey)) === key.keyId
    const verified =
      keyOk && r.hash !== null && SIGNED_KINDS.includes(r.kind)
        ? await verifyText(key.publicKey, recordSigningText(r.kind as SignedKind, r.hash), r.signature.value)
        : false
    if (r.signatureStatus === 'valid')
      pass(verified, `${r.kind} ${r.id}: the phone's signature verifies with key ${r.signature.keyId}`)
    else
      warn(
        `${r.kind} ${r.id}: the server flagged the phone's signature as ${r.signatureStatus ?? 'unknown'}${verified ? ', yet it verifies' : ''}`,
      )
  }

  // What the records refer to is in the package (or listed as missing on the server).
  const missing = new Set((manifest.missing ?? []).map((m) => m.path))
  const refer = (path: string, what: string) => {
    if (missing.has(path)) warn(`${what}: the server does not hold ${path}`)
    else pass(listed.has(path) && files[path] !== undefined, `${what}: ${path} is in the package`)
  }
  for (const r of records) {
    const data = r.data as { photos?: PhotoRef[]; signatures?: Inspection['signatures'] } | null
    for (const p of data?.photos ?? []) refer(photoFileName(p), `${r.kind} ${r.id} photo`)
    for (const s of data?.signatures ?? [])
      refer(signatureFileName(s.sha256), `${r.kind} ${r.id} signature of ${s.name}`)
  }

  // Links of one phone's chain that are both in the package: the later names the earlier's hash.
  const byLink = new Map(records.filter((r) => r.chain).map((r) => [`${r.chain!.clientId} ${r.chain!.seq}`, r]))
  for (const r of records) {
    if (!r.chain || r.chain.seq < 2) continue
    const previous = byLink.get(`${r.chain.clientId} ${r.chain.seq - 1}`)
    if (previous)
      pass(r.chain.prev === previous.hash, `${r.kind} ${r.id}: chains to ${previous.kind} ${previous.id} before it`)
  }
  return done()
}

/** The report as printed: one line per check. */
export const checkLines = (checks: readonly Check[]): string[] =>
  checks.map((c) => `${c.status === 'ok' ? '✓' : c.status === 'failed' ? '✗' : '⚠'} ${c.text}`)
