import { readFileSync } from 'node:fs'
import type { Kysely } from 'kysely'
import * as v from 'valibot'
import { guangdongDateTime, guangdongDay } from '../../src/kernel/guangdong-time'
import {
  type Campaign,
  type CampaignReport,
  type ChainStatus,
  type Count,
  type ReportCheckIn,
  type ReportFilter,
  type ReportFlags,
  type TaskCoverage,
} from '../../src/kernel/campaign-schema'
import type { SignatureStatus } from '../../src/kernel/signature'
import type { PersonRef } from '../../src/kernel/users'
import { OUTCOMES, VENUE_TYPES, type CheckIn, type Inspection } from '../../src/kernel/sync-schema'
import { PERSON_COLUMNS, personOf } from '../auth/accounts'
import { ID_MAX, type Database, type RecordsTable } from '../db/database'
import { blankIsAbsent } from '../http/request'
import { latestReviews } from '../review/store'

interface StoredCheckIn extends CheckIn {
  department: string
  flags: ReportFlags
}

/** What the server found of a record when it was pushed (server/sync/apply.ts); older rows say less. */
export function flagsOf(
  row: Pick<RecordsTable, 'signature_status' | 'chain_status' | 'clock_skew_ms' | 'certified_count' | 'two_certified'>,
): ReportFlags {
  return {
    signature: (row.signature_status ?? 'unsigned') as SignatureStatus,
    chain: (row.chain_status ?? 'unchained') as ChainStatus,
    clockSkewMs: row.clock_skew_ms === null ? null : Number(row.clock_skew_ms),
    certifiedCount: row.certified_count,
    twoCertified: row.two_certified as ReportFlags['twoCertified'],
  }
}

/**
 * The latest inspection record (by signing time) of each of these check-ins, made by the check-in's own
 * author: what a report shows beside the check-in.
 */
export async function latestInspections(
  db: Kysely<Database>,
  checkIns: readonly Pick<CheckIn, 'id' | 'authorId'>[],
): Promise<Map<string, NonNullable<ReportCheckIn['inspection']>>> {
  const authorOf = new Map(checkIns.map((c) => [c.id, c.authorId]))
  const ids = [...authorOf.keys()]
  const latest = new Map<string, { inspection: Inspection; version: number }>()
  for (let i = 0; i < ids.length; i += 500) {
    const rows = await db
      .selectFrom('records')
      .select(['check_in_id', 'author_id', 'data', 'version'])
      .where('kind', '=', 'inspection')
      .where('deleted', '=', 0)
      .where('check_in_id', 'in', ids.slice(i, i + 500))
      .execute()
    for (const r of rows) {
      if (r.check_in_id === null || r.data === null || authorOf.get(r.check_in_id) !== r.author_id) continue
      const inspection = JSON.parse(r.data) as Inspection
      const seen = latest.get(r.check_in_id)
      const later =
        !seen ||
        inspection.signedAt > seen.inspection.signedAt ||
        (inspection.signedAt === seen.inspection.signedAt && r.version > seen.version)
      if (later) latest.set(r.check_in_id, { inspection, version: r.version })
    }
  }
  return new Map(
    [...latest].map(([id, { inspection }]) => [
      id,
      { id: inspection.id, signedAt: inspection.signedAt, partyRefused: inspection.refusal !== null },
    ]),
  )
}

/** A check-in as stored, with the author the server recorded for it (not what its JSON says). */
interface Authored<T extends CheckIn> {
  checkIn: T
  authorId: string | null
}

/**
 * Check-ins as they stand: one that a later check-in corrects is left out, its correction counts instead. Only
 * a correction by the original's own author counts: one naming someone else's check-in (stored before the
 * push refused them) hides nothing.
 */
function withoutCorrected<T extends CheckIn>(stored: readonly Authored<T>[]): T[] {
  const authorOf = new Map(stored.map((s) => [s.checkIn.id, s.authorId]))
  const corrected = new Set<string>()
  for (const { checkIn, authorId } of stored) {
    const original = checkIn.correctionOf
    if (original === null || original === checkIn.id || authorId === null) continue
    if (authorOf.get(original) === authorId) corrected.add(original)
  }
  return stored.map((s) => s.checkIn).filter((c) => !corrected.has(c.id))
}

