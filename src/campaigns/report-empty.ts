import type { CampaignReport } from '../kernel/campaign-schema'

/**
 * What a part of a campaign's progress says when it has nothing to show: the campaign has no check-in yet, or
 * none matches the filter; null when some do.
 */
export function reportEmptyKey(report: Pick<CampaignReport, 'total' | 'matched'>): string | null {
  if (report.total === 0) return 'campaign.noCheckInsYet'
  if (report.matched === 0) return 'campaign.noCheckIns'
  return null
}
