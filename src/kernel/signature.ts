/**
 * Signed records: what phone and server agree on about signatures. Each phone client holds an ECDSA P-256
 * key it cannot export (WebCrypto), registers the public half with the server, and signs each record it
 * saves; an export file's manifest is signed by the same key. Signatures are IEEE P1363 (r‖s, 64 bytes,
 * what WebCrypto makes), in base64url. No schema library here: the first screen may import this.
 */
import { canonicalJson, sha256Hex } from './canonical'

export const SIGNING_KEY_PARAMS = { name: 'ECDSA', namedCurve: 'P-256' } as const
export const SIGNATURE_PARAMS = { name: 'ECDSA', hash: 'SHA-256' } as const

/** A P-256 public key as a JWK, with nothing but what names the point. */
export interface PublicKeyJwk {
  kty: 'EC'
  crv: 'P-256'
  x: string
  y: string
}

/** A signature and the key that made it (the key's id: see `keyIdOf`). */
export interface RecordSignature {
  keyId: string
  value: string
}

/**
 * What the server found of a record's signature: made by a key registered to the record's author over
 * exactly this record (valid); none sent (unsigned, as every phone before signatures); a signature that
 * does not verify or cannot be read (invalid); or one by a key nobody registered to the author (unknown_key).
 * A record is never refused for its signature: an inspection that happened stays on record, flagged.
 */
export type SignatureStatus = 'valid' | 'unsigned' | 'invalid' | 'unknown_key'

export type SignedKind = 'checkin' | 'note' | 'inspection'

/** Only the point: a JWK from WebCrypto also carries `ext` and `key_ops`, which say nothing about the key. */
export const publicJwkOf = (jwk: { x?: string; y?: string }): PublicKeyJwk => ({
  kty: 'EC',
  crv: 'P-256',
  x: jwk.x ?? '',
  y: jwk.y ?? '',
})

/** A key's id: SHA-256 (hex) of its canonical public JWK, so the same key has the same id everywhere. */
export const keyIdOf = (jwk: PublicKeyJwk): Promise<string> => sha256Hex(canonicalJson(publicJwkOf(jwk)))

/**
 * The text a record's signature covers: its kind and the hash of its canonical JSON (`recordHash`). The
 * prefix keeps a record's signature from ever passing as an export manifest's, and the other way round.
 */
export const recordSigningText = (kind: SignedKind, hash: string): string => `zhixun-record/1 ${kind} ${hash}`

/** The text an export manifest's signature covers: the hash of the manifest's canonical JSON. */
export const manifestSigningText = (manifestHash: string): string => `zhixun-export/1 ${manifestHash}`

export function toBase64Url(bytes: ArrayBuffer | Uint8Array): string {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes)
  let binary = ''
  for (const b of view) binary += String.fromCharCode(b)
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

/** The bytes of base64url text, or undefined when it is not base64url. */
export function fromBase64Url(text: string): Uint8Array<ArrayBuffer> | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return undefined
  try {
    const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'))
    const bytes = new Uint8Array(binary.length)
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
    return bytes
  } catch {
    return undefined
  }
}

/**
 * A new signing key whose private half cannot be exported: it signs on this device and never leaves it
 * (IndexedDB keeps the CryptoKey itself). The public half is always exportable.
 */
export async function generateSigningKey(): Promise<{ privateKey: CryptoKey; publicKey: PublicKeyJwk; keyId: string }> {
  const pair = await crypto.subtle.generateKey(SIGNING_KEY_PARAMS, false, ['sign', 'verify'])
  const publicKey = publicJwkOf(await crypto.subtle.exportKey('jwk', pair.publicKey))
  return { privateKey: pair.privateKey, publicKey, keyId: await keyIdOf(publicKey) }
}

/** Signs `text` with a private key made with SIGNING_KEY_PARAMS. */
export async function signText(privateKey: CryptoKey, text: string): Promise<string> {
  return toBase64Url(await crypto.subtle.sign(SIGNATURE_PARAMS, privateKey, new TextEncoder().encode(text)))
}

/** Whether `value` is a signature of `text` by `jwk`; false for a key or signature that cannot be read. */
export async function verifyText(jwk: PublicKeyJwk, text: string, value: string): Promise<boolean> {
  const signature = fromBase64Url(value)
  if (!signature || signature.length !== 64) return false
  try {
    const key = await crypto.subtle.importKey('jwk', publicJwkOf(jwk), SIGNING_KEY_PARAMS, false, ['verify'])
    return await crypto.subtle.verify(SIGNATURE_PARAMS, key, signature, new TextEncoder().encode(text))
  } catch {
    return false
  }
}