/** The campaign's check-ins; a corrected check-in is counted once, as its newest correction says. */
async function campaignCheckIns(db: Kysely<Database>, campaignId: string): Promise<StoredCheckIn[]> {
  const rows = await db
    .selectFrom('records')
    .select([
      'data',
      'department',
      'author_id',
      'signature_status',
      'chain_status',
      'clock_skew_ms',
      'certified_count',
      'two_certified',
    ])
    .where('campaign_id', '=', campaignId)
    .where('kind', '=', 'checkin')
    .where('deleted', '=', 0)
    .orderBy('version')
    .execute()
  return withoutCorrected(
    rows.map((r) => ({
      checkIn: { ...(JSON.parse(r.data!) as CheckIn), department: r.department ?? '', flags: flagsOf(r) },
      authorId: r.author_id,
    })),
  )
}

async function people(db: Kysely<Database>, ids: Iterable<string>): Promise<PersonRef[]> {
  const wanted = [...new Set(ids)]
  if (wanted.length === 0) return []
  const rows = await db.selectFrom('users').select(PERSON_COLUMNS).where('id', 'in', wanted).execute()
  return rows.map(personOf)
}

/** A report's filter as a query string carries it; an empty value filters nothing, as the phone leaves it. */
export const ReportFilterQuery = {
  day: blankIsAbsent(v.pipe(v.string(), v.regex(/^\d{4}-\d{2}-\d{2}$/, 'must be YYYY-MM-DD'))),
  venueType: blankIsAbsent(v.picklist(VENUE_TYPES, `must be one of ${VENUE_TYPES.join(', ')}`)),
  outcome: blankIsAbsent(v.picklist(OUTCOMES, `must be one of ${OUTCOMES.join(', ')}`)),
  inspector: blankIsAbsent(
    v.pipe(
      v.string(),
      v.transform((id) => id.slice(0, ID_MAX)),
    ),
  ),
} satisfies v.ObjectEntries

const matches = (c: CheckIn, f: ReportFilter) =>
  (f.day === undefined || guangdongDay(c.occurredAt) === f.day) &&
  (f.venueType === undefined || c.venueType === f.venueType) &&
  (f.outcome === undefined || c.outcome === f.outcome) &&
  (f.inspector === undefined || c.authorId === f.inspector)

function countBy<K extends string>(
  items: readonly CheckIn[],
  key: (c: CheckIn) => K,
  all: readonly K[] = [],
): Count<K>[] {
  const counts = new Map<K, number>(all.map((k) => [k, 0]))
  for (const c of items) counts.set(key(c), (counts.get(key(c)) ?? 0) + 1)
  return [...counts].map(([k, count]) => ({ key: k, count }))
}

/** The matched check-ins with their authors' names, newest first. */
export async function filteredCheckIns(db: Kysely<Database>, campaign: Campaign, filter: ReportFilter) {
  const all = await campaignCheckIns(db, campaign.id)
  const matched = all.filter((c) => matches(c, filter)).sort((a, b) => b.occurredAt.localeCompare(a.occurredAt))
  const who = await people(db, [...campaign.inspectorIds, ...all.map((c) => c.authorId)])
  const nameOf = new Map(who.map((p) => [p.id, p.displayName]))
  const reviews = await latestReviews(db, campaign.id)
  const inspections = await latestInspections(db, matched)
  const rows: ReportCheckIn[] = matched.map((c) => ({
    ...c,
    authorName: nameOf.get(c.authorId) ?? '',
    inspection: inspections.get(c.id) ?? null,
    review: reviews.get(c.id) ?? null,
  }))
  return { all, rows, people: who }
}

export async function campaignReport(
  db: Kysely<Database>,
  campaign: Campaign,
  filter: ReportFilter,
  limit: number,
): Promise<CampaignReport> {
  const { all, rows, people: who } = await filteredCheckIns(db, campaign, filter)
  return {
    campaign,
    people: who,
    filter,
    total: all.length,
    matched: rows.length,
    byDay: countBy(rows, (c) => guangdongDay(c.occurredAt)).sort((a, b) => a.key.localeCompare(b.key)),
    byVenueType: countBy(rows, (c) => c.venueType, VENUE_TYPES),
    byOutcome: countBy(rows, (c) => c.outcome, OUTCOMES),
    byInspector: countBy(rows, (c) => c.authorId).sort((a, b) => b.count - a.count),
    checkIns: rows.slice(0, limit),
  }
}

