import { defineStore } from 'pinia'
import { computed, shallowRef } from 'vue'
import { isServerBug } from '@/api/http'
import { useLiveQuery } from '@/composables/useLiveQuery'
import { db } from '@/db/db'
import { syncMeta, unsentSummary } from '@/db/outbox'
import type { PhotoUploadProgress } from '@/sync/engine'
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

/** Which part of a sync run failed, and why: the records, or the campaign list refreshed after them. */
export function failedPartOf(err: unknown): { part: 'records' | 'campaigns'; problem: SyncProblem } {
  // By name, as above: SyncPartFailure lives with the scheduler, loaded after the first screen.
  const { name, part, cause } = err as { name?: string; part?: string; cause?: unknown }
  if (name === 'SyncPartFailure' && part === 'campaigns') return { part: 'campaigns', problem: syncProblemOf(cause) }
  return { part: 'records', problem: syncProblemOf(err) }
}

/**
 * What the sync panel's one status line says about the records: signing in again, being offline, the records'
 * own problem only while some record is not on the server (everything sent, no failure is the records'), or
 * else how sending works.
 */
export function recordsNoticeOf(s: {
  expired: boolean
  signedOut: boolean
  online: boolean
  problem?: SyncProblem
  unsentCount: number
}): 'expired' | 'signedOut' | 'offline' | 'problem' | 'auto' {
  if (s.expired) return 'expired'
  if (s.signedOut) return 'signedOut'
  if (!s.online) return 'offline'
  if (s.problem && s.unsentCount > 0) return 'problem'
  return 'auto'
}

/** Why a part (the campaign list, the dataset check) failed, in a few words: `sync.parts.reason.<key>`. */
export type PartReason = 'offline' | 'server' | 'internal' | 'signed_out' | 'invalid' | 'storage' | 'unknown'

export function partReasonOf(failure: SyncProblem | 'invalid' | 'storage'): PartReason {
  return failure === 'gap' || failure === 'photo' ? 'unknown' : failure
}

/** Sync status for the whole app: what is not yet on the server, when sync last worked, what went wrong. */
export const useSyncStore = defineStore('sync', () => {
  const state = shallowRef<SchedulerState>('idle')
  /** Why the records did not go up (or come down) in the last run; nothing while a later run worked. */
  const problem = shallowRef<SyncProblem>()
  /** Why the campaign list, refreshed after the records, did not come down; the phone keeps its last list. */
  const campaignsProblem = shallowRef<SyncProblem>()
  /** While the campaign list is being fetched. */
  const campaignsRefreshing = shallowRef(false)
  const nextAttemptAt = shallowRef<number>()
  /** The photos of the batch being sent and how far each has gone up; empty while no upload runs. */
  const photoUploads = shallowRef<readonly PhotoUploadProgress[]>([])
  const { value: unsent } = useLiveQuery(() => unsentSummary(db))
  const { value: meta } = useLiveQuery(() => db.syncMeta.get('sync'))
  const unsentCount = computed(() => unsent.value?.count ?? 0)
  const oldestUnsentAt = computed(() => unsent.value?.oldestQueuedAt)
  const lastSyncAt = computed(() => meta.value?.lastSyncAt)
  /** When the campaign list on this phone last came down: kept with the sync state, so a reload still knows. */
  const campaignsUpdatedAt = computed(() => meta.value?.campaignsUpdatedAt)

  let scheduler: SyncScheduler | undefined

  /** Loads the sync machinery after the first screen, then syncs on every trigger from then on. */
  async function start(): Promise<void> {
    if (scheduler) return
    const [
      { SyncEngine },
      { SyncScheduler, SyncPartFailure, webLock },
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
    const engine = new SyncEngine(dexieSyncStorage(db), httpTransport(), {
      onPhotoProgress: (photos) => (photoUploads.value = photos),
    })
    scheduler = new SyncScheduler({
      run: async () => {
        const session = await db.session.get('me')
        // Nothing to sync as nobody; an expired session waits for the inspector to sign in again.
        if (!session || session.expired) return
        await syncMeta(db)
        // The server checks every record's signature against the keys registered to the inspector.
        await registerSigningKey(db)
        await engine.sync()
        // Then the phone lets go of its synced check-ins older than it keeps (src/db/retention.ts): the server has
        // them, and "my records" lists them from there. A failure keeps them until the next sync.
        await import('@/db/retention').then(({ pruneOldRecords }) => pruneOldRecords(db)).catch(() => undefined)
        // Campaigns come down with every sync, like the records: the picker works offline from then on. Their
        // failure (a weak link timing out on the list, say) is the campaign list's, not the records'.
        campaignsRefreshing.value = true
        try {
          await campaigns.refresh()
        } catch (err) {
          throw new SyncPartFailure('campaigns', err)
        } finally {
          campaignsRefreshing.value = false
        }
        // Then the party register and the colleagues (parties made here go up first): the party and
        // co-inspector pickers work offline from then on. A failure keeps the last lists until the next sync.
        await import('@/db/parties').then(({ syncRegister }) => syncRegister(db)).catch(() => undefined)
      },
      online: () => navigator.onLine,
      withLock: webLock('zhixun-sync'),
      onChange: (s, info) => {
        state.value = s
        nextAttemptAt.value = info.nextAt
        if (s === 'idle') {
          problem.value = undefined
          campaignsProblem.value = undefined
        } else if (info.error) {
          const failed = failedPartOf(info.error)
          if (failed.part === 'campaigns') {
            // The campaign list failed after the records went up: the records have no problem.
            problem.value = undefined
            campaignsProblem.value = failed.problem
          } else problem.value = failed.problem
        }
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

  return {
    state,
    problem,
    campaignsProblem,
    campaignsRefreshing,
    campaignsUpdatedAt,
    nextAttemptAt,
    photoUploads,
    unsentCount,
    oldestUnsentAt,
    lastSyncAt,
    start,
    syncNow,
    syncByHand,
  }
})
