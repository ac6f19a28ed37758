/**
 * The server's own Ed25519 key, which signs evidence packages. One key for every server of a deployment: the
 * first server to start on an empty database makes it and stores it (server_keys); servers starting at the
 * same moment each try to insert theirs and all take whichever row won. ZHIXUN_SERVER_KEY_FILE (a PEM private
 * key) overrides the stored one, for a deployment that keeps its key outside the database.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto'
import { readFileSync } from 'node:fs'
import type { Kysely } from 'kysely'
import { ZhixunError } from '../../src/kernel/errors'
import { nowIso, type Database } from '../db/database'

export const SERVER_KEY_ALGORITHM = 'Ed25519'
const ROW_ID = 'evidence'

export interface ServerKey {
  algorithm: typeof SERVER_KEY_ALGORITHM
  /** SHA-256 (hex) of the public key's SPKI DER: the same key has the same id wherever it is read. */
  keyId: string
  publicKeyPem: string
  privateKey: KeyObject
}

/** A key's id: SHA-256 (hex) of its SubjectPublicKeyInfo DER. */
export const serverKeyIdOf = (publicKey: KeyObject): string =>
  createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex')

/** The key of a PEM private key; anything but an Ed25519 one is refused. */
export function serverKeyOf(privateKeyPem: string): ServerKey {
  const privateKey = createPrivateKey(privateKeyPem)
  if (privateKey.asymmetricKeyType !== 'ed25519')
    throw new ZhixunError('invalid_server_key', `the server key must be Ed25519, not ${privateKey.asymmetricKeyType}`)
  const publicKey = createPublicKey(privateKey)
  return {
    algorithm: SERVER_KEY_ALGORITHM,
    keyId: serverKeyIdOf(publicKey),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    privateKey,
  }
}

/** The stored key, made and stored first if there is none; every server on the database ends with the same one. */
export async function storedServerKey(db: Kysely<Database>): Promise<ServerKey> {
  const existing = await db
    .selectFrom('server_keys')
    .select('private_key_pem')
    .where('id', '=', ROW_ID)
    .executeTakeFirst()
  if (existing) return serverKeyOf(existing.private_key_pem)
  const pair = generateKeyPairSync('ed25519')
  await db
    .insertInto('server_keys')
    .values({
      id: ROW_ID,
      algorithm: SERVER_KEY_ALGORITHM,
      public_key_pem: pair.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      private_key_pem: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      created_at: nowIso(),
    })
    .onConflict((oc) => oc.column('id').doNothing())
    .execute()
  // Another server may have inserted first: its key, not the one made here, is the key.
  const row = await db
    .selectFrom('server_keys')
    .select('private_key_pem')
    .where('id', '=', ROW_ID)
    .executeTakeFirstOrThrow()
  return serverKeyOf(row.private_key_pem)
}

/** The key this server signs with: the file ZHIXUN_SERVER_KEY_FILE names, or the stored one. */
export async function loadServerKey(db: Kysely<Database>, env: NodeJS.ProcessEnv = process.env): Promise<ServerKey> {
  const file = env.ZHIXUN_SERVER_KEY_FILE
  if (file) {
    try {
      return serverKeyOf(readFileSync(file, 'utf8'))
    } catch (err) {
      throw new ZhixunError('invalid_server_key', `ZHIXUN_SERVER_KEY_FILE (${file}) is no Ed25519 private key`, {
        cause: err,
      })
    }
  }
  return storedServerKey(db)
}
