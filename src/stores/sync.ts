import { defineStore } from 'pinia'
import { computed, shallowRef } from 'vue'
import { isServerBug } from '@/api/http'
import { useLiveQuery } from '@/composables/useLiveQuery'
import { db } from '@/db/db'
import { syncMeta, unsentSummary } from '@/db/outbox'
import type { SchedulerState, SyncScheduler } from '@/sync/scheduler'

/** Why the last sync failed, as a message key the inspector can read (`sync.problem.<key>`). */
export type SyncProblem = 'offline' | 'server' | 'internal' | 'gap' | 'photo' | 'signed_out' | 'unknown'

export function syncProblemOf(err: unknown): SyncProblem {
  // By name: the sync classes load after the first screen, not with this store.
  const { name, code } = err as { name?: string; code?: string }
  if (name === 'SyncFailure')
    return code === 'signed_out' ? 'signed_out' : code === 'seq_gap' || code === 'seq_conflict' ? 'gap' : 'photo'
  // A bug on the server (a 500) is said apart: it is retried only slowly, and someone must fix it.
  if (name === 'ApiError') return isServerBug(err) ? 'internal' : 'server'
  if (
    err instanceof TypeError ||
    (err instanceof DOMException && (err.name === 'TimeoutError' || err.name === 'AbortError'))
  )
    return 'offline'
  return 'unknown'
}

/** Sync status for the whole app: what is not yet on the server, when sync last worked, what went wrong. */
export const useSyncStore = defineStore('sync', () => {
  const state = shallowRef<SchedulerState>('idle')
  const problem = shallowRef<SyncProblem>()
  const nextAttemptAt = shallowRef<number>()
  const { value: unsent } = useLiveQuery(() => unsentSummary(db))
  const { value: meta } = useLiveQuery(() => db.syncMeta.get('sync'))
  const unsentCount = computed(() => unsent.value?.count ?? 0)
  const oldestUnsentAt = computed(() => unsent.value?.oldestQueuedAt)
  const lastSyncAt = computed(() => meta.value?.lastSyncAt)

  let scheduler: SyncScheduler | undefined

  /** Loads the sync machinery after the first screen, then syncs on every trigger from then on. */
  async function start(): Promise<void> {
    if (scheduler) return
    const [
      { SyncEngine },
      { SyncScheduler, webLock },
      { httpTransport },
      { dexieSyncStorage },
      { useCampaignsStore },
      { registerSigningKey },
    ] = await Promise.all([
      import('@/sync/engine'),
      import('@/sync/scheduler'),
      import('@/sync/transport'),
      import('@/db/syncStorage'),
      import('@/stores/campaigns'),
      import('@/signing/register'),
    ])
    const campaigns = useCampaignsStore()
    const engine = new SyncEngine(dexieSyncStorage(db), httpTransport())
    scheduler = new SyncScheduler({
      run: async () => {
        const session = await db.session.get('me')
        // Nothing to sync as nobody; an expired session waits for the inspector to sign in again.
        if (!session || session.expired) return
        await syncMeta(db)
        // The server checks every record's signature against the keys registered to the inspector.
        await registerSigningKey(db)
        await engine.sync()
        // Campaigns come down with every sync, like the records: the picker works offline from then on.
        await campaigns.refresh()
      },
      online: () => navigator.onLine,
      withLock: webLock('zhixun-sync'),
      onChange: (s, info) => {
        state.value = s
        nextAttemptAt.value = info.nextAt
        if (s === 'idle') problem.value = undefined
        else if (info.error) problem.value = syncProblemOf(info.error)
      },
    })
    window.addEventListener('online', () => scheduler?.trigger('network'))
    window.addEventListener('offline', () => scheduler?.trigger('network'))
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible') scheduler?.trigger('visible')
    })
    scheduler.trigger('startup')
  }

  /**
   * After every record saved (or signing in, or an import): sync at once, unless the server's last answer was
   * a bug, whose slow retry this does not cut short.
   */
  function syncNow(): void {
    scheduler?.trigger('saved')
  }

  /** The inspector's "sync now": at once, whatever the server said last. */
  function syncByHand(): void {
    scheduler?.trigger('manual')
  }

  return { state, problem, nextAttemptAt, unsentCount, oldestUnsentAt, lastSyncAt, start, syncNow, syncByHand }
})
