import { isActive } from '@/kernel/campaign-rules'
import type { Campaign } from '@/kernel/campaign-schema'
import type { ZhixunDB } from './db'

/** Keeps exactly the campaigns the server listed for this user, replacing the last list in one step. */
export async function replaceCampaigns(db: ZhixunDB, campaigns: readonly Campaign[]): Promise<void> {
  await db.transaction('rw', db.campaigns, async () => {
    await db.campaigns.clear()
    await db.campaigns.bulkPut(campaigns.map((c) => ({ ...c })))
  })
}

/** Campaigns running today first (by start date, newest first), then the rest. */
export function sortForPicking(campaigns: readonly Campaign[], today: string): Campaign[] {
  return [...campaigns].sort(
    (a, b) => Number(isActive(b, today)) - Number(isActive(a, today)) || b.startDate.localeCompare(a.startDate),
  )
}
