import {
  generateSigningKey,
  recordSigningText,
  signText,
  type PublicKeyJwk,
  type RecordSignature,
  type SignedKind,
} from '@/kernel/signature'
import type { SigningKeyRow, ZhixunDB } from './db'
import { syncMeta } from './outbox'

// Kept apart from records.ts (and its schema library): export and sign-in use it too.

const ownKeyOf = (db: ZhixunDB, clientId: string): Promise<SigningKeyRow | undefined> =>
  db.signingKeys
    .where('clientId')
    .equals(clientId)
    .filter((k) => k.privateKey !== undefined)
    .first()

/**
 * This phone's signing key for the client id `clientId` (one per client id, so one per user of the phone),
 * made on first use. The key is made outside any transaction (it is not IndexedDB work); when two tabs make
 * one at once, the first one written is the key and the other is dropped.
 */
export async function ownSigningKey(db: ZhixunDB, clientId: string, userId: string): Promise<SigningKeyRow> {
  const existing = await ownKeyOf(db, clientId)
  if (existing) return existing
  const made = await generateSigningKey()
  const row: SigningKeyRow = { ...made, clientId, userId, createdAt: Date.now() }
  return db.transaction('rw', db.signingKeys, async () => {
    const first = await ownKeyOf(db, clientId)
    if (first) return first
    await db.signingKeys.put(row)
    return row
  })
}

/** The signing key of this phone's current client id (made now if there is none) and whose it is. */
export async function currentSigningKey(db: ZhixunDB, fallbackUserId?: string): Promise<SigningKeyRow | undefined> {
  const meta = await syncMeta(db)
  const userId = meta.userId ?? fallbackUserId
  if (!userId) return undefined
  return ownSigningKey(db, meta.clientId, userId)
}

/**
 * Signs a record's hash (`recordHash` of its data) with this phone's key. Call it before the transaction
 * that saves the record. A phone that cannot sign (no WebCrypto key storage) still saves the record: it is
 * kept unsigned, and shown so, rather than lost.
 */
export async function signRecordHash(
  db: ZhixunDB,
  kind: SignedKind,
  hash: string,
  authorId: string,
): Promise<RecordSignature | undefined> {
  try {
    const key = await currentSigningKey(db, authorId)
    if (!key?.privateKey) return undefined
    return { keyId: key.keyId, value: await signText(key.privateKey, recordSigningText(kind, hash)) }
  } catch (err) {
    console.warn('record saved unsigned: this phone could not sign it', err)
    return undefined
  }
}

/** The keys among `keyIds` this phone knows (its own, or other phones' from imported files). */
export async function keysById(db: ZhixunDB, keyIds: readonly string[]): Promise<Map<string, SigningKeyRow>> {
  const rows = await db.signingKeys.bulkGet([...new Set(keyIds)])
  return new Map(rows.flatMap((r) => (r ? [[r.keyId, r] as const] : [])))
}

/** Keeps other phones' public keys that came with an imported file; a key already here stays as it is. */
export async function rememberPublicKeys(
  db: ZhixunDB,
  keys: readonly { keyId: string; clientId: string; publicKey: PublicKeyJwk; confirmed: boolean }[],
  userId: string,
): Promise<void> {
  await db.transaction('rw', db.signingKeys, async () => {
    for (const k of keys) {
      const here = await db.signingKeys.get(k.keyId)
      if (!here)
        await db.signingKeys.add({
          keyId: k.keyId,
          clientId: k.clientId,
          userId,
          publicKey: k.publicKey,
          createdAt: Date.now(),
          ...(k.confirmed ? { confirmedAt: Date.now() } : {}),
        })
      else if (k.confirmed && !here.confirmedAt) await db.signingKeys.update(k.keyId, { confirmedAt: Date.now() })
    }
  })
}

/** The server took the key as its user's. */
export async function markKeyConfirmed(db: ZhixunDB, keyId: string, at = Date.now()): Promise<void> {
  await db.signingKeys.update(keyId, { confirmedAt: at })
}
