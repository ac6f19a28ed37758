import type { Campaign } from '@/kernel/campaign-schema'
import type { ZhixunDB } from './db'

/** Keeps exactly the campaigns the server listed for this user, replacing the last list in one step. */
export async function replaceCampaigns(db: ZhixunDB, campaigns: readonly Campaign[]): Promise<void> {
  await db.transaction('rw', db.campaigns, async () => {
    await db.campaigns.clear()
    await db.campaigns.bulkPut(campaigns.map((c) => ({ ...c })))
  })
}

export async function listCampaigns(db: ZhixunDB): Promise<Campaign[]> {
  return db.campaigns.toArray()
}

export async function getCampaign(db: ZhixunDB, id: string): Promise<Campaign | undefined> {
  return db.campaigns.get(id)
}
