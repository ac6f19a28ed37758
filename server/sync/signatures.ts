/**
 * Checking the signatures phones send with their records (src/kernel/signature.ts). A record is never
 * refused for its signature — an inspection that happened stays on record — but every record carries what
 * was found: `valid`, `unsigned`, `invalid` or `unknown_key`, for reports to show.
 */
import { verify, type KeyObject } from 'node:crypto'
import type { Kysely } from 'kysely'
import * as v from 'valibot'
import { recordHash } from './hash'
import { fromBase64Url, recordSigningText, type SignatureStatus, type SignedKind } from '../../src/kernel/signature'
import { RecordSignatureSchema } from '../../src/kernel/signature-schema'
import { parseArgs, type PushMutation } from '../../src/kernel/sync-schema'
import type { SessionUser } from '../../src/kernel/users'
import type { Database, RecordsTable } from '../db/database'
import { publicKeyObject, publicKeysOf } from '../auth/keys'

/** The columns a record written by a mutation gets: the status found, and the signature as sent when readable. */
export type RecordSigning = Pick<RecordsTable, 'signature_status' | 'signature'>

export const UNSIGNED: RecordSigning = { signature_status: 'unsigned', signature: null }

const signed = (status: SignatureStatus, signature: v.InferOutput<typeof RecordSignatureSchema>): RecordSigning => ({
  signature_status: status,
  signature: JSON.stringify(signature),
})

/** The mutations whose records phones sign. */
const SIGNED_MUTATIONS = new Set(['checkin.create', 'note.put', 'inspection.create'])

/** The record a mutation would write, and its kind, when its args are valid (otherwise it is rejected anyway). */
function signedRecord(m: PushMutation): { kind: SignedKind; record: unknown } | undefined {
  if (m.name === 'checkin.create') {
    const parsed = parseArgs('checkin.create', m.args)
    return parsed.ok ? { kind: 'checkin', record: parsed.value } : undefined
  }
  if (m.name === 'inspection.create') {
    const parsed = parseArgs('inspection.create', m.args)
    return parsed.ok ? { kind: 'inspection', record: parsed.value } : undefined
  }
  if (m.name === 'note.put') {
    const parsed = parseArgs('note.put', m.args)
    return parsed.ok ? { kind: 'note', record: parsed.value.note } : undefined
  }
  return undefined
}

/** Whether `signature` (r‖s, as WebCrypto signs) is `key`'s of `text`; false for anything unreadable. */
function verified(key: KeyObject | undefined, text: string, signature: Uint8Array | undefined): Promise<boolean> {
  if (!key || !signature) return Promise.resolve(false)
  return new Promise((resolve) => {
    try {
      verify('sha256', Buffer.from(text), { key, dsaEncoding: 'ieee-p1363' }, signature, (err, ok) =>
        resolve(!err && ok),
      )
    } catch {
      resolve(false)
    }
  })
}

/**
 * What each signed mutation of a batch carries, by sequence number: its signature checked against the key
 * it names among those `user` registered (node:crypto, P1363 encoding as WebCrypto signs). Mutations sent
 * without a signature are not in the map: they are `UNSIGNED`.
 */
export async function checkSignatures(
  db: Kysely<Database>,
  user: SessionUser,
  batch: readonly PushMutation[],
): Promise<Map<number, RecordSigning>> {
  const out = new Map<number, RecordSigning>()
  const readable = new Map<number, v.InferOutput<typeof RecordSignatureSchema>>()
  for (const m of batch) {
    if (m.signature === undefined || !SIGNED_MUTATIONS.has(m.name)) continue
    const parsed = v.safeParse(RecordSignatureSchema, m.signature)
    if (parsed.success) readable.set(m.seq, parsed.output)
    else out.set(m.seq, { signature_status: 'invalid', signature: null })
  }
  if (readable.size === 0) return out
  const jwks = await publicKeysOf(
    db,
    user.id,
    [...readable.values()].map((s) => s.keyId),
  )
  const keys = new Map<string, KeyObject>()
  for (const [keyId, jwk] of jwks) {
    try {
      keys.set(keyId, publicKeyObject(jwk))
    } catch {
      // A stored key node:crypto cannot read verifies nothing: its signatures are flagged invalid.
    }
  }
  // Verified side by side on libuv's threads: a push of many signed records does not hold the event loop.
  await Promise.all(
    batch.map(async (m) => {
      const signature = readable.get(m.seq)
      if (!signature) return
      const target = signedRecord(m)
      if (!target) return
      if (!jwks.has(signature.keyId)) {
        out.set(m.seq, signed('unknown_key', signature))
        return
      }
      const text = recordSigningText(target.kind, await recordHash(target.record))
      const ok = await verified(keys.get(signature.keyId), text, fromBase64Url(signature.value))
      out.set(m.seq, signed(ok ? 'valid' : 'invalid', signature))
    }),
  )
  return out
}
