import { readFileSync } from 'node:fs'
import { Readable } from 'node:stream'
import { sql, type Kysely } from 'kysely'
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
import {
  OUTCOMES,
  VENUE_TYPES,
  type CheckIn,
  type Inspection,
  type Outcome,
  type Review,
  type VenueType,
} from '../../src/kernel/sync-schema'
import { PERSON_COLUMNS, personOf } from '../auth/accounts'
import { ID_MAX, type Database, type RecordsTable } from '../db/database'
import { blankIsAbsent } from '../http/request'

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

/** A check-in's row, with what a report lists beside its JSON: what is parsed is only the rows a page lists. */
const LISTED_COLUMNS = [
  'r.id',
  'r.version',
  'r.occurred_at',
  'r.data',
  'r.department',
  'r.signature_status',
  'r.chain_status',
  'r.clock_skew_ms',
  'r.certified_count',
  'r.two_certified',
] as const

/**
 * A check-in that stands: not deleted, and not superseded by a correction its own author stored (migration 0017:
 * one naming someone else's check-in, stored before the push refused them, hides nothing). Written out, not as
 * parameters, so that both databases match it to the partial indexes of migration 0017.
 */
const STANDING = sql<boolean>`r.kind = 'checkin' and r.deleted = 0 and r.superseded = 0`

/**
 * The campaign's check-ins as they stand: one that a correction supersedes is left out, its correction counts
 * instead. `filter` narrows them as the report's filter does.
 */
function campaignCheckIns(db: Kysely<Database>, campaignId: string, filter: ReportFilter = {}) {
  let q = db.selectFrom('records as r').where('r.campaign_id', '=', campaignId).where(STANDING)
  if (filter.day !== undefined) q = q.where('r.occurred_day', '=', filter.day)
  if (filter.venueType !== undefined) q = q.where('r.venue_type', '=', filter.venueType)
  if (filter.outcome !== undefined) q = q.where('r.outcome', '=', filter.outcome)
  if (filter.inspector !== undefined) q = q.where('r.written_by', '=', filter.inspector)
  return q
}

/** A listed row as the report shows it, its JSON read now. */
function storedCheckIn(r: {
  data: string | null
  department: string | null
  signature_status: string | null
  chain_status: string | null
  clock_skew_ms: number | null
  certified_count: number | null
  two_certified: string | null
}): StoredCheckIn {
  return { ...(JSON.parse(r.data!) as CheckIn), department: r.department ?? '', flags: flagsOf(r) }
}

async function people(db: Kysely<Database>, ids: Iterable<string>): Promise<PersonRef[]> {
  const wanted = [...new Set(ids)]
  if (wanted.length === 0) return []
  const rows = await db.selectFrom('users').select(PERSON_COLUMNS).where('id', 'in', wanted).execute()
  return rows.map(personOf)
}

/**
 * The campaign's check-ins that stand per author ('' for none), with the latest time of each: counted by the
 * database as they are stored (migration 0017, per author and phone), not over the campaign's check-ins now.
 */
async function campaignAuthors(db: Kysely<Database>, campaignId: string) {
  const rows = await db
    .selectFrom('campaign_authors')
    .select([
      'written_by',
      (eb) => eb.fn.sum<number>('check_ins').as('check_ins'),
      (eb) => eb.fn.max('last_at').as('last_at'),
    ])
    .where('campaign_id', '=', campaignId)
    .where('check_ins', '>', 0)
    .groupBy('written_by')
    .execute()
  return rows.map((r) => ({ ...r, check_ins: Number(r.check_ins) }))
}

/** Everyone the campaign names or whose check-ins it holds (before any filter). */
async function campaignPeople(db: Kysely<Database>, campaign: Campaign): Promise<PersonRef[]> {
  const authors = await campaignAuthors(db, campaign.id)
  return people(db, [...campaign.inspectorIds, ...authors.flatMap((a) => (a.written_by === '' ? [] : [a.written_by]))])
}

