/**
 * The evidence package of a check-in: one zip (fflate) that stands on its own in an administrative review.
 *
 *   record.json          canonical JSON {checkIn, inspections, reviews, correctedBy}: each record's data as
 *                        stored, its hash, chain link, the phone's signature and what the server found of it,
 *                        its flags; and the check-ins that correct it (by id and hash)
 *   inspection-<id>.html the printable 现场检查笔录 of each inspection record
 *   photos/<sha256>.<ext>, signatures/<sha256>.png   the bytes every record refers to
 *   audit.json           the audit entries of the check-in, its inspections and corrections, this export's too
 *   public-keys.json     the phone keys that signed the records
 *   README.txt           what the package is and how to check it, in Chinese and English
 *   manifest.json        every file's SHA-256 and size, each record's hash, chain and signature, the server's key
 *   manifest.sig         the server's Ed25519 signature of manifest.json's exact bytes, base64
 *
 * `npm run verify-package` (server/evidence/verify.ts) checks all of it.
 */
import { createHash, sign } from 'node:crypto'
import { zipSync, type Zippable } from 'fflate'
import type { Kysely } from 'kysely'
import { canonicalJson } from '../../src/kernel/canonical'
import type { PublicKeyJwk, RecordSignature } from '../../src/kernel/signature'
import type { ChainLink, Inspection, PhotoRef } from '../../src/kernel/sync-schema'
import type { SessionUser } from '../../src/kernel/users'
import { appendAudit, readAudit, type AuditEntry } from '../audit/log'
import { nowIso, type Database, type RecordsTable } from '../db/database'
import { DatabasePhotoStorage, type PhotoStorage } from '../photos/storage'
import { reviewsOfCheckIn } from '../review/store'
import { inspectionHtml, photoFileName, signatureFileName } from './html'
import type { ServerKey } from './server-key'

export const MANIFEST_VERSION = 1

/** A record as the package keeps it: the data as stored, and everything the server knows of it. */
export interface EvidenceRecord {
  id: string
  kind: string
  version: number
  /** SHA-256 of the canonical JSON of `data`. */
  hash: string | null
  data: unknown
  authorId: string | null
  department: string | null
  campaignId: string | null
  /** When the server stored it; the record's own times are in `data`. */
  receivedAt: string
  /** The client that delivered it (for a review: 'server'). */
  deliveredBy: string
  chain: ChainLink | null
  signature: RecordSignature | null
  signatureStatus: string | null
  flags: {
    chain: string | null
    clockSkewMs: number | null
    certifiedCount: number | null
    twoCertified: string | null
  }
}

export interface EvidenceRecordFile {
  checkIn: EvidenceRecord
  inspections: EvidenceRecord[]
  reviews: EvidenceRecord[]
  /** Later check-ins of the same author that correct this one: each has a package of its own. */
  correctedBy: { id: string; hash: string | null; receivedAt: string }[]
}

export interface ManifestFile {
  path: string
  sha256: string
  size: number
}

export interface ManifestRecord {
  id: string
  kind: string
  hash: string | null
  chain: (ChainLink & { status: string | null }) | { status: string | null }
  signature: RecordSignature | null
  signatureStatus: string | null
}

export interface Manifest {
  version: typeof MANIFEST_VERSION
  createdAt: string
  checkInId: string
  algorithm: 'Ed25519'
  serverKeyId: string
  /** The key that signed manifest.sig: compare with the server's (GET /api/server-key) before trusting it. */
  serverPublicKeyPem: string
  files: ManifestFile[]
  records: ManifestRecord[]
  /** Photos or signatures a record names whose bytes the server does not hold. */
  missing: { sha256: string; path: string }[]
}

