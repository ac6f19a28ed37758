/**
 * Inspectors' enforcement certificates (执法证): the number and the expiry date an account carries, and
 * whether a certificate counted at a moment. No validation library here: the phone's first screen may import it.
 */
import { guangdongDay } from './guangdong-time'

/** Certificate numbers are one line of at most this many characters (Guangdong's run to about 20). */
export const CERTIFICATE_NUMBER_MAX = 40

/** What an account says of its holder's certificate; null (or absent) when none is recorded. */
export interface CertificateHolder {
  certificateNumber?: string | null
  /** The last day (YYYY-MM-DD, Guangdong's calendar) the certificate is valid on. */
  certificateExpiry?: string | null
}

/** A calendar day written YYYY-MM-DD that exists (no 2026-02-30). */
export function isCalendarDay(day: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return false
  const t = Date.parse(`${day}T00:00:00Z`)
  return Number.isFinite(t) && new Date(t).toISOString().slice(0, 10) === day
}

/** What is wrong with a certificate number as an admin typed it (trimmed); undefined when it will do. */
export function certificateNumberProblem(number: string): 'empty' | 'too_long' | 'control' | undefined {
  if (!number.trim()) return 'empty'
  if (number.trim().length > CERTIFICATE_NUMBER_MAX) return 'too_long'
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(number)) return 'control'
  return undefined
}

/**
 * Whether the holder's certificate was valid at `isoTime`: they have a number, and its expiry day is not
 * before that moment's day in Guangdong's time (a certificate expiring on the 30th counts all of the 30th,
 * Guangdong time, wherever the phone's clock zone is). No number, no expiry, or an unreadable one: not valid.
 */
export function certificateValidAt(holder: CertificateHolder, isoTime: string): boolean {
  const number = holder.certificateNumber?.trim()
  const expiry = holder.certificateExpiry
  if (!number || !expiry || !isCalendarDay(expiry) || !Number.isFinite(Date.parse(isoTime))) return false
  return expiry >= guangdongDay(isoTime)
}
