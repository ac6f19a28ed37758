import { ApiError, type ApiOptions } from '@/api/http'
import { postKey } from '@/api/keys'
import type { ZhixunDB } from '@/db/db'
import { currentSigningKey, markKeyConfirmed } from '@/db/signingKeys'

/**
 * Makes sure the server has this phone client's public signing key as the signed-in inspector's, so it can
 * check the signatures of what this phone sends: made on first use, registered once. Run at sign-in and
 * before each sync. A refusal is logged, not thrown: the records still go, and the server flags their
 * signatures as made by an unknown key rather than refusing them. Offline, the network error is thrown.
 */
export async function registerSigningKey(db: ZhixunDB, options?: ApiOptions): Promise<void> {
  const session = await db.session.get('me')
  if (!session || session.expired) return
  const key = await currentSigningKey(db, session.user.id)
  if (!key || key.confirmedAt !== undefined || key.userId !== session.user.id) return
  try {
    await postKey({ clientId: key.clientId, publicKey: key.publicKey }, options)
  } catch (err) {
    if (err instanceof ApiError) {
      console.warn('the server did not take this phone’s signing key', err)
      return
    }
    throw err
  }
  await markKeyConfirmed(db, key.keyId)
}
