/**
 * Enforcement campaigns and the supervisor's reports: what travels between the phone and the server.
 * Shared by both, like src/sync/schema.ts; the server validates every payload again.
 */
import * as v from 'valibot'
import { IdSchema, type CheckIn, type Outcome, type Review, type VenueType } from './sync-schema'
import type { SignatureStatus } from './signature'
import type { PersonRef } from './users'

export const CAMPAIGN_LIMITS = {
  name: 100,
  description: 2000,
  tasks: 50,
  departments: 30,
  inspectors: 300,
  venues: 100,
  venue: 200,
} as const

const DATE_RE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/
const DateSchema = v.pipe(v.string(), v.regex(DATE_RE, 'must be a date YYYY-MM-DD'))
/** A name on one line: no control characters (a NUL could not even be stored). */
const Name = (max: number, message: string) =>
  v.pipe(
    v.string(),
    v.trim(),
    v.minLength(1, message),
    v.maxLength(max),
    // eslint-disable-next-line no-control-regex
    v.regex(/^[^\u0000-\u001f\u007f]*$/, 'must not contain control characters'),
  )

export const CampaignInputSchema = v.pipe(
  v.strictObject({
    name: Name(CAMPAIGN_LIMITS.name, 'name is required'),
    description: v.pipe(v.string(), v.trim(), v.maxLength(CAMPAIGN_LIMITS.description)),
    taskNumbers: v.pipe(
      v.array(v.pipe(v.number(), v.integer(), v.minValue(1))),
      v.minLength(1, 'at least one task'),
      v.maxLength(CAMPAIGN_LIMITS.tasks),
    ),
    /** Participating departments; their supervisors read the campaign's records. */
    departments: v.pipe(
      v.array(Name(100, 'department name is required')),
      v.minLength(1, 'at least one department'),
      v.maxLength(CAMPAIGN_LIMITS.departments),
    ),
    /** The inspectors who may check in under the campaign, and read its records. */
    inspectorIds: v.pipe(v.array(IdSchema), v.maxLength(CAMPAIGN_LIMITS.inspectors)),
    startDate: DateSchema,
    endDate: DateSchema,
    venues: v.pipe(v.array(Name(CAMPAIGN_LIMITS.venue, 'venue is required')), v.maxLength(CAMPAIGN_LIMITS.venues)),
    /** The department that runs it; a supervisor may only name their own. Defaults to theirs. */
    ownerDepartment: v.optional(Name(100, 'department name is required')),
    /**
     * The province or the city it is run in (src/kernel/regions.ts; checked by the server, 400 `invalid_region`).
     * Absent: as it was (an edit from a phone that knows no regions), else the province.
     */
    region: v.optional(v.pipe(v.string(), v.maxLength(32))),
    /**
     * Inspections under the campaign need two inspectors holding valid certificates: the phone will not let
     * an inspection record be signed without them; the server keeps such a record anyway, flagged.
     */
    requireTwoCertified: v.optional(v.boolean(), false),
    /** On an edit: the version the editor started from, so a colleague's change in between is not overwritten. */
    version: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1))),
  }),
  v.check((c) => c.startDate <= c.endDate, 'startDate must not be after endDate'),
)
export type CampaignInput = v.InferOutput<typeof CampaignInputSchema>

export interface Campaign {
  id: string
  name: string
  description: string
  taskNumbers: number[]
  departments: string[]
  inspectorIds: string[]
  startDate: string
  endDate: string
  venues: string[]
  ownerDepartment: string
  /** The province or a city (src/kernel/regions.ts); absent in campaigns a phone kept before regions: provincial. */
  region?: string
  /** Absent on campaigns stored before the setting: false. */
  requireTwoCertified?: boolean
  createdBy: string
  /** Goes up by one with every edit. */
  version: number
  createdAt: string
  updatedAt: string
}

export interface Count<K extends string = string> {
  key: K
  count: number
}

/** Where a record stands in its creating client's hash chain, as the server found it. */
export type ChainStatus = 'linked' | 'first' | 'gap' | 'broken' | 'unchained'

/** What the server found of a check-in (issue 11); flagged, never refused. */
export interface ReportFlags {
  signature: SignatureStatus
  chain: ChainStatus
  /** The phone's clock minus the server's when the record was pushed; null when the phone sent no time. */
  clockSkewMs: number | null
  certifiedCount: number | null
  twoCertified: 'ok' | 'missing' | 'not_required' | null
}

/** A check-in as a report shows it: the record, its author's name and department. */
export interface ReportCheckIn extends CheckIn {
  authorName: string
  department: string
  /** Absent from servers before issue 11. */
  flags?: ReportFlags
  /** The latest signed inspection record (现场检查笔录) of the check-in. */
  inspection?: { id: string; signedAt: string; partyRefused: boolean } | null
  /** The latest review. */
  review?: Review | null
}

export interface ReportFilter {
  day?: string
  venueType?: VenueType
  outcome?: Outcome
  inspector?: string
}

export interface CampaignReport {
  campaign: Campaign
  /** Everyone the campaign names or whose check-ins it holds. */
  people: PersonRef[]
  filter: ReportFilter
  /** Check-ins in the campaign (corrected ones counted once, as corrected), before the filter. */
  total: number
  /** After the filter; what every breakdown and the list below count. */
  matched: number
  byDay: Count[]
  byVenueType: Count<VenueType>[]
  byOutcome: Count<Outcome>[]
  byInspector: Count[]
  /** Newest first, at most `limit`; `matched` says how many there are. */
  checkIns: ReportCheckIn[]
}

export interface TaskCoverage {
  taskNumber: number
  checkIns: number
  notes: number
  inspectors: number
  lastAt: string | null
}

export interface CoverageReport {
  /** What was counted: a department's records, a campaign's, or everything (admin). */
  scope: { department?: string; campaignId?: string }
  tasks: TaskCoverage[]
}
