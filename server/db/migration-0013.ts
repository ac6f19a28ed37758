import { sql, type Kysely, type Migration } from 'kysely'
import { guangdongDay } from '../../src/kernel/guangdong-time'
import { WORK_PLANS } from '../../src/kernel/sync-schema'
import type { Dialect } from './database'

/** The plan a record's task numbers belong to when it names none: every record so far (sync-schema.ts). */
export const DEFAULT_PLAN = WORK_PLANS[0]

/**
 * Reports, task coverage and people lists read typed, indexed columns instead of every record's JSON.
 *
 * Columns on `records` rather than a side table of facts: they are one to one with the record, and every report
 * already filters on columns of `records` (campaign, department, author, deleted, kind, who may read it), so no
 * query needs a join to reach them. Task numbers, many per check-in, go in a side table, `record_tasks`.
 *
 * The database fills them from `data` itself, by triggers, in the statement that writes the record: the push
 * writes a note saved again as an upsert that names the columns it changes, and a trigger keeps every way a
 * record is written (push, review, anything later) right without each having to know. Only the Guangdong day of
 * a check-in is the push's to write (server/sync/apply.ts): it is the same `guangdongDay` the reports counted by,
 * whatever form of ISO time the phone sent, and a check-in is never rewritten.
 *
 * - `occurred_at`: a check-in's `occurredAt`, a note's `updatedAt` (what task coverage's "last" compares), as sent;
 *   compared as bytes (collation "C" on PostgreSQL), as the reports compared the strings.
 * - `occurred_day`: a check-in's day in Guangdong's time.
 * - `venue_type`, `outcome`, `correction_of`, `plan_id` (null: the 2016 plan): a check-in's.
 * - `written_by`: the `authorId` the JSON names, which reports group people by. Every record pushed since accounts
 *   have `author_id` equal to it; records from before accounts have only this.
 */