/** The latest review of each of these check-ins of a campaign, by check-in id. */
async function reviewsOf(db: Kysely<Database>, campaignId: string, ids: readonly string[]) {
  const latest = new Map<string, Review>()
  for (let i = 0; i < ids.length; i += 500) {
    const rows = await db
      .selectFrom('records')
      .select('data')
      .where('kind', '=', 'review')
      .where('campaign_id', '=', campaignId)
      .where('check_in_id', 'in', ids.slice(i, i + 500))
      .orderBy('version')
      .execute()
    for (const r of rows) {
      if (r.data === null) continue
      const review = JSON.parse(r.data) as Review
      latest.set(review.checkInId, review)
    }
  }
  return latest
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

/**
 * Check-ins per inspector, most first; equal counts in order of each one's first appearance in the list (newest
 * first, then oldest version), as the report always broke ties: the later last check-in first, and at the same
 * moment the one stored first. Only inspectors tied on both are looked at row by row.
 */
async function inspectorCounts(
  db: Kysely<Database>,
  campaignId: string,
  filter: ReportFilter,
  unfiltered: Awaited<ReturnType<typeof campaignAuthors>>,
) {
  // Unfiltered: the counts kept per author. Filtered: counted over the matching check-ins.
  const filtered = Object.values(filter).some((f) => f !== undefined)
  const groups = (
    filtered
      ? await campaignCheckIns(db, campaignId, filter)
          .select([
            'r.written_by as key',
            (eb) => eb.fn.countAll<number>().as('count'),
            (eb) => eb.fn.max('r.occurred_at').as('last'),
          ])
          .groupBy('r.written_by')
          .execute()
      : unfiltered.map((a) => ({ key: a.written_by, count: a.check_ins, last: a.last_at }))
  ).map((g) => ({ key: g.key ?? '', count: Number(g.count), last: g.last ?? '', first: 0 }))
  const tie = (a: (typeof groups)[number], b: (typeof groups)[number]) => a.count === b.count && a.last === b.last
  const tied = groups.filter((g) => groups.some((o) => o !== g && tie(g, o)))
  for (const g of tied) {
    const row = await campaignCheckIns(db, campaignId, filter)
      .select((eb) => eb.fn.min('r.version').as('version'))
      .where((eb) => (g.key === '' ? eb('r.written_by', 'is', null) : eb('r.written_by', '=', g.key)))
      .where('r.occurred_at', '=', g.last)
      .executeTakeFirst()
    g.first = Number(row?.version ?? 0)
  }
  const byte = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)
  return groups
    .sort((a, b) => b.count - a.count || byte(b.last, a.last) || a.first - b.first)
    .map(({ key, count }) => ({ key, count }))
}

/**
 * The matched check-ins counted per day, venue type and outcome in one pass: every venue type and outcome (0 when
 * none; the push takes no other), days in order.
 */
async function breakdowns(db: Kysely<Database>, campaignId: string, filter: ReportFilter) {
  const groups = await campaignCheckIns(db, campaignId, filter)
    .select(['r.occurred_day', 'r.venue_type', 'r.outcome', (eb) => eb.fn.countAll<number>().as('count')])
    .groupBy(['r.occurred_day', 'r.venue_type', 'r.outcome'])
    .execute()
  const add = <K extends string>(counts: Map<K, number>, key: K, n: number) =>
    counts.set(key, (counts.get(key) ?? 0) + n)
  const days = new Map<string, number>()
  const venueTypes = new Map<string, number>(VENUE_TYPES.map((k) => [k, 0]))
  const outcomes = new Map<string, number>(OUTCOMES.map((k) => [k, 0]))
  let matched = 0
  for (const g of groups) {
    const n = Number(g.count)
    matched += n
    add(days, g.occurred_day ?? '', n)
    add(venueTypes, g.venue_type ?? '', n)
    add(outcomes, g.outcome ?? '', n)
  }
  const list = <K extends string>(counts: Map<string, number>): Count<K>[] =>
    [...counts].map(([key, count]) => ({ key: key as K, count }))
  return {
    matched,
    byDay: list<string>(days).sort((a, b) => a.key.localeCompare(b.key)),
    byVenueType: list<VenueType>(venueTypes),
    byOutcome: list<Outcome>(outcomes),
  }
}

