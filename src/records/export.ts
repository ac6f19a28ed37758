import type { RecordState, SigningKeyRow, ZhixunDB } from '@/db/db'
import { currentSigningKey, keysById } from '@/db/signingKeys'
import { canonicalJson, recordHash, sha256Hex } from '@/kernel/canonical'
import { manifestSigningText, signText, type PublicKeyJwk, type RecordSignature } from '@/kernel/signature'
import type { CheckIn, FieldNote, Inspection, PhotoRef } from '@/kernel/sync-schema'

export const EXPORT_FORMAT = 'zhixun-records'
/** 1: before phones signed (no hashes, no manifest); 2: record hashes and signatures, a signed manifest. */
export const EXPORT_FORMAT_VERSION = 2

/** What every record of a file carries beside its data: the data's hash, and the signature made when it was saved. */
interface RecordMeta {
  state: RecordState
  reason?: string
  /** `recordHash` of the record's data: the entry without these fields. */
  hash: string
  /** None on records saved before phones signed. */
  signature?: RecordSignature
}
export type ExportedCheckIn = CheckIn & RecordMeta
export type ExportedNote = FieldNote & RecordMeta & { deleted: boolean; conflictOf?: string | null }
/** A signed 现场检查笔录 (never a draft): its photos and drawn signatures travel in the file's photos. */
export type ExportedInspection = Inspection & RecordMeta

/** The fields of a file's entry that are not the record's data. */
export const ENTRY_META_FIELDS = ['state', 'reason', 'hash', 'signature', 'deleted'] as const

/** A public key a record or the manifest of the file was signed with, and the phone client that holds it. */
export interface ExportedKey {
  keyId: string
  clientId: string
  publicKey: PublicKeyJwk
}

/**
 * What the file's signature covers: every record's id, hash and state, and every photo, in the file's
 * order, with who signed and when. Changing, adding, dropping or reordering anything changes it.
 */
export interface ExportManifest {
  exportedAt: string
  clientId: string | null
  /** The key that signs the manifest: this phone client's. */
  keyId: string | null
  /** `keyId`: the key of the record's own signature, so that taking a signature away changes the manifest too. */
  checkIns: { id: string; hash: string; state: RecordState; keyId: string | null }[]
  notes: { id: string; hash: string; state: RecordState; deleted: boolean; keyId: string | null }[]
  /** Absent when the file has no inspection records: such a manifest is the same as before they were exported. */
  inspections?: { id: string; hash: string; state: RecordState; keyId: string | null }[]
  photos: PhotoRef[]
}

/** Everything this phone recorded, with photos, in one self-contained JSON file. */
export interface RecordsExport {
  format: typeof EXPORT_FORMAT
  formatVersion: typeof EXPORT_FORMAT_VERSION
  exportedAt: string
  clientId: string | null
  checkIns: ExportedCheckIn[]
  notes: ExportedNote[]
  /** Signed 现场检查笔录; absent when there are none (and in files made before they were exported). */
  inspections?: ExportedInspection[]
  photos: (PhotoRef & { base64: string })[]
  keys: ExportedKey[]
  manifest: ExportManifest
  /** The manifest's signature by `manifest.keyId`; none only when this phone could not sign at all. */
  signature?: RecordSignature
}

function base64(bytes: ArrayBuffer): string {
  const view = new Uint8Array(bytes)
  let binary = ''
  for (let i = 0; i < view.length; i += 0x8000) binary += String.fromCharCode(...view.subarray(i, i + 0x8000))
  return btoa(binary)
}

/** The manifest a file's contents make; the importing phone makes it again and compares. */
export function manifestOf(
  file: Pick<RecordsExport, 'exportedAt' | 'clientId' | 'checkIns' | 'notes' | 'inspections' | 'photos'>,
  keyId: string | null,
): ExportManifest {
  return {
    exportedAt: file.exportedAt,
    clientId: file.clientId,
    keyId,
    checkIns: file.checkIns.map((c) => ({ id: c.id, hash: c.hash, state: c.state, keyId: c.signature?.keyId ?? null })),
    notes: file.notes.map((n) => ({
      id: n.id,
      hash: n.hash,
      state: n.state,
      deleted: n.deleted,
      keyId: n.signature?.keyId ?? null,
    })),
    ...(file.inspections
      ? {
          inspections: file.inspections.map((r) => ({
            id: r.id,
            hash: r.hash,
            state: r.state,
            keyId: r.signature?.keyId ?? null,
          })),
        }
      : {}),
    photos: file.photos.map((p) => ({ sha256: p.sha256, size: p.size, type: p.type })),
  }
}

export const manifestHash = (manifest: ExportManifest): Promise<string> => sha256Hex(canonicalJson(manifest))

