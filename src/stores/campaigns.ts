import { defineStore } from 'pinia'
import { computed, shallowRef } from 'vue'
import { fetchCampaigns } from '@/api/campaigns'
import { useLiveQuery } from '@/composables/useLiveQuery'
import { replaceCampaigns } from '@/db/campaigns'
import { db } from '@/db/db'

/** The signed-in user's campaigns, kept on the phone so an inspector can check in under one offline. */
export const useCampaignsStore = defineStore('campaigns', () => {
  const { value, loaded } = useLiveQuery(() => db.campaigns.toArray())
  const list = computed(() => value.value ?? [])
  const refreshing = shallowRef(false)
  const refreshError = shallowRef<unknown>()

  /** Fetches the list again; on failure the phone keeps the last one. */
  async function refresh(): Promise<void> {
    const session = await db.session.get('me')
    if (!session || session.expired) return
    refreshing.value = true
    try {
      const campaigns = await fetchCampaigns()
      // The list and when it came, together: the sync panel says how old the phone's list is, after a reload too.
      await db.transaction('rw', db.campaigns, db.syncMeta, async () => {
        await replaceCampaigns(db, campaigns)
        await db.syncMeta.update('sync', { campaignsUpdatedAt: Date.now() })
      })
      refreshError.value = undefined
    } catch (err) {
      refreshError.value = err
      throw err
    } finally {
      refreshing.value = false
    }
  }

  return { list, loaded, refreshing, refreshError, refresh }
})
