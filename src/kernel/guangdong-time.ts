/**
 * Guangdong's time (UTC+8), whatever the zone of the server or of the phone that shows it. Reports count days
 * in it; a phone's own clock zone is a different thing (see `phoneDateTimeInput`).
 */

/** `YYYY-MM-DD HH:MM` in Guangdong's time. */
export function guangdongDateTime(iso: string): string {
  return new Date(Date.parse(iso) + 8 * 3_600_000).toISOString().replace('T', ' ').slice(0, 16)
}

/** The day (`YYYY-MM-DD`) in Guangdong's time. */
export const guangdongDay = (iso: string): string => guangdongDateTime(iso).slice(0, 10)
