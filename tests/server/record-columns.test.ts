import { readFileSync } from 'node:fs'
import { gunzipSync, brotliDecompressSync } from 'node:zlib'
import { Kysely } from 'kysely'
import { afterAll, beforeAll, expect, it } from 'vitest'
import type { Campaign, CampaignReport, ReportCheckIn, ReportFilter } from '../../src/kernel/campaign-schema'
import { guangdongDateTime, guangdongDay } from '../../src/kernel/guangdong-time'
import { OUTCOMES, VENUE_TYPES, type CheckIn, type Review } from '../../src/kernel/sync-schema'
import { uuidv7 } from '../../src/kernel/uuid'
import {
  campaignReport,
  coverage,
  csvField,
  flagsOf,
  photoPath,
  type CoverageScope,
} from '../../server/campaigns/report'
import { type Database, type RecordsTable, type Store } from '../../server/db/database'
import { makeCheckIn, makeNote } from '../helpers/records'
import { databaseBefore } from '../helpers/migrated'
import { describeStores, makeServer, signedIn, type StoreKind, type TestServer } from '../helpers/server'

// ---- The reports as they were before migration 0013: every matching record's JSON read in memory. ----
// One change since (migration 0017): a correction hides its original everywhere, not only when both are among the
// same campaign's (report) or the same scope's (coverage) records. `corrected` reads every stored check-in for it.

interface Authored {
  checkIn: CheckIn
  authorId: string | null
}
/** The check-ins a stored, not deleted check-in by their own author corrects, over all of them. */
async function corrected(db: Kysely<Database>, { deletedToo = false } = {}): Promise<Set<string>> {
  const rows = await db
    .selectFrom('records')
    .select(['id', 'data', 'author_id', 'deleted'])
    .where('kind', '=', 'checkin')
    .execute()
  const stored = rows
    .filter((r) => r.deleted === 0)
    .map((r) => ({ checkIn: JSON.parse(r.data!) as CheckIn, authorId: r.author_id }))
  // Deleted originals (`deletedToo`) are flagged as well, though no report lists them.
  const authorOf = new Map((deletedToo ? rows : rows.filter((r) => r.deleted === 0)).map((r) => [r.id, r.author_id]))
  const hidden = new Set<string>()
  for (const { checkIn, authorId } of stored) {
    const original = checkIn.correctionOf
    if (original === null || original === checkIn.id || authorId === null) continue
    if (authorOf.get(original) === authorId) hidden.add(original)
  }
  return hidden
}
function withoutCorrected<T extends CheckIn>(stored: readonly { checkIn: T }[], hidden: ReadonlySet<string>): T[] {
  return stored.map((s) => s.checkIn).filter((c) => !hidden.has(c.id))
}
const matches = (c: CheckIn, f: ReportFilter) =>
  (f.day === undefined || guangdongDay(c.occurredAt) === f.day) &&
  (f.venueType === undefined || c.venueType === f.venueType) &&
  (f.outcome === undefined || c.outcome === f.outcome) &&
  (f.inspector === undefined || c.authorId === f.inspector)
