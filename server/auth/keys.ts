/**
 * Phone clients' signing keys. Each phone client (one client id, one user) makes an ECDSA P-256 key it
 * cannot export and registers the public half here when its inspector signs in; the server then checks
 * the signature of every record pushed (server/sync/signatures.ts), and a phone importing an export file
 * asks here whether the file's key is the signed-in inspector's.
 */
import { createPublicKey, type KeyObject } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import type { Kysely } from 'kysely'
import * as v from 'valibot'
import { canonicalJson } from '../../src/kernel/canonical'
import { keyIdOf, type PublicKeyJwk } from '../../src/kernel/signature'
import { RegisterKeyRequestSchema, type RegisteredKey } from '../../src/kernel/signature-schema'
import { Sha256Schema } from '../../src/kernel/sync-schema'
import type { SessionUser } from '../../src/kernel/users'
import { nowIso, type Database, type Store } from '../db/database'
import { ApiRefusal } from '../http/errors'
import { readRequest } from '../http/request'
import { requireUser } from './session'

/** Keys one user may register: one per phone client they sign in on, with plenty to spare. */
export const MAX_KEYS_PER_USER = 200

/** The key as node:crypto uses it; a JWK that is no point on P-256 is refused. */
export function publicKeyObject(jwk: PublicKeyJwk): KeyObject {
  return createPublicKey({ key: { ...jwk }, format: 'jwk' })
}

/**
 * Registers `publicKey` as `user`'s, made on the phone client `clientId`. The client id becomes this user's
 * if nobody had it (as a push would make it), and a client id of another user is refused. Registering the
 * same key again changes nothing.
 */
export async function registerKey(
  db: Kysely<Database>,
  user: SessionUser,
  clientId: string,
  publicKey: PublicKeyJwk,
): Promise<RegisteredKey> {
  try {
    publicKeyObject(publicKey)
  } catch {
    throw new ApiRefusal(400, 'invalid_request', 'publicKey is not a P-256 public key', { field: 'publicKey' })
  }
  const keyId = await keyIdOf(publicKey)
  return db.transaction().execute(async (tx) => {
    const at = nowIso()
    await tx
      .insertInto('clients')
      .values({ client_id: clientId, user_id: user.id, last_seq: 0, created_at: at })
      .onConflict((oc) => oc.column('client_id').doNothing())
      .execute()
    const client = await tx
      .selectFrom('clients')
      .select('user_id')
      .where('client_id', '=', clientId)
      .executeTakeFirstOrThrow()
    if (client.user_id !== user.id) throw new ApiRefusal(403, 'forged_client', 'This client id belongs to another user')
    const existing = await tx
      .selectFrom('client_keys')
      .select(['key_id', 'client_id', 'created_at'])
      .where('user_id', '=', user.id)
      .where('key_id', '=', keyId)
      .executeTakeFirst()
    if (existing) return { keyId, clientId: existing.client_id, createdAt: existing.created_at }
    const { n } = await tx
      .selectFrom('client_keys')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('user_id', '=', user.id)
      .executeTakeFirstOrThrow()
    if (Number(n) >= MAX_KEYS_PER_USER)
      throw new ApiRefusal(409, 'too_many_keys', `At most ${MAX_KEYS_PER_USER} signing keys per user`)
    await tx
      .insertInto('client_keys')
      .values({
        user_id: user.id,
        key_id: keyId,
        client_id: clientId,
        public_key: canonicalJson(publicKey),
        created_at: at,
      })
      .onConflict((oc) => oc.columns(['user_id', 'key_id']).doNothing())
      .execute()
    return { keyId, clientId, createdAt: at }
  })
}

/** `user`'s key `keyId`, when they registered it. */
export async function registeredKey(
  db: Kysely<Database>,
  user: SessionUser,
  keyId: string,
): Promise<RegisteredKey | undefined> {
  const row = await db
    .selectFrom('client_keys')
    .select(['key_id', 'client_id', 'created_at'])
    .where('user_id', '=', user.id)
    .where('key_id', '=', keyId)
    .executeTakeFirst()
  return row && { keyId: row.key_id, clientId: row.client_id, createdAt: row.created_at }
}

/** The public keys among `keyIds` that `userId` registered, by key id. */
export async function publicKeysOf(
  db: Kysely<Database>,
  userId: string,
  keyIds: readonly string[],
): Promise<Map<string, PublicKeyJwk>> {
  const wanted = [...new Set(keyIds)]
  if (wanted.length === 0) return new Map()
  const rows = await db
    .selectFrom('client_keys')
    .select(['key_id', 'public_key'])
    .where('user_id', '=', userId)
    .where('key_id', 'in', wanted)
    .execute()
  return new Map(rows.map((r) => [r.key_id, JSON.parse(r.public_key) as PublicKeyJwk]))
}

const KeyParamsSchema = v.object({ keyId: Sha256Schema })

export async function keyRoutes(app: FastifyInstance, opts: { store: Store }): Promise<void> {
  const { db } = opts.store

  app.post('/api/keys', async (req) => {
    const user = await requireUser(opts.store, req)
    const { clientId, publicKey } = readRequest(RegisterKeyRequestSchema, req.body)
    return registerKey(db, user, clientId, publicKey)
  })

  /** Whether a key is the signed-in user's: asked by a phone importing a file that key signed. */
  app.get('/api/keys/:keyId', async (req, reply) => {
    const user = await requireUser(opts.store, req)
    reply.header('Cache-Control', 'no-store')
    const { keyId } = readRequest(KeyParamsSchema, req.params)
    const key = await registeredKey(db, user, keyId)
    if (!key) throw new ApiRefusal(404, 'not_found', 'No such key of yours')
    return key
  })
}
