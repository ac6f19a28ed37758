import { defineStore } from 'pinia'
import { computed, watch } from 'vue'
import { postLogin, postLogout } from '@/api/auth'
import { useLiveQuery } from '@/composables/useLiveQuery'
import { db } from '@/db/db'
import { endSession, startSession } from '@/db/session'

// What signIn and signOut throw while records are only on this phone, for the pages to explain.
export { UnsentRecordsError } from '@/db/session'

/** Who is signed in on this phone, read from IndexedDB so it holds offline. */
export const useSessionStore = defineStore('session', () => {
  const { value: session, loaded } = useLiveQuery(() => db.session.get('me'))
  const user = computed(() => session.value?.user)
  const expired = computed(() => session.value?.expired === true)

  async function signIn(username: string, password: string): Promise<void> {
    const { user: u, expiresAt } = await postLogin(username, password)
    await startSession(db, u, expiresAt)
    // This phone's signing key goes to the server now, while the network is known to work; sync tries again.
    void import('@/signing/register').then(({ registerSigningKey }) => registerSigningKey(db)).catch(() => undefined)
  }

  /** Refused (UnsentRecordsError) while records are only on this phone and in no export file. */
  async function signOut(): Promise<{ keptUnsent: number }> {
    const result = await endSession(db)
    await postLogout()
    return result
  }

  /** Resolves once the session has been read from IndexedDB, so a page opened directly knows who is in. */
  function ready(): Promise<void> {
    if (loaded.value) return Promise.resolve()
    return new Promise((resolve) => {
      const stop = watch(loaded, (l) => {
        if (!l) return
        stop()
        resolve()
      })
    })
  }

  return { user, expired, loaded, ready, signIn, signOut }
})
