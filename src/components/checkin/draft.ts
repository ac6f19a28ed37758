import { toRaw } from 'vue'
import type { NewPhoto } from '@/db/records'
import { isActive } from '@/kernel/campaign-rules'
import type { Campaign } from '@/kernel/campaign-schema'
import {
  OUTCOMES,
  VENUE_TYPES,
  type CheckIn,
  type GeoLocation,
  type InspectorRef,
  type Outcome,
  type VenueType,
} from '@/kernel/sync-schema'
import { uuidv7 } from '@/kernel/uuid'

/** What the check-in form holds while the inspector types; saved as a draft on every change. */
export interface CheckInDraft {
  id: string
  venueName: string
  venueType: VenueType
  /** As the datetime-local input shows it, in the phone's time zone. */
  occurredAt: string
  location: GeoLocation | null
  /**
   * When this phone took `location` (ms since 1970), to show its age and to improve on it; absent for a
   * location kept from the check-in being corrected, and in drafts kept by earlier versions.
   */
  locatedAt?: number | null
  outcome: Outcome
  /** As typed (`''` is the default, which the form says under the fields); earlier versions kept numbers. */
  premisesInspected: number | string
  itemsSeized: number | string
  note: string
  taskNumbers: number[]
  campaignId: string | null
  photos: NewPhoto[]
  correctionOf: string | null
  /** The inspected party (its register id); absent in drafts kept by earlier versions. */
  partyId?: string | null
  /** The co-inspectors present, as picked (the author is the lead); absent in drafts kept by earlier versions. */
  coInspectors?: InspectorRef[]
}

