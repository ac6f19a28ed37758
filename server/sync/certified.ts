/**
 * Two certified inspectors: how many distinct people of a check-in (its author and co-inspectors) or of an
 * inspection record (its inspectors) held an enforcement certificate valid at the time, by the server's own
 * accounts (not what the phone wrote beside their names), and whether the campaign's rule is met. Flagged on
 * the record, never a reason to refuse it: the inspection happened.
 */
import type { Kysely } from 'kysely'
import { certificateValidAt, type CertificateHolder } from '../../src/kernel/certificate'
import { isStorableId, type Database } from '../db/database'

export type TwoCertified = 'ok' | 'missing' | 'not_required'

/** What the push needs of people and campaigns to count certificates, read once per push. */
export class Certificates {
  private readonly holders = new Map<string, CertificateHolder | undefined>()
  private readonly rules = new Map<string, boolean>()

  constructor(private readonly db: Kysely<Database>) {}

  /** Reads the certificates of these accounts, 500 at a time; unknown ids hold none. */
  async prefetchPeople(ids: readonly string[]): Promise<void> {
    // An id that could not be stored (too long, a NUL) names no account, and PostgreSQL would refuse the query.
    const wanted = [...new Set(ids)].filter((id) => !this.holders.has(id) && isStorableId(id))
    for (let i = 0; i < wanted.length; i += 500) {
      const slice = wanted.slice(i, i + 500)
      const rows = await this.db
        .selectFrom('users')
        .select(['id', 'certificate_number', 'certificate_expiry'])
        .where('id', 'in', slice)
        .execute()
      for (const id of slice) this.holders.set(id, undefined)
      for (const r of rows)
        this.holders.set(r.id, { certificateNumber: r.certificate_number, certificateExpiry: r.certificate_expiry })
    }
  }

  /** Reads whether these campaigns require two certified inspectors (absent on old campaigns: no). */
  async prefetchCampaigns(ids: readonly string[]): Promise<void> {
    const wanted = [...new Set(ids)].filter((id) => !this.rules.has(id) && isStorableId(id))
    for (let i = 0; i < wanted.length; i += 500) {
      const slice = wanted.slice(i, i + 500)
      const rows = await this.db.selectFrom('campaigns').select(['id', 'data']).where('id', 'in', slice).execute()
      for (const id of slice) this.rules.set(id, false)
      for (const r of rows) this.rules.set(r.id, requiresTwo(r.data))
    }
  }

  /** The count of distinct people whose certificate was valid at `at`, and the campaign rule's verdict. */
  async judge(
    people: readonly string[],
    at: string,
    campaignId: string | null,
  ): Promise<{ certified_count: number; two_certified: TwoCertified }> {
    const distinct = [...new Set(people)]
    await this.prefetchPeople(distinct)
    const count = distinct.filter((id) => {
      const holder = this.holders.get(id)
      return holder !== undefined && certificateValidAt(holder, at)
    }).length
    let required = false
    if (campaignId !== null) {
      await this.prefetchCampaigns([campaignId])
      required = this.rules.get(campaignId) ?? false
    }
    return { certified_count: count, two_certified: !required ? 'not_required' : count >= 2 ? 'ok' : 'missing' }
  }
}

function requiresTwo(data: string): boolean {
  try {
    return (JSON.parse(data) as { requireTwoCertified?: unknown }).requireTwoCertified === true
  } catch {
    return false
  }
}
