import type { CheckIn, Inspection, Review } from './sync-schema'

/**
 * How many days of their own synced check-ins an inspector's phone keeps (by when they happened). Older ones
 * stay on the server, listed and opened from there when online; nothing unsent is ever let go.
 */
export const RETENTION_DAYS = 180

const DAY_MS = 86_400_000

/** The moment before which a synced check-in is no longer kept on the phone, as an ISO timestamp. */
export function retentionCutoff(now: number, days: number = RETENTION_DAYS): string {
  return new Date(now - days * DAY_MS).toISOString()
}

/** A check-in as the server holds it, for a phone that does not keep it (GET /api/records/mine, /api/checkins/:id). */
export interface ServerCheckIn {
  id: string
  version: number
  hash: string | null
  data: CheckIn
}

/**
 * What a phone shows beside a check-in it opens from the server, as it would beside one it holds: the latest
 * review (the last in time; at one time the later id), the signed 现场检查笔录 (the last signed), and the
 * check-ins that correct it, oldest first. Only what the user may read.
 */
export interface CheckInRelated {
  review: Review | null
  inspection: { id: string; signedAt: string } | null
  corrections: { id: string; venueName: string; createdAt: string }[]
}

/** An inspection record as the server holds it, for a phone that does not hold it (GET /api/inspections/:id). */
export interface ServerInspection {
  id: string
  version: number
  hash: string | null
  data: Inspection
  /**
   * The inspecting agency: the department its author pushed it from (absent from a server before it). The record
   * itself does not name it, and a phone other than the author's has no other way to know it.
   */
  department?: string | null
}

/** A page of the signed-in user's own check-ins, newest first; `next` asks for the page after it. */
export interface MyCheckInsPage {
  checkIns: ServerCheckIn[]
  /** The query for the next page (`before`, `beforeId`), or null when this was the last. */
  next: { before: string; beforeId: string } | null
}

/** The most check-ins one page of GET /api/records/mine holds, and how many it holds when not told. */
export const MY_RECORDS_PAGE = { max: 200, default: 50 } as const