export const migration0013 = (dialect: Dialect): Migration => ({
  async up(db: Kysely<unknown>) {
    const text = (n: number) => (dialect === 'postgres' ? sql.raw(`varchar(${n}) collate "C"`) : sql.raw('text'))
    await sql`alter table records add column occurred_at ${text(40)}`.execute(db)
    await sql`alter table records add column occurred_day varchar(10)`.execute(db)
    await sql`alter table records add column venue_type varchar(16)`.execute(db)
    await sql`alter table records add column outcome varchar(16)`.execute(db)
    await sql`alter table records add column correction_of varchar(64)`.execute(db)
    await sql`alter table records add column plan_id varchar(64)`.execute(db)
    await sql`alter table records add column written_by varchar(64)`.execute(db)
    await db.schema
      .createTable('record_tasks')
      .addColumn('record_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('plan_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('task_number', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('record_tasks_pk', ['record_id', 'plan_id', 'task_number'])
      .execute()
    await db.schema
      .createIndex('record_tasks_task')
      .on('record_tasks')
      .columns(['task_number', 'plan_id', 'record_id'])
      .execute()

    await backfill(db as Kysely<Facts>)
    if (dialect === 'postgres') await postgresTriggers(db)
    else await sqliteTriggers(db)

    // What the reports filter, group and order by, each led by the scope a report is asked for.
    const index = (name: string, columns: string[]) =>
      db.schema.createIndex(name).on('records').columns(columns).execute()
    // Newest first, the oldest version first at one moment: the order a report lists and the CSV pages in.
    await index('records_campaign_occurred', ['campaign_id', 'kind', 'occurred_at desc', 'version'])
    await index('records_department_occurred', ['department', 'kind', 'occurred_at'])
    await index('records_campaign_day', ['campaign_id', 'occurred_day'])
    await index('records_correction_of', ['correction_of'])
    await index('records_written_by', ['written_by', 'occurred_at'])
  },
})

/** The tables this migration reads and fills, as they stand then. */
interface Facts {
  records: {
    id: string
    kind: string
    data: string | null
    deleted: number
    occurred_at: string | null
    occurred_day: string | null
    venue_type: string | null
    outcome: string | null
    correction_of: string | null
    plan_id: string | null
    written_by: string | null
  }
  record_tasks: { record_id: string; plan_id: string; task_number: number }
}

interface Stored {
  authorId?: unknown
  occurredAt?: unknown
  updatedAt?: unknown
  venueType?: unknown
  outcome?: unknown
  correctionOf?: unknown
  planId?: unknown
  taskNumbers?: unknown
  taskNumber?: unknown
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null)

/** What the triggers below would have written for a stored record, and its day. */
function factsOf(kind: string, data: string | null) {
  const none = {
    occurred_at: null,
    occurred_day: null,
    venue_type: null,
    outcome: null,
    correction_of: null,
    plan_id: null,
    written_by: null,
  }
  if (data === null || (kind !== 'checkin' && kind !== 'note')) return { columns: none, tasks: [] as number[] }
  const v = JSON.parse(data) as Stored
  const tasks = (kind === 'checkin' ? (Array.isArray(v.taskNumbers) ? v.taskNumbers : []) : [v.taskNumber]).filter(
    (n): n is number => Number.isInteger(n),
  )
  if (kind === 'note')
    return { columns: { ...none, occurred_at: str(v.updatedAt), written_by: str(v.authorId) }, tasks }
  const occurredAt = str(v.occurredAt)
  let day: string | null = null
  try {
    day = occurredAt === null ? null : guangdongDay(occurredAt)
  } catch {
    // Not a time (nothing the push took is): no day, as it could be in no day's count.
  }
  return {
    columns: {
      occurred_at: occurredAt,
      occurred_day: day,
      venue_type: str(v.venueType),
      outcome: str(v.outcome),
      correction_of: str(v.correctionOf),
      plan_id: str(v.planId),
      written_by: str(v.authorId),
    },
    tasks,
  }
}

const FACT_COLUMNS = [
  'occurred_at',
  'occurred_day',
  'venue_type',
  'outcome',
  'correction_of',
  'plan_id',
  'written_by',
] as const

/**
 * Fills the columns and record_tasks of every record already stored, 500 at a time in order of id: one UPDATE
 * joined to a list of values per page, so a province's records take thousands of statements, not millions.
 */
async function backfill(db: Kysely<Facts>): Promise<void> {
  let after = ''
  for (;;) {
    const page = await db
      .selectFrom('records')
      .select(['id', 'kind', 'data'])
      .where('id', '>', after)
      .where('deleted', '=', 0)
      .where('kind', 'in', ['checkin', 'note'])
      .orderBy('id')
      .limit(500)
      .execute()
    if (page.length === 0) break
    const tasks: Facts['record_tasks'][] = []
    const values = page.map((r) => {
      const facts = factsOf(r.kind, r.data)
      const plan = facts.columns.plan_id ?? DEFAULT_PLAN
      for (const n of new Set(facts.tasks)) tasks.push({ record_id: r.id, plan_id: plan, task_number: n })
      return sql`(${sql.join([r.id, ...FACT_COLUMNS.map((c) => facts.columns[c])])})`
    })
    const names = sql.join(['id', ...FACT_COLUMNS].map((c) => sql.ref(c)))
    const set = sql.join(FACT_COLUMNS.map((c) => sql`${sql.ref(c)} = ${sql.ref(`v.${c}`)}`))
    await sql`
      with v (${names}) as (values ${sql.join(values)})
      update records set ${set} from v where records.id = v.id`.execute(db)
    for (let i = 0; i < tasks.length; i += 500)
      await db
        .insertInto('record_tasks')
        .values(tasks.slice(i, i + 500))
        .onConflict((oc) => oc.doNothing())
        .execute()
    after = page.at(-1)!.id
  }
}

async function postgresTriggers(db: Kysely<unknown>): Promise<void> {
  // Before the row is written: its columns from its JSON (NEW.occurred_day is the push's, see above).
  await sql`
    create function records_facts() returns trigger language plpgsql as $$
    declare
      j jsonb;
    begin
      if new.data is null or new.kind not in ('checkin', 'note') then
        new.occurred_at := null; new.venue_type := null; new.outcome := null;
        new.correction_of := null; new.plan_id := null; new.written_by := null;
        return new;
      end if;
      -- PostgreSQL's JSON functions refuse an escaped NUL (\\u0000) anywhere in the text (a note may hold one):
      -- it as another character of the same escaped shape, which leaves the JSON as well formed as it was.
      j := replace(new.data, '\\u0000', '\\ufffd')::jsonb;
      new.written_by := j->>'authorId';
      if new.kind = 'note' then
        new.occurred_at := j->>'updatedAt';
      else
        new.occurred_at := j->>'occurredAt';
        new.venue_type := j->>'venueType';
        new.outcome := j->>'outcome';
        new.correction_of := j->>'correctionOf';
        new.plan_id := j->>'planId';
      end if;
      return new;
    end
    $$`.execute(db)
  await sql`
    create trigger records_facts before insert or update of data on records
    for each row execute function records_facts()`.execute(db)
  // After: its task numbers, each once.
  await sql`
    create function records_tasks() returns trigger language plpgsql as $$
    declare
      j jsonb;
    begin
      if tg_op = 'UPDATE' then
        delete from record_tasks where record_id = new.id;
      end if;
      if new.data is null or new.kind not in ('checkin', 'note') then
        return null;
      end if;
      j := replace(new.data, '\\u0000', '\\ufffd')::jsonb;
      insert into record_tasks (record_id, plan_id, task_number)
      select distinct new.id, coalesce(new.plan_id, ${sql.lit(DEFAULT_PLAN)}), t.n::integer
      from jsonb_array_elements_text(
        case when new.kind = 'note' then jsonb_build_array(j->'taskNumber') else j->'taskNumbers' end
      ) as t(n);
      return null;
    end
    $$`.execute(db)
  await sql`
    create trigger records_tasks after insert or update of data on records
    for each row execute function records_tasks()`.execute(db)
}

async function sqliteTriggers(db: Kysely<unknown>): Promise<void> {
  // SQLite's triggers cannot change the row being written, so they update it once it is (by its primary key).
  const columns = sql.raw(`
      occurred_at = case new.kind when 'note' then json_extract(new.data, '$.updatedAt')
                                  else json_extract(new.data, '$.occurredAt') end,
      venue_type = case new.kind when 'checkin' then json_extract(new.data, '$.venueType') end,
      outcome = case new.kind when 'checkin' then json_extract(new.data, '$.outcome') end,
      correction_of = case new.kind when 'checkin' then json_extract(new.data, '$.correctionOf') end,
      plan_id = case new.kind when 'checkin' then json_extract(new.data, '$.planId') end,
      written_by = json_extract(new.data, '$.authorId')`)
  const tasks = sql.raw(`
      insert or ignore into record_tasks (record_id, plan_id, task_number)
      select new.id, coalesce(json_extract(new.data, '$.planId'), '${DEFAULT_PLAN}'), t.value
      from json_each(new.data, case new.kind when 'note' then '$.taskNumber' else '$.taskNumbers' end) as t
      where new.data is not null and new.kind in ('checkin', 'note')`)
  const none = sql.raw(`
      occurred_at = null, venue_type = null, outcome = null, correction_of = null, plan_id = null, written_by = null`)
  for (const op of ['insert', 'update of data'] as const) {
    const name = sql.raw(op === 'insert' ? 'records_facts_insert' : 'records_facts_update')
    await sql`
      create trigger ${name} after ${sql.raw(op)} on records
      begin
        update records set ${columns}
        where id = new.id and new.data is not null and new.kind in ('checkin', 'note');
        update records set ${none}
        where id = new.id and (new.data is null or new.kind not in ('checkin', 'note'));
        delete from record_tasks where record_id = new.id;
        ${tasks};
      end`.execute(db)
  }
}