/** The campaign's matched check-ins, newest first, a page at a time: what the CSV streams. */
export async function* checkInPages(
  db: Kysely<Database>,
  campaign: Campaign,
  filter: ReportFilter,
  pageSize = 500,
): AsyncGenerator<ReportCheckIn[]> {
  const nameOf = new Map((await campaignPeople(db, campaign)).map((p) => [p.id, p.displayName]))
  let after: { at: string; version: number } | undefined
  for (;;) {
    let q = campaignCheckIns(db, campaign.id, filter).select(LISTED_COLUMNS)
    if (after) {
      const { at, version } = after
      // After the last row listed; the bound on the time alone lets the database start there in its index.
      q = q
        .where('r.occurred_at', '<=', at)
        .where((eb) => eb.or([eb('r.occurred_at', '<', at), eb('r.version', '>', version)]))
    }
    const rows = await q.orderBy('r.occurred_at', 'desc').orderBy('r.version').limit(pageSize).execute()
    if (rows.length === 0) return
    const page = rows.map(storedCheckIn)
    const reviews = await reviewsOf(
      db,
      campaign.id,
      page.map((c) => c.id),
    )
    yield page.map((c) => ({
      ...c,
      authorName: nameOf.get(c.authorId) ?? '',
      inspection: null,
      review: reviews.get(c.id) ?? null,
    }))
    if (rows.length < pageSize) return
    const last = rows.at(-1)!
    after = { at: last.occurred_at ?? '', version: last.version }
  }
}

/**
 * A campaign's progress, counted by the database over the check-ins' columns; only the check-ins listed (at most
 * `limit`) are read whole, with their inspection records and reviews.
 */
export async function campaignReport(
  db: Kysely<Database>,
  campaign: Campaign,
  filter: ReportFilter,
  limit: number,
): Promise<CampaignReport> {
  // The campaign's authors and its total, as kept.
  const authors = await campaignAuthors(db, campaign.id)
  const who = await people(db, [
    ...campaign.inspectorIds,
    ...authors.flatMap((a) => (a.written_by === '' ? [] : [a.written_by])),
  ])
  const nameOf = new Map(who.map((p) => [p.id, p.displayName]))
  const counts = await breakdowns(db, campaign.id, filter)
  const byInspector = await inspectorCounts(db, campaign.id, filter, authors)
  const listed =
    limit === 0
      ? []
      : (
          await campaignCheckIns(db, campaign.id, filter)
            .select(LISTED_COLUMNS)
            .orderBy('r.occurred_at', 'desc')
            .orderBy('r.version')
            .limit(limit)
            .execute()
        ).map(storedCheckIn)
  const inspections = await latestInspections(db, listed)
  const reviews = await reviewsOf(
    db,
    campaign.id,
    listed.map((c) => c.id),
  )
  return {
    campaign,
    people: who,
    filter,
    total: authors.reduce((n, a) => n + Number(a.check_ins), 0),
    ...counts,
    byInspector,
    checkIns: listed.map((c) => ({
      ...c,
      authorName: nameOf.get(c.authorId) ?? '',
      inspection: inspections.get(c.id) ?? null,
      review: reviews.get(c.id) ?? null,
    })),
  }
}

/**
 * Whose records task coverage counts: a campaign's; a department's (`region`: only those of a city, and the
 * supervisor's own, `orWrittenBy`, wherever written); with neither, the province's.
 */
export interface CoverageScope {
  campaignId?: string
  department?: string
  region?: string
  orWrittenBy?: string
}

/**
 * Field activity against each of the dataset's tasks over the records of `scope`, from the counts the database
 * keeps per task and author (migration 0017): check-ins as they stand (one superseded by its author's correction
 * is left out, its correction counts instead) and notes.
 */