/** Field activity against each of the dataset's tasks, over the records a query selects. */
export function coverage(
  taskNumbers: readonly number[],
  records: { kind: string; data: string | null; author_id: string | null }[],
): TaskCoverage[] {
  const byTask = new Map<number, { checkIns: number; notes: number; inspectors: Set<string>; lastAt: string | null }>(
    taskNumbers.map((n) => [n, { checkIns: 0, notes: 0, inspectors: new Set(), lastAt: null }]),
  )
  const checkIns = withoutCorrected(
    records
      .filter((r) => r.kind === 'checkin')
      .map((r) => ({ checkIn: JSON.parse(r.data!) as CheckIn, authorId: r.author_id })),
  )
  for (const c of checkIns) {
    for (const n of new Set(c.taskNumbers)) {
      const t = byTask.get(n)
      if (!t) continue
      t.checkIns++
      t.inspectors.add(c.authorId)
      if (t.lastAt === null || c.occurredAt > t.lastAt) t.lastAt = c.occurredAt
    }
  }
  for (const r of records) {
    if (r.kind !== 'note') continue
    const note = JSON.parse(r.data!) as { taskNumber: number; authorId: string; updatedAt: string }
    const t = byTask.get(note.taskNumber)
    if (!t) continue
    t.notes++
    t.inspectors.add(note.authorId)
    if (t.lastAt === null || note.updatedAt > t.lastAt) t.lastAt = note.updatedAt
  }
  return [...byTask].map(([taskNumber, t]) => ({
    taskNumber,
    checkIns: t.checkIns,
    notes: t.notes,
    inspectors: t.inspectors.size,
    lastAt: t.lastAt,
  }))
}

// ---- CSV ----

const CSV_LANGS = ['zh-CN', 'en'] as const
type Lang = (typeof CSV_LANGS)[number]
interface CsvMessages {
  venueType: Record<string, string>
  outcome: Record<string, string>
  csv: Record<string, string>
}
const messages = new Map<Lang, CsvMessages>()
function messagesFor(lang: Lang): CsvMessages {
  let m = messages.get(lang)
  if (!m) {
    m = JSON.parse(
      readFileSync(new URL(`../../src/kernel/locales/${lang}.json`, import.meta.url), 'utf8'),
    ) as CsvMessages
    messages.set(lang, m)
  }
  return m
}
/** The language of a CSV export: English when asked for, otherwise Chinese, the language of the work plan. */
export const CsvLangQuery = v.fallback(v.picklist(CSV_LANGS), 'zh-CN')

/**
 * One field. Quoted when it holds a comma, quote or line break; a field a spreadsheet would run as a
 * formula (= + - @, tab, carriage return first) gets a leading apostrophe, so an exported venue name can
 * never become a command in the supervisor's Excel. Other control characters are dropped.
 */
export function csvField(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return ''
  if (typeof value === 'number') return String(value)
  // eslint-disable-next-line no-control-regex
  let s = value.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '')
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s
}

const COLUMNS = [
  'id',
  'occurredAt',
  'day',
  'inspector',
  'department',
  'venueName',
  'venueType',
  'outcome',
  'premisesInspected',
  'itemsSeized',
  'tasks',
  'lat',
  'lng',
  'accuracy',
  'photos',
  'photoSha256',
  'photoPaths',
  'note',
  'correctionOf',
] as const

/** Where the server serves a photo, to whoever may read a check-in that refers to it. */
export const photoPath = (sha256: string) => `/api/photos/${sha256}`

/** UTF-8 with a byte-order mark and CRLF line ends: what Excel needs to open Chinese text correctly. */
export function checkInsCsv(rows: readonly ReportCheckIn[], lang: Lang): string {
  const m = messagesFor(lang)
  const lines = [COLUMNS.map((c) => csvField(m.csv[c] ?? c)).join(',')]
  for (const c of rows) {
    lines.push(
      [
        c.id,
        guangdongDateTime(c.occurredAt),
        guangdongDay(c.occurredAt),
        c.authorName,
        c.department,
        c.venueName,
        m.venueType[c.venueType] ?? c.venueType,
        m.outcome[c.outcome] ?? c.outcome,
        c.premisesInspected,
        c.itemsSeized,
        c.taskNumbers.join(' '),
        c.location?.lat ?? null,
        c.location?.lng ?? null,
        c.location ? Math.round(c.location.accuracy) : null,
        c.photos.length,
        // Each photo by its hash and where the server serves it, space-separated in the order of the record.
        c.photos.map((p) => p.sha256).join(' '),
        c.photos.map((p) => photoPath(p.sha256)).join(' '),
        c.note,
        c.correctionOf,
      ]
        .map(csvField)
        .join(','),
    )
  }
  return `\uFEFF${lines.join('\r\n')}\r\n`
}
