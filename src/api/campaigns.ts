import type { Campaign, CampaignInput, CampaignReport, CoverageReport, ReportFilter } from '@/kernel/campaign-schema'
import type { PersonRef } from '@/kernel/users'
import { apiJson } from './http'

export const fetchCampaigns = async () => (await apiJson<{ campaigns: Campaign[] }>('/api/campaigns')).campaigns
export const fetchCampaign = async (id: string) =>
  (await apiJson<{ campaign: Campaign }>(`/api/campaigns/${encodeURIComponent(id)}`)).campaign
export const createCampaign = async (input: CampaignInput) =>
  (await apiJson<{ campaign: Campaign }>('/api/campaigns', 'POST', input)).campaign
export const updateCampaign = async (id: string, input: CampaignInput) =>
  (await apiJson<{ campaign: Campaign }>(`/api/campaigns/${encodeURIComponent(id)}`, 'PUT', input)).campaign
export const fetchPeople = async () => (await apiJson<{ people: PersonRef[] }>('/api/people')).people

const FILTER_KEYS = ['day', 'venueType', 'outcome', 'inspector'] as const

/** The report filter a page's URL query carries (the inverse of filterQuery); empty parts left out. */
export function filterFromQuery(query: Record<string, unknown>): ReportFilter {
  const f: Record<string, string> = {}
  for (const k of FILTER_KEYS) if (typeof query[k] === 'string' && query[k]) f[k] = query[k]
  return f as ReportFilter
}

/** The query string for a report filter; empty parts left out. */
export function filterQuery(filter: ReportFilter, extra: Record<string, string> = {}): string {
  const q = new URLSearchParams()
  for (const [k, v] of Object.entries({ ...filter, ...extra })) if (v) q.set(k, String(v))
  const s = q.toString()
  return s ? `?${s}` : ''
}

export const fetchReport = (id: string, filter: ReportFilter, limit?: number) =>
  apiJson<CampaignReport>(
    `/api/campaigns/${encodeURIComponent(id)}/report${filterQuery(filter, limit === undefined ? {} : { limit: String(limit) })}`,
  )

export const csvUrl = (id: string, filter: ReportFilter, lang: string) =>
  `/api/campaigns/${encodeURIComponent(id)}/checkins.csv${filterQuery(filter, { lang })}`

export const fetchCoverage = (scope: { department?: string; campaign?: string } = {}) =>
  apiJson<CoverageReport>(
    `/api/coverage${filterQuery({}, Object.fromEntries(Object.entries(scope).filter(([, v]) => v)) as Record<string, string>)}`,
  )
