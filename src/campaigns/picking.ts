import { isActive } from '@/kernel/campaign-rules'
import type { Campaign } from '@/kernel/campaign-schema'

/** Campaigns running today first (by start date, newest first), then the rest. */
export function sortForPicking(campaigns: readonly Campaign[], today: string): Campaign[] {
  return [...campaigns].sort(
    (a, b) => Number(isActive(b, today)) - Number(isActive(a, today)) || b.startDate.localeCompare(a.startDate),
  )
}