/** A phone key that signed a record of the package. */
export interface PackagePublicKey {
  keyId: string
  userId: string
  clientId: string
  publicKey: PublicKeyJwk
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex')
const utf8 = (text: string) => new Uint8Array(Buffer.from(text, 'utf8'))
const pretty = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`

function parseSignature(json: string | null): RecordSignature | null {
  if (json === null) return null
  try {
    return JSON.parse(json) as RecordSignature
  } catch {
    return null
  }
}

function evidenceRecord(row: RecordsTable): EvidenceRecord {
  const data = row.data === null ? null : (JSON.parse(row.data) as { chain?: ChainLink })
  return {
    id: row.id,
    kind: row.kind,
    version: row.version,
    hash: row.hash,
    data,
    authorId: row.author_id,
    department: row.department,
    campaignId: row.campaign_id,
    receivedAt: row.created_at,
    deliveredBy: row.client_id,
    chain: data?.chain ?? null,
    signature: parseSignature(row.signature),
    signatureStatus: row.signature_status,
    flags: {
      chain: row.chain_status ?? null,
      clockSkewMs: row.clock_skew_ms ?? null,
      certifiedCount: row.certified_count ?? null,
      twoCertified: row.two_certified ?? null,
    },
  }
}

const manifestRecord = (r: EvidenceRecord): ManifestRecord => ({
  id: r.id,
  kind: r.kind,
  hash: r.hash,
  chain: r.chain ? { ...r.chain, status: r.flags.chain } : { status: r.flags.chain },
  signature: r.signature,
  signatureStatus: r.signatureStatus,
})

/** The inspection records made from `checkInId`, oldest first (corrections too: each is kept). */
export async function inspectionsOfCheckIn(db: Kysely<Database>, checkInId: string): Promise<RecordsTable[]> {
  return db
    .selectFrom('records')
    .selectAll()
    .where('kind', '=', 'inspection')
    .where('check_in_id', '=', checkInId)
    .where('deleted', '=', 0)
    .orderBy('version')
    .execute()
}

/** The check-ins of the same author that name `checkIn` as the one they correct, oldest first. */
async function correctionsOf(db: Kysely<Database>, checkIn: RecordsTable): Promise<RecordsTable[]> {
  // Stored check-in ids are UUIDs, no LIKE wildcard in them; the stored JSON is canonical, so the text is exact.
  if (checkIn.author_id === null || !/^[0-9a-f-]{1,64}$/.test(checkIn.id)) return []
  const rows = await db
    .selectFrom('records')
    .selectAll()
    .where('kind', '=', 'checkin')
    .where('author_id', '=', checkIn.author_id)
    .where('deleted', '=', 0)
    .where('data', 'like', `%"correctionOf":"${checkIn.id}"%`)
    .orderBy('version')
    .execute()
  return rows.filter((r) => (JSON.parse(r.data!) as { correctionOf: string | null }).correctionOf === checkIn.id)
}

/**
 * The bytes of the stored photos among `sha256s`, by hash, each from where its row says it is. A stored photo
 * whose file is lost or changed refuses the whole package (503 `photo_unavailable`): listing it as `missing`
 * would say the phone never sent it, and a package is not made with bytes that are not the photo's.
 */
async function photoBytes(
  db: Kysely<Database>,
  storage: PhotoStorage,
  sha256s: readonly string[],
): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>()
  const wanted = [...new Set(sha256s)]
  for (let i = 0; i < wanted.length; i += 50) {
    const rows = await db
      .selectFrom('photos')
      .select(['sha256', 'storage', 'bytes'])
      .where('sha256', 'in', wanted.slice(i, i + 50))
      .execute()
    for (const r of rows) out.set(r.sha256, new Uint8Array(await storage.get(r)))
  }
  return out
}

/** The registered phone keys behind the records' signatures: each its author's key of that id. */
async function signingKeys(db: Kysely<Database>, records: readonly EvidenceRecord[]): Promise<PackagePublicKey[]> {
  const wanted = records.flatMap((r) =>
    r.signature && r.authorId ? [{ keyId: r.signature.keyId, userId: r.authorId }] : [],
  )
  if (wanted.length === 0) return []
  const rows = await db
    .selectFrom('client_keys')
    .select(['key_id', 'user_id', 'client_id', 'public_key'])
    .where(
      'key_id',
      'in',
      wanted.map((w) => w.keyId),
    )
    .where(
      'user_id',
      'in',
      wanted.map((w) => w.userId),
    )
    .execute()
  const needed = new Set(wanted.map((w) => `${w.userId} ${w.keyId}`))
  return rows
    .filter((r) => needed.has(`${r.user_id} ${r.key_id}`))
    .map((r) => ({
      keyId: r.key_id,
      userId: r.user_id,
      clientId: r.client_id,
      publicKey: JSON.parse(r.public_key) as PublicKeyJwk,
    }))
    .sort((a, b) => a.keyId.localeCompare(b.keyId))
}

/** What the package is and how to check it, for whoever receives it without the app. */
const readme = (checkInId: string, keyId: string) =>
  [
    `知巡 Zhixun 证据包 / evidence package — 检查记录 check-in ${checkInId}`,
    '',
    'manifest.json 列出包内每个文件的 SHA-256 与大小、每条记录的哈希、记录链与手机签名；',
    'manifest.sig 是服务器 Ed25519 密钥对 manifest.json 原始字节的签名（base64）。',
    'manifest.json lists every file of the package with its SHA-256 and size, and each record with its hash,',
    "chain link and phone signature; manifest.sig is the server's Ed25519 signature of manifest.json's bytes.",
    '',
    `服务器密钥 / server key id (SHA-256 of the SPKI DER): ${keyId}`,
    '请与服务器公布的密钥核对 / compare it with the key the server publishes: GET /api/server-key',
    '',
    '核验 / to check: npm run verify-package -- evidence.zip --server https://<server>',
    '',
  ].join('\r\n')

/**
 * Builds the package of `checkIn` (a stored check-in row `user` may read) and records its export in the audit
 * log first, so the package's audit.json names this export too.
 */
export async function evidencePackage(
  db: Kysely<Database>,
  user: SessionUser,
  checkIn: RecordsTable,
  key: ServerKey,
  storage: PhotoStorage = new DatabasePhotoStorage(),
): Promise<{ zip: Uint8Array; manifest: Manifest }> {
  const inspectionRows = await inspectionsOfCheckIn(db, checkIn.id)
  const reviewRows = await reviewsOfCheckIn(db, checkIn.id)
  const corrections = await correctionsOf(db, checkIn)
  const record: EvidenceRecordFile = {
    checkIn: evidenceRecord(checkIn),
    inspections: inspectionRows.map(evidenceRecord),
    reviews: reviewRows.map(evidenceRecord),
    correctedBy: corrections.map((r) => ({ id: r.id, hash: r.hash, receivedAt: r.created_at })),
  }
  const inspections = record.inspections.map((r) => r.data as Inspection)
  const photos = new Map<string, PhotoRef>()
  for (const p of [
    ...((record.checkIn.data as { photos?: PhotoRef[] }).photos ?? []),
    ...inspections.flatMap((i) => i.photos),
  ])
    photos.set(p.sha256, p)
  const signatureHashes = [...new Set(inspections.flatMap((i) => i.signatures.map((s) => s.sha256)))]
  const bytes = await photoBytes(db, storage, [...photos.keys(), ...signatureHashes])
  // Logged once the photos are read: a package refused for a lost photo file was not exported.
  await appendAudit(db, [
    {
      actorId: user.id,
      action: 'evidence.export',
      targetKind: 'checkin',
      targetId: checkIn.id,
      detail: { serverKeyId: key.keyId, inspections: inspectionRows.map((r) => r.id) },
    },
  ])
  const all = [record.checkIn, ...record.inspections, ...record.reviews]
  const { entries: audit } = await readAudit(db, {
    targetIds: [checkIn.id, ...[...inspectionRows, ...reviewRows, ...corrections].map((r) => r.id)],
  })

  const files = new Map<string, Uint8Array>()
  const missing: Manifest['missing'] = []
  const addStored = (sha: string, path: string) => {
    const b = bytes.get(sha)
    if (b) files.set(path, b)
    else missing.push({ sha256: sha, path })
  }
  files.set('record.json', utf8(canonicalJson(record)))
  for (const r of record.inspections) {
    const inspection = r.data as Inspection
    files.set(
      `inspection-${r.id}.html`,
      utf8(
        inspectionHtml(
          inspection,
          {
            department: checkIn.department ?? '',
            hash: r.hash,
            signatureStatus: r.signatureStatus,
            chainStatus: r.flags.chain,
            certifiedCount: r.flags.certifiedCount,
            twoCertified: r.flags.twoCertified,
            clockSkewMs: r.flags.clockSkewMs,
          },
          bytes,
        ),
      ),
    )
  }
  for (const p of photos.values()) addStored(p.sha256, photoFileName(p))
  for (const sha of signatureHashes) addStored(sha, signatureFileName(sha))
  files.set('audit.json', utf8(pretty(audit satisfies AuditEntry[])))
  files.set('public-keys.json', utf8(pretty(await signingKeys(db, all))))
  files.set('README.txt', utf8(readme(checkIn.id, key.keyId)))

  const manifest: Manifest = {
    version: MANIFEST_VERSION,
    createdAt: nowIso(),
    checkInId: checkIn.id,
    algorithm: key.algorithm,
    serverKeyId: key.keyId,
    serverPublicKeyPem: key.publicKeyPem,
    files: [...files]
      .map(([path, b]) => ({ path, sha256: sha256(b), size: b.length }))
      .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)),
    records: all.map(manifestRecord),
    missing,
  }
  const manifestBytes = utf8(pretty(manifest))
  const signature = sign(null, manifestBytes, key.privateKey).toString('base64')

  const mtime = new Date(manifest.createdAt)
  const zippable: Zippable = {}
  for (const [path, b] of files) {
    // Photos and signatures are compressed already: stored as they are, which also keeps the zip quick to make.
    zippable[path] = [b, { level: path.startsWith('photos/') || path.startsWith('signatures/') ? 0 : 6, mtime }]
  }
  zippable['manifest.json'] = [manifestBytes, { mtime }]
  zippable['manifest.sig'] = [utf8(`${signature}\n`), { mtime }]
  return { zip: zipSync(zippable), manifest }
}
