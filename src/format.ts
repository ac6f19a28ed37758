/** The one place that turns numbers and times into text for the UI. */
export function formatBytes(bytes: number | undefined, locale: string): string {
  if (bytes === undefined) return '—'
  const units = ['B', 'KB', 'MB', 'GB']
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return `${new Intl.NumberFormat(locale, { maximumFractionDigits: unit ? 1 : 0 }).format(value)} ${units[unit]}`
}

const dateTimeFormats = new Map<string, Intl.DateTimeFormat>()

export function formatDateTime(ms: number | undefined, locale: string): string {
  if (ms === undefined) return '—'
  // Made once per language: a list of records formats dozens of times each time it changes.
  let format = dateTimeFormats.get(locale)
  if (!format)
    dateTimeFormats.set(locale, (format = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' })))
  return format.format(ms)
}

export function formatDate(isoDate: string, locale: string): string {
  return new Intl.DateTimeFormat(locale, { dateStyle: 'long', timeZone: 'UTC' }).format(
    new Date(`${isoDate}T00:00:00Z`),
  )
}

/** "3 hours", "2 days": how long something has been waiting. */
export function formatDuration(ms: number, locale: string): string {
  const minutes = Math.max(0, Math.round(ms / 60_000))
  const [value, unit]: [number, Intl.RelativeTimeFormatUnit] =
    minutes < 60
      ? [minutes, 'minute']
      : minutes < 48 * 60
        ? [Math.round(minutes / 60), 'hour']
        : [Math.round(minutes / 1440), 'day']
  return new Intl.NumberFormat(locale, { style: 'unit', unit, unitDisplay: 'long' }).format(value)
}

export function formatTime(ms: number, locale: string): string {
  const sameDay = new Date(ms).toDateString() === new Date().toDateString()
  return new Intl.DateTimeFormat(
    locale,
    sameDay ? { timeStyle: 'short' } : { month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit' },
  ).format(ms)
}