/** The manifest's signature; a phone that cannot sign still exports (a file matters more than its seal). */
async function signManifest(signer: SigningKeyRow, manifest: ExportManifest): Promise<RecordSignature | undefined> {
  try {
    return {
      keyId: signer.keyId,
      value: await signText(signer.privateKey!, manifestSigningText(await manifestHash(manifest))),
    }
  } catch (err) {
    console.warn('export file not signed: this phone could not sign it', err)
    return undefined
  }
}

/**
 * The inspector's own records and their photos, read in one transaction: a copy to keep or hand on
 * before anything could take the phone's copy away (a cleared browser, a shared phone changing hands).
 * Each record carries its hash and the signature made when it was saved; the file's manifest is signed
 * with this phone's key, so a record, photo or order changed in the file is refused on import.
 */
export async function exportRecords(db: ZhixunDB, now = new Date()): Promise<RecordsExport> {
  const tables = [db.checkins, db.notes, db.inspections, db.photos, db.syncMeta]
  const read = await db.transaction('r', tables, async () => {
    const [checkIns, notes, inspections, meta] = await Promise.all([
      db.checkins.filter((c) => c.origin === 'mine').toArray(),
      db.notes.filter((n) => n.origin === 'mine').toArray(),
      // Signed ones only: a draft is no record yet, and is not sent either.
      db.inspections.filter((r) => r.origin === 'mine' && r.state !== 'draft' && !!r.data && !!r.hash).toArray(),
      db.syncMeta.get('sync'),
    ])
    const shas = [
      ...new Set([
        ...checkIns.flatMap((c) => c.data.photos.map((p) => p.sha256)),
        ...inspections.flatMap((r) => [...r.data!.photos, ...r.data!.signatures].map((p) => p.sha256)),
      ]),
    ]
    const photos = (await db.photos.bulkGet(shas)).flatMap((p) =>
      p ? [{ sha256: p.sha256, size: p.size, type: p.type, base64: base64(p.bytes) }] : [],
    )
    return { checkIns, notes, inspections, meta, photos }
  })
  // Signing is not IndexedDB work: it happens once the records are read.
  const signer = await currentSigningKey(db).catch(() => undefined)
  const known = await keysById(db, [
    ...read.checkIns.flatMap((c) => c.signature?.keyId ?? []),
    ...read.notes.flatMap((n) => n.signature?.keyId ?? []),
    ...read.inspections.flatMap((r) => r.signature?.keyId ?? []),
  ])
  if (signer) known.set(signer.keyId, signer)
  // A signature whose key this phone does not have could not be checked by anyone: it is left out.
  const signatureOf = (s: RecordSignature | undefined) => (s && known.has(s.keyId) ? { signature: s } : {})

  const checkIns: ExportedCheckIn[] = await Promise.all(
    read.checkIns.map(async (c) => ({
      ...c.data,
      state: c.state,
      ...(c.reason ? { reason: c.reason } : {}),
      hash: await recordHash(c.data),
      ...signatureOf(c.signature),
    })),
  )
  const notes: ExportedNote[] = await Promise.all(
    read.notes.map(async (n) => ({
      ...n.data,
      state: n.state,
      deleted: n.deleted === 1,
      ...(n.reason ? { reason: n.reason } : {}),
      hash: await recordHash(n.data),
      ...signatureOf(n.signature),
    })),
  )
  const inspections: ExportedInspection[] = await Promise.all(
    read.inspections.map(async (r) => ({
      ...r.data!,
      state: r.state as RecordState,
      ...(r.reason ? { reason: r.reason } : {}),
      hash: await recordHash(r.data!),
      ...signatureOf(r.signature),
    })),
  )
  const body = {
    exportedAt: now.toISOString(),
    clientId: read.meta?.clientId ?? null,
    checkIns,
    notes,
    // Left out when there are none, so that such a file is exactly what the previous version made.
    ...(inspections.length > 0 ? { inspections } : {}),
    photos: read.photos,
  }
  let manifest = manifestOf(body, signer?.keyId ?? null)
  const signature = signer?.privateKey ? await signManifest(signer, manifest) : undefined
  if (!signature) manifest = manifestOf(body, null)
  const usedKeys = new Set([...checkIns, ...notes, ...inspections].flatMap((r) => r.signature?.keyId ?? []))
  if (signature) usedKeys.add(signature.keyId)
  const keys = [...usedKeys].map((keyId): ExportedKey => {
    const k = known.get(keyId) as SigningKeyRow
    return { keyId, clientId: k.clientId, publicKey: k.publicKey }
  })
  return {
    format: EXPORT_FORMAT,
    formatVersion: EXPORT_FORMAT_VERSION,
    ...body,
    keys,
    manifest,
    ...(signature ? { signature } : {}),
  }
}

export function exportFileName(now = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, '0')
  return `zhixun-records-${now.getFullYear()}${pad(now.getMonth() + 1)}${pad(now.getDate())}-${pad(now.getHours())}${pad(now.getMinutes())}.json`
}
