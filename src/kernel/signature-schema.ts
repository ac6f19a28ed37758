/** The shapes of keys and signatures as they travel; with the schema library, so never on the first screen. */
import * as v from 'valibot'
import { Sha256Schema } from './sync-schema'
import { publicJwkOf, type PublicKeyJwk, type RecordSignature } from './signature'

/** A P-256 coordinate: 32 bytes in base64url without padding. */
const Coordinate = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{43}$/, 'must be 32 bytes in base64url'))

/** A P-256 public key as a JWK; anything beside the point (`ext`, `key_ops`) is dropped. */
export const PublicKeyJwkSchema = v.pipe(
  v.object({ kty: v.literal('EC'), crv: v.literal('P-256'), x: Coordinate, y: Coordinate }),
  v.transform((jwk): PublicKeyJwk => publicJwkOf(jwk)),
)

export const RecordSignatureSchema = v.strictObject({
  keyId: Sha256Schema,
  /** 64 bytes (r‖s) in base64url. */
  value: v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{86}$/, 'must be a 64-byte signature in base64url')),
}) satisfies v.GenericSchema<unknown, RecordSignature>

export const ClientIdSchema = v.pipe(
  v.string(),
  v.regex(/^[A-Za-z0-9-]{8,64}$/, 'must be 8 to 64 letters, digits or dashes'),
)

/** `POST /api/keys`: this phone client's public key, for the server to check its signatures with. */
export const RegisterKeyRequestSchema = v.strictObject({ clientId: ClientIdSchema, publicKey: PublicKeyJwkSchema })
export type RegisterKeyRequest = v.InferInput<typeof RegisterKeyRequestSchema>

/** What the server says of a key registered to the signed-in user. */
export interface RegisteredKey {
  keyId: string
  clientId: string
  createdAt: string
}