export async function coverage(
  db: Kysely<Database>,
  taskNumbers: readonly number[],
  scope: CoverageScope,
): Promise<TaskCoverage[]> {
  let groups = db
    .selectFrom('task_authors')
    .select([
      'task_number',
      'written_by',
      (eb) => eb.fn.sum<number>('check_ins').as('check_ins'),
      (eb) => eb.fn.sum<number>('notes').as('notes'),
      (eb) => eb.fn.max('last_at').as('last_at'),
    ])
    .where((eb) => eb.or([eb('check_ins', '>', 0), eb('notes', '>', 0)]))
    .groupBy(['task_number', 'written_by'])
  if (scope.campaignId !== undefined) groups = groups.where('campaign_id', '=', scope.campaignId)
  if (scope.department !== undefined) groups = groups.where('department', '=', scope.department)
  const { region, orWrittenBy } = scope
  if (region !== undefined)
    groups = groups.where((eb) =>
      eb.or([eb('region', '=', region), ...(orWrittenBy === undefined ? [] : [eb('written_by', '=', orWrittenBy)])]),
    )
  // Per task and author first, then per task: inspectors counted as rows (hashed twice), not as count(distinct).
  const rows = await db
    .selectFrom(groups.as('g'))
    .select([
      'g.task_number',
      (eb) => eb.fn.sum<number>('g.check_ins').as('check_ins'),
      (eb) => eb.fn.sum<number>('g.notes').as('notes'),
      (eb) => eb.fn.count<number>(sql`case when g.written_by <> '' then 1 end`).as('inspectors'),
      (eb) => eb.fn.max('g.last_at').as('last_at'),
    ])
    .groupBy('g.task_number')
    .execute()
  const byTask = new Map(rows.map((r) => [Number(r.task_number), r]))
  return taskNumbers.map((taskNumber) => {
    const t = byTask.get(taskNumber)
    return {
      taskNumber,
      checkIns: Number(t?.check_ins ?? 0),
      notes: Number(t?.notes ?? 0),
      inspectors: Number(t?.inspectors ?? 0),
      lastAt: t?.last_at ?? null,
    }
  })
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
/**
 * The locale file as written (imported, a test build would compile its messages). Found relative to this file's
 * URL; the bundled server (scripts/bundle-server.ts) sits at the same depth, so the same path finds it there.
 */
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
  // Added later, at the end, so a sheet or script that reads the columns above by position still reads them.
  'coInspectors',
  'twoCertified',
  'review',
] as const

/** Where the server serves a photo, to whoever may read a check-in that refers to it. */
export const photoPath = (sha256: string) => `/api/photos/${sha256}`

/** A coordinate to 6 decimals (about 0.1 m), as a number: what the phone measured, without float noise. */
const coordinate = (degrees: number | undefined) => (degrees === undefined ? null : Number(degrees.toFixed(6)))

/**
 * Whether two certified inspectors were there, as the server counted them when the record came (flagsOf);
 * "not checked" for a record from before the server counted them.
 */
function twoCertifiedCell(c: ReportCheckIn, m: CsvMessages): string | undefined {
  const n = c.flags?.certifiedCount ?? null
  if (n === null) return m.csv.notChecked
  return n >= 2 ? m.csv.yes : m.csv.no
}

/** The check-in's latest review: approved, returned, or none yet. */
function reviewCell(c: ReportCheckIn, m: CsvMessages): string | undefined {
  if (!c.review) return m.csv.reviewNone
  return c.review.action === 'reviewed' ? m.csv.reviewApproved : m.csv.reviewReturned
}

/** One check-in's line of the CSV, without its line end. */
function csvLine(c: ReportCheckIn, m: CsvMessages): string {
  return [
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
    coordinate(c.location?.lat),
    coordinate(c.location?.lng),
    c.location ? Math.round(c.location.accuracy) : null,
    c.photos.length,
    // Each photo by its hash and where the server serves it, space-separated in the order of the record.
    c.photos.map((p) => p.sha256).join(' '),
    c.photos.map((p) => photoPath(p.sha256)).join(' '),
    c.note,
    c.correctionOf,
    // The co-inspectors by the names the record gave them, in its order.
    (c.coInspectors ?? []).map((p) => p.name).join(m.csv.nameSeparator ?? '、'),
    twoCertifiedCell(c, m),
    reviewCell(c, m),
  ]
    .map(csvField)
    .join(',')
}

/**
 * UTF-8 with a byte-order mark and CRLF line ends: what Excel needs to open Chinese text correctly. Made a page
 * of check-ins at a time, as they are read: the server holds one page, however many the campaign has. The first
 * page is read before the stream is returned (a failure then is the caller's to answer); a stream destroyed early
 * (the client went away) reads no further page.
 */
export async function checkInsCsv(pages: AsyncGenerator<readonly ReportCheckIn[]>, lang: Lang): Promise<Readable> {
  const m = messagesFor(lang)
  const first = await pages.next()
  async function* lines(): AsyncGenerator<string> {
    try {
      yield `\uFEFF${COLUMNS.map((c) => csvField(m.csv[c] ?? c)).join(',')}\r\n`
      let page = first
      while (!page.done) {
        if (page.value.length > 0) yield `${page.value.map((c) => csvLine(c, m)).join('\r\n')}\r\n`
        page = await pages.next()
      }
    } finally {
      await pages.return(undefined)
    }
  }
  // One page made ahead at most (not sixteen, the default for objects): a slow client holds the server to a page.
  return Readable.from(lines(), { highWaterMark: 1 })
}