function countBy<K extends string>(items: readonly CheckIn[], key: (c: CheckIn) => K, all: readonly K[] = []) {
  const counts = new Map<K, number>(all.map((k) => [k, 0]))
  for (const c of items) counts.set(key(c), (counts.get(key(c)) ?? 0) + 1)
  return [...counts].map(([k, count]) => ({ key: k, count }))
}
async function oldRows(db: Kysely<Database>, campaign: Campaign, filter: ReportFilter) {
  const rows = await db
    .selectFrom('records')
    .selectAll()
    .where('campaign_id', '=', campaign.id)
    .where('kind', '=', 'checkin')
    .where('deleted', '=', 0)
    .orderBy('version')
    .execute()
  const all = withoutCorrected(
    rows.map((r) => ({
      checkIn: { ...(JSON.parse(r.data!) as CheckIn), department: r.department ?? '', flags: flagsOf(r) },
    })),
    await corrected(db),
  )
  const matched = all.filter((c) => matches(c, filter)).sort((a, b) => b.occurredAt.localeCompare(a.occurredAt))
  const users = await db.selectFrom('users').select(['id', 'display_name']).execute()
  const nameOf = new Map(users.map((u) => [u.id, u.display_name]))
  const reviewRows = await db
    .selectFrom('records')
    .select('data')
    .where('kind', '=', 'review')
    .where('campaign_id', '=', campaign.id)
    .orderBy('version')
    .execute()
  const reviews = new Map(reviewRows.map((r) => JSON.parse(r.data!) as Review).map((r) => [r.checkInId, r]))
  const people = [...new Set([...campaign.inspectorIds, ...all.map((c) => c.authorId)])].filter((id) => nameOf.has(id))
  return {
    all,
    people,
    rows: matched.map((c) => ({
      ...c,
      authorName: nameOf.get(c.authorId) ?? '',
      inspection: null,
      review: reviews.get(c.id) ?? null,
    })) as ReportCheckIn[],
  }
}
async function oldReport(db: Kysely<Database>, campaign: Campaign, filter: ReportFilter, limit: number) {
  const { all, rows, people } = await oldRows(db, campaign, filter)
  return {
    people: people.sort(),
    total: all.length,
    matched: rows.length,
    byDay: countBy(rows, (c) => guangdongDay(c.occurredAt)).sort((a, b) => a.key.localeCompare(b.key)),
    byVenueType: countBy(rows, (c) => c.venueType, VENUE_TYPES),
    byOutcome: countBy(rows, (c) => c.outcome, OUTCOMES),
    byInspector: countBy(rows, (c) => c.authorId).sort((a, b) => b.count - a.count),
    checkIns: rows.slice(0, limit),
  }
}
function oldCoverage(
  taskNumbers: readonly number[],
  records: { kind: string; data: string | null; author_id: string | null }[],
  hidden: ReadonlySet<string>,
) {
  const byTask = new Map(
    taskNumbers.map((n) => [
      n,
      { checkIns: 0, notes: 0, inspectors: new Set<string>(), lastAt: null as string | null },
    ]),
  )
  const checkIns = withoutCorrected(
    records
      .filter((r) => r.kind === 'checkin')
      .map((r): Authored => ({ checkIn: JSON.parse(r.data!) as CheckIn, authorId: r.author_id })),
    hidden,
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
const en = JSON.parse(readFileSync(new URL('../../src/kernel/locales/en.json', import.meta.url), 'utf8')) as {
  venueType: Record<string, string>
  outcome: Record<string, string>
  csv: Record<string, string>
}
const CSV_COLUMNS =
  'id occurredAt day inspector department venueName venueType outcome premisesInspected itemsSeized tasks lat lng accuracy photos photoSha256 photoPaths note correctionOf coInspectors twoCertified review'
function oldCsv(rows: readonly ReportCheckIn[]): string {
  const lines = [
    CSV_COLUMNS.split(' ')
      .map((c) => csvField(en.csv[c] ?? c))
      .join(','),
  ]
  for (const c of rows)
    lines.push(
      [
        c.id,
        guangdongDateTime(c.occurredAt),
        guangdongDay(c.occurredAt),
        c.authorName,
        c.department,
        c.venueName,
        en.venueType[c.venueType] ?? c.venueType,
        en.outcome[c.outcome] ?? c.outcome,
        c.premisesInspected,
        c.itemsSeized,
        c.taskNumbers.join(' '),
        c.location ? Number(c.location.lat.toFixed(6)) : null,
        c.location ? Number(c.location.lng.toFixed(6)) : null,
        c.location ? Math.round(c.location.accuracy) : null,
        c.photos.length,
        c.photos.map((p) => p.sha256).join(' '),
        c.photos.map((p) => photoPath(p.sha256)).join(' '),
        c.note,
        c.correctionOf,
        (c.coInspectors ?? []).map((p) => p.name).join(en.csv.nameSeparator),
        c.flags?.certifiedCount == null ? en.csv.notChecked : c.flags.certifiedCount >= 2 ? en.csv.yes : en.csv.no,
        !c.review ? en.csv.reviewNone : c.review.action === 'reviewed' ? en.csv.reviewApproved : en.csv.reviewReturned,
      ]
        .map(csvField)
        .join(','),
    )
  return `\uFEFF${lines.join('\r\n')}\r\n`
}

// ---- Records as older servers stored them ----

/** A small seeded generator, so a failure can be replayed. */
function random(seed: number) {
  let x = seed >>> 0 || 1
  return () => {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    return (x >>> 0) / 2 ** 32
  }
}

const DEPARTMENTS = ['省知识产权局', '省市场监督管理局']
const USERS = ['u-a', 'u-b', 'u-c', 'u-d'].map((id, i) => ({ id, department: DEPARTMENTS[i % 2]! }))
const CAMPAIGN = {
  id: 'camp-1',
  name: '清源行动',
  inspectorIds: ['u-a', 'u-b', 'u-z'],
} as unknown as Campaign
const TASKS = [1, 2, 3, 4, 5, 6, 7, 8]
/** A city some records are written in, after migration 0016. */
const CITY = 'shenzhen'

type Row = Omit<RecordsTable, 'occurred_at' | 'venue_type' | 'outcome' | 'correction_of' | 'plan_id' | 'written_by'>

/**
 * Check-ins (in two campaigns and none; corrections by their author, by someone else, of themselves and across
 * campaigns; times either side of Guangdong's midnight and equal ones), notes (one deleted), reviews, and a
 * check-in from before accounts (no author_id).
 */
function oldRecords(seed: number, { regions = false } = {}): Row[] {
  const rnd = random(seed)
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!
  const rows: Row[] = []
  let version = 0
  const row = (kind: string, data: object | null, o: Partial<Row>): Row => ({
    // Stored after migration 0016: its region, and a check-in's day as the push writes it.
    ...(regions ? { region: 'province' } : {}),
    ...(regions && kind === 'checkin' && data !== null
      ? { occurred_day: guangdongDay((data as CheckIn).occurredAt) }
      : {}),
    id: (data as { id?: string } | null)?.id ?? uuidv7(),
    kind,
    version: ++version,
    client_id: 'phone',
    task_number: null,
    data: data === null ? null : JSON.stringify(data),
    hash: data === null ? null : 'h',
    deleted: data === null ? 1 : 0,
    conflict_of: null,
    author_id: null,
    department: null,
    campaign_id: null,
    signature_status: 'unsigned',
    signature: null,
    created_at: '2026-11-20T00:00:00.000Z',
    updated_at: '2026-11-20T00:00:00.000Z',
    party_id: null,
    chain_client: null,
    chain_seq: null,
    chain_status: 'unchained',
    clock_skew_ms: null,
    certified_count: null,
    two_certified: null,
    check_in_id: null,
    ...o,
  })
  const checkIns: { c: CheckIn; campaign: string | null }[] = []
  for (let i = 0; i < 160; i++) {
    const user = pick(USERS)
    const campaign = pick(['camp-1', 'camp-1', 'camp-1', 'camp-2', null])
    // Around 16:00 UTC, which is midnight in Guangdong; some times exactly equal.
    const at = new Date(
      Date.UTC(2026, 10, 20 + Math.floor(rnd() * 3), 14 + Math.floor(rnd() * 4), pick([0, 0, 30, 59])),
    )
    const earlier = checkIns.filter((x) => rnd() < 0.3 && x.campaign === campaign)
    const correctionOf =
      rnd() < 0.25 && earlier.length > 0
        ? pick(earlier).c.id
        : rnd() < 0.03 && checkIns.length > 0
          ? pick(checkIns).c.id
          : null
    const c = makeCheckIn({
      authorId: user.id,
      occurredAt: at.toISOString(),
      venueType: pick(VENUE_TYPES),
      outcome: pick(OUTCOMES),
      taskNumbers: [pick(TASKS), pick(TASKS), pick([...TASKS, 99])],
      campaignId: campaign,
      correctionOf,
    })
    checkIns.push({ c, campaign })
    rows.push(
      // One deleted (nothing the push does to a check-in, but a deleted record counts nowhere).
      row('checkin', i === 11 ? null : c, {
        task_number: c.taskNumbers[0]!,
        // From before accounts: no author_id, and no department either (migration 0003 added both, filled by pushes).
        author_id: i === 7 ? null : user.id,
        department: i === 7 ? null : user.department,
        campaign_id: campaign,
        // Each inspector's two phones.
        client_id: `phone-${user.id}-${i % 2}`,
        // Stored after migration 0016: some in a city.
        ...(regions ? { region: i % 3 === 0 ? CITY : 'province' } : {}),
      }),
    )
  }
  const self = makeCheckIn({ authorId: 'u-a', campaignId: 'camp-1' })
  rows.push(
    row(
      'checkin',
      { ...self, correctionOf: self.id },
      { author_id: 'u-a', department: DEPARTMENTS[0]!, campaign_id: 'camp-1' },
    ),
  )
  for (let i = 0; i < 30; i++) {
    const user = pick(USERS)
    const note = makeNote({
      authorId: user.id,
      taskNumber: pick(TASKS),
      updatedAt: new Date(Date.UTC(2026, 10, 20, Math.floor(rnd() * 72))).toISOString(),
    })
    rows.push(
      row('note', i === 3 ? null : note, {
        task_number: note.taskNumber,
        author_id: user.id,
        department: user.department,
        client_id: `phone-${user.id}-${i % 2}`,
        ...(regions ? { region: i % 4 === 0 ? CITY : 'province' } : {}),
      }),
    )
  }
  for (const { c } of checkIns.filter((x) => x.campaign === 'camp-1' && rnd() < 0.3)) {
    for (const action of ['returned', 'reviewed'] as const) {
      if (rnd() < 0.5) continue
      const review: Review = {
        id: uuidv7(),
        checkInId: c.id,
        action,
        comment: action,
        reviewerId: 'u-s',
        reviewerName: '审核人',
        at: '2026-11-23T00:00:00.000Z',
      }
      rows.push(row('review', review, { campaign_id: 'camp-1', check_in_id: c.id, author_id: 'u-s' }))
    }
  }
  return rows
}

const FILTERS = (rows: readonly Row[]): ReportFilter[] => [
  {},
  { day: '2026-11-21' },
  { venueType: 'market' },
  { outcome: 'suspected' },
  { inspector: 'u-b' },
  { day: '2026-11-22', outcome: 'no_problem' },
  { day: guangdongDay(JSON.parse(rows[0]!.data!).occurredAt as string), venueType: 'other' },
]

/** The new report, without what both sides read the same way (the campaign, the filter, people's details). */
async function newReport(db: Kysely<Database>, filter: ReportFilter, limit: number) {
  const r: CampaignReport = await campaignReport(db, CAMPAIGN, filter, limit)
  return {
    people: r.people.map((p) => p.id).sort(),
    total: r.total,
    matched: r.matched,
    byDay: r.byDay,
    byVenueType: r.byVenueType,
    byOutcome: r.byOutcome,
    byInspector: r.byInspector,
    checkIns: r.checkIns,
  }
}

async function expectSameAnswers(store: Store, rows: readonly Row[]) {
  const db = store.db
  for (const filter of FILTERS(rows)) {
    for (const limit of [0, 7, 5000])
      expect(await newReport(db, filter, limit)).toEqual(await oldReport(db, CAMPAIGN, filter, limit))
  }
  // Each scope as the old code selected its records (a city supervisor's through readableRecords), and as kept.
  type Scoped = ReturnType<typeof scopedQuery>
  const scopes: [(q: Scoped) => Scoped, CoverageScope][] = [
    [(q) => q, {}],
    [(q) => q.where('campaign_id', '=', 'camp-1'), { campaignId: 'camp-1' }],
    [(q) => q.where('campaign_id', '=', 'camp-2'), { campaignId: 'camp-2' }],
    [(q) => q.where('department', '=', DEPARTMENTS[1]!), { department: DEPARTMENTS[1]! }],
    [
      (q) =>
        q
          .where('department', '=', DEPARTMENTS[0]!)
          .where((eb) => eb.or([eb('region', '=', CITY), eb('author_id', '=', 'u-a')])),
      { department: DEPARTMENTS[0]!, region: CITY, orWrittenBy: 'u-a' },
    ],
  ]
  const scopedQuery = () =>
    db
      .selectFrom('records')
      .select(['id', 'kind', 'author_id', 'written_by', 'occurred_at', 'correction_of', 'data'])
      .where('deleted', '=', 0)
      .where('kind', 'in', ['checkin', 'note'])
  const hidden = await corrected(db)
  for (const [scope, kept] of scopes) {
    const old = oldCoverage(TASKS, await scope(scopedQuery()).execute(), hidden)
    expect(await coverage(db, TASKS, kept), JSON.stringify(kept)).toEqual(old)
  }
  await expectExactSummaries(db)
}

/**
 * The flag and both summary tables hold exactly what counting the records now gives: no group missing, off by
 * one, or keeping a latest time whose record no longer counts.
 */
async function expectExactSummaries(db: Kysely<Database>) {
  const hidden = await corrected(db)
  const flagged = await db.selectFrom('records').select('id').where('superseded', '=', 1).execute()
  expect(new Set(flagged.map((r) => r.id))).toEqual(await corrected(db, { deletedToo: true }))
  const standing = await db
    .selectFrom('records')
    .selectAll()
    .where('deleted', '=', 0)
    .where('kind', 'in', ['checkin', 'note'])
    .execute()
  const tasks = await db.selectFrom('record_tasks').selectAll().execute()
  const byCampaign = new Map<string, { check_ins: number; last_at: string | null }>()
  const byTask = new Map<string, { check_ins: number; notes: number; last_at: string | null }>()
  const latest = (a: string | null, b: string | null | undefined) => (a === null || (b != null && b > a) ? (b ?? a) : a)
  for (const r of standing) {
    if (r.kind === 'checkin' && hidden.has(r.id)) continue
    const author = r.written_by ?? ''
    if (r.kind === 'checkin' && r.campaign_id !== null) {
      const key = `${r.campaign_id}|${author}|${r.client_id}`
      const g = byCampaign.get(key) ?? { check_ins: 0, last_at: null }
      byCampaign.set(key, { check_ins: g.check_ins + 1, last_at: latest(g.last_at, r.occurred_at) })
    }
    for (const t of tasks.filter((x) => x.record_id === r.id)) {
      const key = [t.task_number, author, r.department ?? '', r.region, r.campaign_id ?? '', r.client_id].join('|')
      const g = byTask.get(key) ?? { check_ins: 0, notes: 0, last_at: null }
      byTask.set(key, {
        check_ins: g.check_ins + (r.kind === 'checkin' ? 1 : 0),
        notes: g.notes + (r.kind === 'note' ? 1 : 0),
        last_at: latest(g.last_at, r.occurred_at),
      })
    }
  }
  const keptCampaigns = await db.selectFrom('campaign_authors').selectAll().where('check_ins', '>', 0).execute()
  expect(
    new Map(
      keptCampaigns.map((g) => [
        `${g.campaign_id}|${g.written_by}|${g.client_id}`,
        { check_ins: g.check_ins, last_at: g.last_at },
      ]),
    ),
  ).toEqual(byCampaign)
  const keptTasks = await db
    .selectFrom('task_authors')
    .selectAll()
    .where((eb) => eb.or([eb('check_ins', '>', 0), eb('notes', '>', 0)]))
    .execute()
  expect(
    new Map(
      keptTasks.map((g) => [
        [g.task_number, g.written_by, g.department, g.region, g.campaign_id, g.client_id].join('|'),
        { check_ins: g.check_ins, notes: g.notes, last_at: g.last_at },
      ]),
    ),
  ).toEqual(byTask)
  // Groups that fell to nothing keep no latest time.
  const empty = await db
    .selectFrom('task_authors')
    .select('last_at')
    .where('check_ins', '=', 0)
    .where('notes', '=', 0)
    .execute()
  expect(empty.every((g) => g.last_at === null)).toBe(true)
}

/** A check-in row written after the migrations, as the push writes it (with its day). */
function laterRow(base: Row, c: CheckIn, o: Partial<Row> & { version: number }) {
  return {
    ...base,
    id: c.id,
    data: JSON.stringify(c),
    hash: 'h',
    deleted: 0,
    author_id: c.authorId,
    campaign_id: c.campaignId,
    occurred_day: guangdongDay(c.occurredAt),
    region: 'province',
    ...o,
  }
}

/**
 * Two notes of one group saved again in one statement, as the push writes a batch (an upsert of many rows): the
 * first held the group's latest time, the second moves to another task with a later one. PostgreSQL runs each
 * row's triggers at the statement's end: the first's must not read the second's new time into the group it
 * leaves (its task numbers not yet rewritten; migration 0018).
 */
async function notesSavedTogether(db: Kysely<Database>, base: Row) {
  const group = [0, 1, 2].map((h) =>
    makeNote({ authorId: 'u-d', taskNumber: 6, updatedAt: `2026-12-01T0${h}:00:00.000Z` }),
  )
  const noteRow = (n: ReturnType<typeof makeNote>, version: number) => ({
    ...base,
    id: n.id,
    kind: 'note',
    data: JSON.stringify(n),
    hash: 'h',
    deleted: 0,
    author_id: 'u-d',
    department: DEPARTMENTS[1]!,
    campaign_id: null,
    client_id: 'phone-u-d-0',
    occurred_day: null,
    region: 'province',
    version,
  })
  await db
    .insertInto('records')
    .values(group.map((n, i) => noteRow(n, 9003 + i)))
    .execute()
  const [, middle, newest] = group
  await db
    .insertInto('records')
    .values([
      noteRow({ ...newest!, updatedAt: '2026-12-01T00:30:00.000Z' }, 9006),
      noteRow({ ...middle!, taskNumber: 7, updatedAt: '2026-12-02T00:00:00.000Z' }, 9007),
    ])
    .onConflict((oc) =>
      oc.column('id').doUpdateSet((eb) => ({ version: eb.ref('excluded.version'), data: eb.ref('excluded.data') })),
    )
    .execute()
}

/**
 * Writes after the migrations, each followed by the same answers as the old code's: the database's triggers keep
 * the columns, the flag and the counts. A new check-in; a note saved again under another task, from another phone; a note deleted;
 * two notes saved again in one statement;
 * corrections stored before their originals (alone and in one statement with them, in another campaign and
 * city); a correction by someone else; a correction deleted (its original stands again); the latest check-in of
 * an author deleted (their latest time read again).
 */
async function laterWrites(store: Store, rows: readonly Row[]) {
  const db = store.db
  const later = makeCheckIn({
    authorId: 'u-c',
    campaignId: 'camp-1',
    occurredAt: '2026-11-22T23:59:00.000Z',
    taskNumbers: [2, 2, 5],
  })
  await db
    .insertInto('records')
    .values(laterRow(rows[0]!, later, { version: 9000, department: DEPARTMENTS[0]!, region: CITY }))
    .execute()
  const notes = rows.filter((r) => r.kind === 'note' && r.data !== null)
  const moved = { ...(JSON.parse(notes[0]!.data!) as object), taskNumber: 8, updatedAt: '2026-11-30T00:00:00.000Z' }
  await db
    .updateTable('records')
    .set({ data: JSON.stringify(moved), version: 9001, client_id: 'another-phone' })
    .where('id', '=', notes[0]!.id)
    .execute()
  await db
    .updateTable('records')
    .set({ data: null, hash: null, deleted: 1, version: 9002 })
    .where('id', '=', notes[1]!.id)
    .execute()
  expect(
    await db.selectFrom('record_tasks').select('task_number').where('record_id', '=', notes[1]!.id).execute(),
  ).toEqual([])
  await expectSameAnswers(store, rows)

  await notesSavedTogether(db, rows[0]!)
  await expectSameAnswers(store, rows)

  // Corrections first, their originals after: the originals are stored superseded.
  const original = makeCheckIn({
    authorId: 'u-b',
    campaignId: 'camp-1',
    occurredAt: '2026-11-23T10:00:00.000Z',
    taskNumbers: [3, 4],
  })
  const correction = makeCheckIn({
    authorId: 'u-b',
    campaignId: 'camp-2',
    occurredAt: '2026-11-23T11:00:00.000Z',
    taskNumbers: [4],
    correctionOf: original.id,
  })
  const b = { department: DEPARTMENTS[1]! }
  await db
    .insertInto('records')
    .values(laterRow(rows[0]!, correction, { version: 9010, ...b }))
    .execute()
  await db
    .insertInto('records')
    .values(laterRow(rows[0]!, original, { version: 9011, ...b }))
    .execute()
  const original2 = makeCheckIn({ authorId: 'u-a', campaignId: 'camp-1', occurredAt: '2026-11-23T12:00:00.000Z' })
  const correction2 = makeCheckIn({
    authorId: 'u-a',
    campaignId: 'camp-1',
    occurredAt: '2026-11-23T12:30:00.000Z',
    correctionOf: original2.id,
  })
  const other = makeCheckIn({
    authorId: 'u-c',
    campaignId: 'camp-1',
    occurredAt: '2026-11-23T13:00:00.000Z',
    correctionOf: original2.id,
  })
  const a = { department: DEPARTMENTS[0]!, region: CITY }
  await db
    .insertInto('records')
    .values([
      laterRow(rows[0]!, correction2, { version: 9012, ...a }),
      laterRow(rows[0]!, original2, { version: 9013, ...a }),
      laterRow(rows[0]!, other, { version: 9014, department: DEPARTMENTS[0]! }),
    ])
    .execute()
  const flag = async (id: string) =>
    (await db.selectFrom('records').select('superseded').where('id', '=', id).executeTakeFirstOrThrow()).superseded
  expect([await flag(original.id), await flag(original2.id), await flag(other.id)]).toEqual([1, 1, 0])
  await expectSameAnswers(store, rows)

  // A correction deleted: its original stands again. The latest check-in of an author in camp-1 deleted.
  await db
    .updateTable('records')
    .set({ data: null, hash: null, deleted: 1, version: 9020 })
    .where('id', '=', correction.id)
    .execute()
  expect(await flag(original.id)).toBe(0)
  const latest = await db
    .selectFrom('records')
    .select('id')
    .where('campaign_id', '=', 'camp-1')
    .where('kind', '=', 'checkin')
    .where('deleted', '=', 0)
    .where('written_by', '=', 'u-d')
    .orderBy('occurred_at', 'desc')
    .executeTakeFirst()
  if (latest)
    await db
      .updateTable('records')
      .set({ data: null, hash: null, deleted: 1, version: 9021 })
      .where('id', '=', latest.id)
      .execute()
  await expectSameAnswers(store, rows)
}

describeStores('records’ report columns (migrations 0013 and 0017), on %s', (kind: StoreKind) => {
  const seed = Number(process.env.REPORT_SEED ?? Date.now() % 100_000)
  const opened: { store: Store; drop: () => Promise<void> }[] = []

  afterAll(async () => {
    for (const o of opened) {
      await o.store.close()
      await o.drop()
    }
  })

  // From before 0013 (columns, flag and counts filled by the migrations), and from 0016 (rows written by 0013's
  // triggers, their flag and counts filled by 0017 and kept by its triggers after).
  for (const [label, from] of [
    ['0013', '0012_party_initials'],
    ['0017', '0016_regions'],
  ] as const)
    it(`fills what records stored before migration ${label} need, and the reports answer as they did (seed ${seed})`, async () => {
      const earlier = databaseBefore(kind, label)
      const raw = await earlier.migratedTo<Database>(from)
      const rows = oldRecords(seed, { regions: from === '0016_regions' })
      try {
        for (let i = 0; i < rows.length; i += 50)
          await raw
            .insertInto('records')
            .values(rows.slice(i, i + 50))
            .execute()
        await raw
          .insertInto('users')
          .values(
            USERS.map((u) => ({
              id: u.id,
              username: u.id,
              display_name: `名字 ${u.id}`,
              department: u.department,
              role: 'inspector' as const,
              password_hash: 'x',
              disabled: 0,
              created_at: '2026-11-01T00:00:00.000Z',
              certificate_number: null,
              certificate_expiry: null,
            })),
          )
          .execute()
      } finally {
        await raw.destroy()
      }
      const store = await earlier.open()
      opened.push({ store, drop: earlier.drop })
      const day = await store.db
        .selectFrom('records')
        .select(['data', 'occurred_day'])
        .where('kind', '=', 'checkin')
        .where('deleted', '=', 0)
        .execute()
      for (const r of day) expect(r.occurred_day).toBe(guangdongDay((JSON.parse(r.data!) as CheckIn).occurredAt))
      await expectSameAnswers(store, rows)
      await laterWrites(store, rows)
    })

  it(`mends the latest times migration 0017's triggers kept wrong (seed ${seed})`, async () => {
    const earlier = databaseBefore(kind, '0018')
    const raw = await earlier.migratedTo<Database>('0017_report_summaries')
    const rows = oldRecords(seed, { regions: true })
    try {
      for (let i = 0; i < rows.length; i += 50)
        await raw
          .insertInto('records')
          .values(rows.slice(i, i + 50))
          .execute()
      await notesSavedTogether(raw, rows[0]!)
    } finally {
      await raw.destroy()
    }
    const store = await earlier.open()
    opened.push({ store, drop: earlier.drop })
    await expectExactSummaries(store.db)
  })
})

describeStores('the campaign CSV, streamed, on %s', (kind: StoreKind) => {
  let s: TestServer
  let supervisor: { cookie: string }
  let campaignId: string
  const COUNT = 1203

  beforeAll(async () => {
    s = await makeServer(kind)
    supervisor = await signedIn(s, 'supervisor', '省知识产权局')
    const a = await signedIn(s, 'inspector', '省知识产权局')
    const mate = await signedIn(s, 'inspector', '省知识产权局')
    const res = await s.app.inject({
      method: 'POST',
      url: '/api/campaigns',
      headers: { cookie: supervisor.cookie },
      payload: {
        name: '清源行动',
        description: '',
        taskNumbers: [37],
        departments: ['省知识产权局'],
        inspectorIds: [a.user.id, mate.user.id],
        startDate: '2026-11-01',
        endDate: '2026-12-31',
        venues: [],
      },
    })
    campaignId = res.json().campaign.id
    // Many at the same moment, so pages (500 rows) break among equal times.
    const checkIns = Array.from({ length: COUNT }, (_, i) =>
      makeCheckIn({
        authorId: a.user.id,
        campaignId,
        taskNumbers: [37],
        occurredAt: new Date(Date.UTC(2026, 10, 20, 16, i % 400 < 300 ? 0 : i % 97)).toISOString(),
        venueName: i % 50 === 0 ? `=HYPERLINK("x"),"${i}"` : `档口 ${i}`,
        location: { lat: 23.10349038286209 + i / 1e7, lng: 113.3614, accuracy: 12 },
        ...(i % 7 === 0
          ? { coInspectors: [{ userId: mate.user.id, name: `同行 ${i}`, certificateNumber: null }] }
          : {}),
      }),
    )
    for (let i = 0; i < COUNT; i += 200) {
      const pushed = await s.app.inject({
        method: 'POST',
        url: '/api/sync/push',
        headers: { cookie: a.cookie },
        payload: {
          clientId: `phone-${a.user.id}`,
          mutations: checkIns.slice(i, i + 200).map((args, j) => ({ seq: i + j + 1, name: 'checkin.create', args })),
        },
      })
      expect(pushed.statusCode).toBe(200)
    }
    // Reviews on check-ins of different pages of the stream: each page reads its own.
    for (const [i, action] of [
      [0, 'reviewed'],
      [700, 'returned'],
      [COUNT - 1, 'reviewed'],
    ] as const) {
      const res = await s.app.inject({
        method: 'POST',
        url: `/api/checkins/${checkIns[i]!.id}/review`,
        headers: { cookie: supervisor.cookie },
        payload: { action, comment: action === 'returned' ? '请补拍照片。' : '' },
      })
      expect(res.statusCode, res.body).toBe(200)
    }
  }, 120_000)
  afterAll(() => s?.close())

  it('streams every check-in once, in the order and bytes of the report, compressed or not', async () => {
    const report = await s.app.inject({
      url: `/api/campaigns/${campaignId}/report?limit=5000`,
      headers: { cookie: supervisor.cookie },
    })
    const rows = report.json().checkIns as ReportCheckIn[]
    expect(rows).toHaveLength(COUNT)
    const expected = oldCsv(rows)
    // The three reviewed check-ins, on different pages, say so.
    expect(expected.match(/,(Approved|Returned)\r\n/g)).toHaveLength(3)
    const plain = await s.app.inject({
      url: `/api/campaigns/${campaignId}/checkins.csv?lang=en`,
      headers: { cookie: supervisor.cookie },
    })
    expect(plain.statusCode).toBe(200)
    expect(plain.headers['content-type']).toBe('text/csv; charset=utf-8')
    // Streamed: no length known ahead.
    expect(plain.headers['content-length']).toBeUndefined()
    expect(plain.body).toBe(expected)
    for (const [coding, decode] of [
      ['gzip', gunzipSync],
      ['br', brotliDecompressSync],
    ] as const) {
      const res = await s.app.inject({
        url: `/api/campaigns/${campaignId}/checkins.csv?lang=en`,
        headers: { cookie: supervisor.cookie, 'accept-encoding': coding },
      })
      expect(res.headers['content-encoding']).toBe(coding)
      expect(res.headers.vary).toMatch(/Accept-Encoding/)
      expect(decode(res.rawPayload).toString('utf8')).toBe(expected)
    }
    const filtered = await s.app.inject({
      url: `/api/campaigns/${campaignId}/checkins.csv?lang=en&day=2026-11-21&venueType=trade_fair`,
      headers: { cookie: supervisor.cookie },
    })
    expect(filtered.body).toBe(
      oldCsv(rows.filter((c) => guangdongDay(c.occurredAt) === '2026-11-21' && c.venueType === 'trade_fair')),
    )
  }, 60_000)
})
