import { defineStore } from 'pinia'
import { computed, shallowRef } from 'vue'
import { useLiveQuery } from '@/composables/useLiveQuery'
import { db } from '@/db/db'
import { syncMeta, unsentSummary } from '@/db/outbox'
import type { SchedulerState, SyncScheduler } from '@/sync/scheduler'

/** Why the last sync failed, as a message key the inspector can read. */
export type SyncProblem = 'offline' | 'server' | 'gap' | 'photo' | 'signed_out' | 'unknown'

function classify(err: unknown): SyncProblem {
  // By name: the sync classes load after the first screen, not with this store.
  const { name, code } = err as { name?: string; code?: string }
  if (name === 'SyncFailure')
    return code === 'signed_out' ? 'signed_out' : code === 'seq_gap' || code === 'seq_conflict' ? 'gap' : 'photo'
  if (name === 'ApiError') return 'server'
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
    const [{ SyncEngine }, { SyncScheduler, webLock }, { httpTransport }, { dexieSyncStorage }, { useCampaignsStore }] =
      await Promise.all([
        import('@/sync/engine'),
        import('@/sync/scheduler'),
        import('@/sync/transport'),
        import('@/db/syncStorage'),
        import('@/stores/campaigns'),
      ])
    const campaigns = useCampaignsStore()
    const engine = new SyncEngine(dexieSyncStorage(db), httpTransport())
    scheduler = new SyncScheduler({
      run: async () => {
        const session = await db.session.get('me')
        // Nothing to sync as nobody; an expired session waits for the inspector to sign in again.
        if (!session || session.expired) return
        await syncMeta(db)
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
        else if (info.error) problem.value = classify(info.error)
      },
    })
    window.addEventListener('online', () => scheduler?.trigger())
    window.addEventListener('offline', () => scheduler?.trigger())
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible') scheduler?.trigger()
    })
    scheduler.trigger()
  }

  /** "Sync now", and after every record saved. */
  function syncNow(): void {
    scheduler?.trigger()
  }

  return { state, problem, nextAttemptAt, unsentCount, oldestUnsentAt, lastSyncAt, start, syncNow }
})
