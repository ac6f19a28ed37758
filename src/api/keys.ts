import type { PublicKeyJwk } from '@/kernel/signature'
import type { RegisteredKey } from '@/kernel/signature-schema'
import { ApiError, apiJson, type ApiOptions } from './http'

/** Registers this phone client's public signing key as the signed-in user's. */
export const postKey = (body: { clientId: string; publicKey: PublicKeyJwk }, options?: ApiOptions) =>
  apiJson<RegisteredKey>('/api/keys', 'POST', body, options)

/**
 * Whether the server has `keyId` as the signed-in user's key: `unreachable` when it could not say (offline,
 * signed out, failing), which is not a no.
 */
export async function confirmKey(
  keyId: string,
  options?: ApiOptions,
): Promise<'registered' | 'not_registered' | 'unreachable'> {
  try {
    await apiJson<RegisteredKey>(`/api/keys/${encodeURIComponent(keyId)}`, 'GET', undefined, options)
    return 'registered'
  } catch (err) {
    if (err instanceof ApiError && err.status === 404 && err.code === 'not_found') return 'not_registered'
    return 'unreachable'
  }
}