/** The phone's own clock zone, as an `<input type="datetime-local">` value (`YYYY-MM-DDTHH:MM`). */
export function phoneDateTimeInput(d: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`
}

export function emptyDraft(taskNumbers: number[], now = new Date()): CheckInDraft {
  return {
    id: uuidv7(now.getTime()),
    venueName: '',
    venueType: VENUE_TYPES[0],
    occurredAt: phoneDateTimeInput(now),
    location: null,
    outcome: OUTCOMES[0],
    premisesInspected: '',
    itemsSeized: '',
    note: '',
    taskNumbers,
    campaignId: null,
    photos: [],
    correctionOf: null,
    partyId: null,
    coInspectors: [],
  }
}

/** A new check-in, opened from a task's page with that task, or from a campaign's page under the campaign. */
export function newDraft(
  task: number | undefined,
  campaign?: Pick<Campaign, 'id' | 'taskNumbers'>,
  now = new Date(),
): CheckInDraft {
  const draft = emptyDraft(task === undefined ? [] : [task], now)
  if (!campaign) return draft
  return { ...draft, campaignId: campaign.id, taskNumbers: tasksWithCampaign(draft.taskNumbers, campaign) }
}

/**
 * The campaign a check-in opened from a task's page is most likely under: the one running campaign of the
 * inspector's (those kept on the phone) whose tasks include it. None when there are two or more (the inspector
 * knows which) or none at all (or the campaigns are not on the phone yet).
 */
export function campaignOfTask<C extends Pick<Campaign, 'taskNumbers' | 'startDate' | 'endDate'>>(
  campaigns: readonly C[],
  task: number,
  today: string,
): C | undefined {
  const running = campaigns.filter((c) => isActive(c, today) && c.taskNumbers.includes(task))
  return running.length === 1 ? running[0] : undefined
}

/** A correction starts from the original's content, as a new record that names it. */
export function correctionDraft(original: CheckIn, now = new Date()): CheckInDraft {
  return {
    ...emptyDraft(original.taskNumbers, now),
    venueName: original.venueName,
    venueType: original.venueType,
    occurredAt: phoneDateTimeInput(new Date(original.occurredAt)),
    location: original.location,
    outcome: original.outcome,
    premisesInspected: original.premisesInspected,
    itemsSeized: original.itemsSeized,
    note: original.note,
    campaignId: original.campaignId,
    correctionOf: original.id,
    partyId: original.partyId ?? null,
    coInspectors: (original.coInspectors ?? []).map((c) => ({ ...c })),
  }
}

/** Where the draft is kept: one for a new check-in, one for each check-in being corrected. */
export function draftKey(correcting: string | undefined): string {
  return correcting ? `checkin:correct:${correcting}` : 'checkin:new'
}

/** Choosing a campaign brings its tasks in when none are chosen yet; chosen ones are kept. */
export function tasksWithCampaign(
  taskNumbers: number[],
  campaign: Pick<Campaign, 'taskNumbers'> | undefined,
): number[] {
  return campaign && taskNumbers.length === 0 ? [...campaign.taskNumbers] : taskNumbers
}

/** The tasks with the number the inspector typed added; undefined when there is no such task. */
export function withTypedTask(
  taskNumbers: number[],
  typed: string,
  knownTasks: ReadonlySet<number>,
): number[] | undefined {
  const n = Number(typed)
  if (!Number.isInteger(n) || !knownTasks.has(n)) return undefined
  return taskNumbers.includes(n) ? taskNumbers : [...taskNumbers, n]
}

/** What an empty count field means: one place inspected, nothing seized. */
export const COUNT_DEFAULTS = { premisesInspected: 1, itemsSeized: 0 } as const
/** Counts above these are unusual: saving them asks the inspector to confirm once. */
export const LARGE_COUNTS = { premisesInspected: 100, itemsSeized: 10_000 } as const
export type CountField = keyof typeof COUNT_DEFAULTS
const MAX_COUNT = 1_000_000

/**
 * The count a field holds: its default when empty, a whole number typed in ASCII or full-width digits, NaN
 * for anything else (a sign, a decimal point, letters) or beyond a million.
 */
export function countValue(d: Pick<CheckInDraft, CountField>, field: CountField): number {
  const v = d[field]
  if (typeof v === 'number') return Number.isInteger(v) && v >= 0 && v <= MAX_COUNT ? v : Number.NaN
  const typed = v.trim().replace(/[\uff10-\uff19]/g, (c) => String(c.charCodeAt(0) - 0xff10))
  if (typed === '') return COUNT_DEFAULTS[field]
  if (!/^\d{1,7}$/.test(typed)) return Number.NaN
  const n = Number(typed)
  return n <= MAX_COUNT ? n : Number.NaN
}

/** The counts the inspector is asked to confirm before saving: unusually large ones. */
export function largeCounts(d: Pick<CheckInDraft, CountField>): CountField[] {
  return (Object.keys(LARGE_COUNTS) as CountField[]).filter((f) => countValue(d, f) > LARGE_COUNTS[f])
}

export type DraftProblem = 'venueName' | 'occurredAt' | 'counts' | 'taskNumbers'

/** The problems the inspector must fix, by field; empty when the draft can be saved. */
export function draftProblems(d: CheckInDraft, knownTasks: ReadonlySet<number>): DraftProblem[] {
  const out: DraftProblem[] = []
  if (!d.venueName.trim()) out.push('venueName')
  if (!d.occurredAt || Number.isNaN(new Date(d.occurredAt).getTime())) out.push('occurredAt')
  if (Number.isNaN(countValue(d, 'premisesInspected')) || Number.isNaN(countValue(d, 'itemsSeized'))) out.push('counts')
  if (d.taskNumbers.length === 0 || d.taskNumbers.some((n) => !knownTasks.has(n))) out.push('taskNumbers')
  return out
}

/** A copy without Vue's proxies, which IndexedDB cannot store; photo bytes are kept as they are. */
export function plainDraft(d: CheckInDraft): CheckInDraft {
  return {
    ...d,
    location: d.location ? { ...d.location } : null,
    taskNumbers: [...d.taskNumbers],
    ...(d.coInspectors ? { coInspectors: d.coInspectors.map((c) => ({ ...c })) } : {}),
    photos: d.photos.map((p) => ({
      sha256: p.sha256,
      size: p.size,
      type: p.type,
      ...(p.source ? { source: p.source } : {}),
      bytes: toRaw(p).bytes,
    })),
  }
}

export function draftToCheckIn(d: CheckInDraft, authorId: string, now = new Date()): CheckIn {
  return {
    id: d.id,
    authorId,
    venueName: d.venueName.trim(),
    venueType: d.venueType,
    occurredAt: new Date(d.occurredAt).toISOString(),
    location: d.location,
    outcome: d.outcome,
    premisesInspected: countValue(d, 'premisesInspected'),
    itemsSeized: countValue(d, 'itemsSeized'),
    note: d.note,
    taskNumbers: d.taskNumbers,
    campaignId: d.campaignId,
    photos: d.photos.map(({ sha256, size, type, source }) => ({ sha256, size, type, ...(source ? { source } : {}) })),
    correctionOf: d.correctionOf,
    createdAt: now.toISOString(),
    // Named only when there is one: a check-in without them is what earlier versions made.
    ...(d.coInspectors?.length ? { coInspectors: d.coInspectors.map((c) => ({ ...c })) } : {}),
    ...(d.partyId ? { partyId: d.partyId } : {}),
  }
}
