import { sql, type Kysely, type Migration } from 'kysely'
import type { Dialect } from './database'
import { DEFAULT_PLAN } from './migration-0013'

/**
 * Reports and task coverage at province scale read what the database keeps counted, instead of scanning every
 * check-in of a campaign or of the province for each request.
 *
 * - `records.superseded`: 1 when a stored, not deleted check-in by the same author (`author_id`) names the check-in
 *   in `correctionOf` (and is not itself). A correction hides its original everywhere: the corrected record no
 *   longer stands, whichever campaign or scope a report looks at (before, the reports hid it only when the
 *   correction was among the same campaign's or scope's records). Reports read `superseded = 0` instead of looking
 *   for a correction of each row. Kept whichever arrives first: a check-in stored after its correction is marked
 *   as it is written, and a correction marks (or, deleted, unmarks) its original.
 * - `campaign_authors`: a campaign's standing check-ins per author and phone (count, latest `occurred_at`): a
 *   campaign's people, total and unfiltered per-inspector counts.
 * - `task_authors`: per task number, author, department, region, campaign and phone, the standing check-ins and
 *   the notes naming the task, and the latest of them: task coverage of the province, a department, a department
 *   in a city, a campaign. Readers add up an author's phones.
 *
 * Both are keyed by author and phone (`client_id`, the phone that wrote the record), so a push only ever touches
 * rows of its own phone: two inspectors of a campaign, or two phones of one inspector, never wait for each other
 * there, however many push at once (pushes of one phone already take turns). '' stands for a missing author,
 * department or campaign (keys cannot be null). Counts only go up and down by the records' changes; `last_at`,
 * when the record that held it stops counting (a note deleted or saved again, a check-in superseded), is read
 * again from the records of that one group (one author's), which is rare. Groups that fall to zero stay, counting
 * nothing.
 *
 * Triggers keep them, in the statement that writes the record, as migration 0013's keep the columns: 0013's
 * record_tasks trigger (PostgreSQL) and its two SQLite triggers are replaced by ones that also take a record's old
 * contribution out before its task numbers change and put the new one in after. Only check-ins and notes count;
 * a check-in is never rewritten by the push and a note is never superseded. A statement that updates a correction
 * and its original together (nothing the server does) could leave PostgreSQL's counts off: each row's triggers
 * run at the statement's end, and the original's would take out what the correction's had already moved.
 */
export const migration0017 = (dialect: Dialect): Migration => ({
  async up(db: Kysely<unknown>) {
    const text = (n: number) => (dialect === 'postgres' ? sql.raw(`varchar(${n}) collate "C"`) : sql.raw('text'))
    await sql`alter table records add column superseded integer not null default 0`.execute(db)
    await sql`
      create table campaign_authors (
        campaign_id varchar(64) not null,
        written_by varchar(64) not null,
        client_id varchar(64) not null,
        check_ins integer not null,
        last_at ${text(40)},
        primary key (campaign_id, written_by, client_id)
      )`.execute(db)
    await sql`
      create table task_authors (
        task_number integer not null,
        written_by varchar(64) not null,
        department varchar(100) not null,
        region varchar(32) not null,
        campaign_id varchar(64) not null,
        client_id varchar(64) not null,
        check_ins integer not null,
        notes integer not null,
        last_at ${text(40)},
        primary key (department, task_number, written_by, region, campaign_id, client_id)
      )`.execute(db)
    // Coverage of a department (or a city's) reads its rows in the order it groups them (the key); of a campaign,
    // its rows only.
    await sql`create index task_authors_campaign on task_authors (campaign_id, task_number, written_by)`.execute(db)

    // Existing rows: the flag, then the counts over what stands.
    await sql`update records set superseded = 1 where ${sql.raw(SUPERSEDED.replaceAll('{r}', 'records'))} = 1`.execute(
      db,
    )
    await countFromRecords(db)

    if (dialect === 'postgres') await postgresTriggers(db)
    else await sqliteTriggers(db)

    // What the reports read, each only over the check-ins that stand (partial: a superseded or deleted check-in is
    // in none of them). A campaign's counts by day, venue type and outcome read the index alone; its list and CSV
    // page newest first; one inspector's check-ins; the check-ins a correction may supersede.
    const standing = sql.raw(`kind = 'checkin' and deleted = 0 and superseded = 0`)
    await sql`create index records_campaign_counts on records (campaign_id, occurred_day, venue_type, outcome, written_by)
      where ${standing}`.execute(db)
    await sql`create index records_campaign_standing on records (campaign_id, occurred_at desc, version)
      where ${standing}`.execute(db)
    await sql`create index records_campaign_author on records (campaign_id, written_by, occurred_at)
      where ${standing}`.execute(db)
  },
})

/**
 * Fills the two count tables from the records as they stand (empty tables): what migration 0017 does once, and
 * 0018 again to mend counts kept wrong.
 */
export async function countFromRecords(db: Kysely<unknown>): Promise<void> {
  await sql`
    insert into campaign_authors (campaign_id, written_by, client_id, check_ins, last_at)
    select campaign_id, coalesce(written_by, ''), client_id, count(*), max(occurred_at) from records
    where kind = 'checkin' and deleted = 0 and superseded = 0 and campaign_id is not null
    group by campaign_id, coalesce(written_by, ''), client_id`.execute(db)
  await sql`
    insert into task_authors
      (task_number, written_by, department, region, campaign_id, client_id, check_ins, notes, last_at)
    select t.task_number, coalesce(r.written_by, ''), coalesce(r.department, ''), r.region,
      coalesce(r.campaign_id, ''), r.client_id, sum(case when r.kind = 'checkin' then 1 else 0 end),
      sum(case when r.kind = 'note' then 1 else 0 end), max(r.occurred_at)
    from records r join record_tasks t on t.record_id = r.id
    where ${sql.raw(counted('r'))}
    group by t.task_number, coalesce(r.written_by, ''), coalesce(r.department, ''), r.region,
      coalesce(r.campaign_id, ''), r.client_id`.execute(db)
}

/** Whether `{r}` (a row of records) stands corrected: 1 or 0. */
const SUPERSEDED = `(case when {r}.kind = 'checkin' and exists (
    select 1 from records s where s.correction_of = {r}.id and s.id <> {r}.id and s.author_id = {r}.author_id
      and s.kind = 'checkin' and s.deleted = 0) then 1 else 0 end)`

/** Whether row `r` counts in the summaries: a note, or a check-in that stands; not deleted. */
const counted = (r: string) =>
  `${r}.deleted = 0 and (${r}.kind = 'note' or (${r}.kind = 'checkin' and ${r}.superseded = 0))`

/** The columns of a record the summaries read, for a row source made of the trigger's OLD row. */
const SUMMARY_COLUMNS = [
  'id',
  'kind',
  'deleted',
  'superseded',
  'written_by',
  'client_id',
  'department',
  'region',
  'campaign_id',
  'occurred_at',
]
const rowOf = (which: 'old' | 'new') => `(select ${SUMMARY_COLUMNS.map((c) => `${which}.${c} as ${c}`).join(', ')}) r`
const oldRow = rowOf('old')
/** The record as it now stands, after this trigger's own writes. */
const currentRow = (id: string) => `(select * from records where id = ${id}) r`

/** The later of a group's `last_at` and the one coming in (either may be null). */
const later = (table: string) =>
  `case when ${table}.last_at is null or excluded.last_at > ${table}.last_at then excluded.last_at else ${table}.last_at end`

/** `x`'s author is `r`'s (both none, too). */
const sameAuthor = `(x.written_by = r.written_by or (r.written_by is null and x.written_by is null))
            and x.client_id = r.client_id`

/**
 * Statements adding row source `from` (alias r) to the summaries, its task numbers from `tasks` (alias t: record_tasks
 * joined to it, or the numbers at hand).
 */
function add(from: string, tasks = 'join record_tasks t on t.record_id = r.id'): string[] {
  return [
    `insert into campaign_authors (campaign_id, written_by, client_id, check_ins, last_at)
      select r.campaign_id, coalesce(r.written_by, ''), r.client_id, 1, r.occurred_at from ${from}
      where r.kind = 'checkin' and r.deleted = 0 and r.superseded = 0 and r.campaign_id is not null
      on conflict (campaign_id, written_by, client_id) do update set check_ins = campaign_authors.check_ins + 1,
        last_at = ${later('campaign_authors')}`,
    `insert into task_authors
        (task_number, written_by, department, region, campaign_id, client_id, check_ins, notes, last_at)
      select t.task_number, coalesce(r.written_by, ''), coalesce(r.department, ''), r.region,
        coalesce(r.campaign_id, ''), r.client_id, case when r.kind = 'checkin' then 1 else 0 end,
        case when r.kind = 'note' then 1 else 0 end, r.occurred_at
      from ${from} ${tasks}
      where ${counted('r')}
      on conflict (department, task_number, written_by, region, campaign_id, client_id) do update set
        check_ins = task_authors.check_ins + excluded.check_ins, notes = task_authors.notes + excluded.notes,
        last_at = ${later('task_authors')}`,
  ]
}

/**
 * Statements taking row source `from` (alias r; its task numbers still in record_tasks) out of the summaries. A
 * group whose latest it held reads its latest again from the other records of the group: the row itself may still
 * look as it did (SQLite: not yet rewritten; both: its task numbers not yet), and is added again after if it
 * still belongs there.
 */
function subtract(from: string): string[] {
  return [
    `update campaign_authors set check_ins = check_ins - 1,
        last_at = case when r.occurred_at >= campaign_authors.last_at then (
          select max(x.occurred_at) from records x
          where x.campaign_id = r.campaign_id and ${sameAuthor} and x.kind = 'checkin' and x.deleted = 0
            and x.superseded = 0 and x.id <> r.id
        ) else campaign_authors.last_at end
      from ${from}
      where r.kind = 'checkin' and r.deleted = 0 and r.superseded = 0 and r.campaign_id is not null
        and campaign_authors.campaign_id = r.campaign_id and campaign_authors.written_by = coalesce(r.written_by, '')
        and campaign_authors.client_id = r.client_id`,
    `update task_authors set
        check_ins = check_ins - case when r.kind = 'checkin' then 1 else 0 end,
        notes = notes - case when r.kind = 'note' then 1 else 0 end,
        last_at = case when r.occurred_at >= task_authors.last_at then (
          select max(x.occurred_at) from records x join record_tasks y on y.record_id = x.id
          where y.task_number = t.task_number and ${sameAuthor}
            and coalesce(x.department, '') = task_authors.department and x.region = r.region
            and coalesce(x.campaign_id, '') = task_authors.campaign_id and ${counted('x')} and x.id <> r.id
        ) else task_authors.last_at end
      from ${from} join record_tasks t on t.record_id = r.id
      where ${counted('r')} and task_authors.task_number = t.task_number
        and task_authors.written_by = coalesce(r.written_by, '') and task_authors.department = coalesce(r.department, '')
        and task_authors.region = r.region and task_authors.campaign_id = coalesce(r.campaign_id, '')
        and task_authors.client_id = r.client_id`,
  ]
}

/** Sets the flag of the check-ins `ids` name (SQL expressions, null for none) as their corrections now stand. */
const resupersede = (ids: string) => `
      update records set superseded = ${SUPERSEDED.replaceAll('{r}', 'records')}
      where id in (${ids}) and kind = 'checkin' and superseded <> ${SUPERSEDED.replaceAll('{r}', 'records')}`

/** The columns whose change moves a record's contribution (0013's triggers write the others from `data`). */
const MOVING = 'data, deleted, kind, author_id, department, region, campaign_id, client_id'

async function postgresTriggers(db: Kysely<unknown>): Promise<void> {
  const run = (statements: string[]) => statements.map((s) => `${s};`).join('\n      ')
  // Before the row is written: its own flag, from the corrections already stored (after 0013's columns). Planned
  // for each row: a plan cached while the table was small (a bulk load's first rows) could scan it whole for ever.
  await sql`
    create function records_superseded() returns trigger language plpgsql
    set plan_cache_mode = force_custom_plan as $$
    begin
      new.superseded := ${sql.raw(SUPERSEDED.replaceAll('{r}', 'new'))};
      return new;
    end
    $$`.execute(db)
  await sql`
    create trigger records_superseded before insert or update of author_id, kind on records
    for each row execute function records_superseded()`.execute(db)

  // After: the old contribution out (its task numbers as they were), the task numbers, the new contribution in,
  // and the originals it corrects (or corrected) marked again. Replaces 0013's records_tasks.
  await sql`drop trigger records_tasks on records`.execute(db)
  await sql`drop function records_tasks()`.execute(db)
  await sql`
    create function records_summary() returns trigger language plpgsql as $$
    declare
      j jsonb;
      tasks integer[] := '{}';
    begin
      if tg_op in ('UPDATE', 'DELETE') then
        ${sql.raw(run(subtract(oldRow)))}
      end if;
      if tg_op = 'DELETE' then
        delete from record_tasks where record_id = old.id;
        ${sql.raw(resupersede('old.correction_of'))};
        return null;
      end if;
      if new.data is not null and new.kind in ('checkin', 'note') then
        -- As 0013: PostgreSQL's JSON functions refuse an escaped NUL, taken as another escaped character.
        j := replace(new.data, '\\u0000', '\\ufffd')::jsonb;
        tasks := array(
          select distinct t.n::integer from jsonb_array_elements_text(
            case when new.kind = 'note' then jsonb_build_array(j->'taskNumber') else j->'taskNumbers' end
          ) as t(n));
      end if;
      if tg_op = 'INSERT' or new.data is distinct from old.data or new.kind <> old.kind then
        if tg_op = 'UPDATE' then
          delete from record_tasks where record_id = new.id;
        end if;
        insert into record_tasks (record_id, plan_id, task_number)
        select new.id, coalesce(new.plan_id, ${sql.lit(DEFAULT_PLAN)}), t.n from unnest(tasks) as t(n);
      end if;
      -- The row and its task numbers as at hand, not read back: a push's statements plan the same whatever the
      -- table's size was when this session first ran them (a cached plan from an empty table scanned an index whole).
      ${sql.raw(run(add(rowOf('new'), 'cross join unnest(tasks) as t(task_number)')))}
      if tg_op = 'INSERT' then
        if new.correction_of is not null then
          ${sql.raw(resupersede('new.correction_of'))};
        end if;
      elsif old.correction_of is not null or new.correction_of is not null then
        ${sql.raw(resupersede('old.correction_of, new.correction_of'))};
      end if;
      return null;
    end
    $$`.execute(db)
  await sql`
    create trigger records_summary after insert or delete or update of ${sql.raw(MOVING)} on records
    for each row execute function records_summary()`.execute(db)

  // A check-in marked or unmarked by its correction: out with what it was, in with what it is.
  await sql`
    create function records_superseded_summary() returns trigger language plpgsql as $$
    begin
      ${sql.raw(run([...subtract(oldRow), ...add(rowOf('new'))]))}
      return null;
    end
    $$`.execute(db)
  await sql`
    create trigger records_superseded_summary after update of superseded on records
    for each row when (old.superseded is distinct from new.superseded)
    execute function records_superseded_summary()`.execute(db)
}

async function sqliteTriggers(db: Kysely<unknown>): Promise<void> {
  // SQLite's triggers cannot change the row being written, and run nested: each trigger below updates the row (or
  // another) only in columns no other trigger of records watches, except `superseded`, whose trigger then moves
  // that row's contribution. A trigger never fires itself again (recursive triggers are off, SQLite's default).
  const facts = `
      update records set
        occurred_at = case new.kind when 'note' then json_extract(new.data, '$.updatedAt')
                                    else json_extract(new.data, '$.occurredAt') end,
        venue_type = case new.kind when 'checkin' then json_extract(new.data, '$.venueType') end,
        outcome = case new.kind when 'checkin' then json_extract(new.data, '$.outcome') end,
        correction_of = case new.kind when 'checkin' then json_extract(new.data, '$.correctionOf') end,
        plan_id = case new.kind when 'checkin' then json_extract(new.data, '$.planId') end,
        written_by = json_extract(new.data, '$.authorId')
      where id = new.id and new.data is not null and new.kind in ('checkin', 'note');
      update records set
        occurred_at = null, venue_type = null, outcome = null, correction_of = null, plan_id = null, written_by = null
      where id = new.id and (new.data is null or new.kind not in ('checkin', 'note'));
      delete from record_tasks where record_id = new.id;
      insert or ignore into record_tasks (record_id, plan_id, task_number)
      select new.id, coalesce(json_extract(new.data, '$.planId'), '${DEFAULT_PLAN}'), t.value
      from json_each(new.data, case new.kind when 'note' then '$.taskNumber' else '$.taskNumbers' end) as t
      where new.data is not null and new.kind in ('checkin', 'note');`
  const run = (statements: string[]) => statements.map((s) => `${s};`).join('\n      ')
  const current = currentRow('new.id')
  const correctionOfNow = '(select correction_of from records where id = new.id)'
  await sql`drop trigger records_facts_insert`.execute(db)
  await sql`drop trigger records_facts_update`.execute(db)
  // Its own flag last: counted first as standing, the flag's trigger takes it out if a correction came first.
  await sql
    .raw(
      `
    create trigger records_facts_insert after insert on records
    begin
      ${facts}
      ${run(add(current))}
      ${resupersede('new.id')};
      ${resupersede(correctionOfNow)};
    end`,
    )
    .execute(db)
  await sql
    .raw(
      `
    create trigger records_facts_update after update of ${MOVING} on records
    begin
      ${run(subtract(oldRow))}
      ${facts}
      ${run(add(current))}
      ${resupersede('new.id')};
      ${resupersede(`old.correction_of, ${correctionOfNow}`)};
    end`,
    )
    .execute(db)
  await sql
    .raw(
      `
    create trigger records_summary_delete after delete on records
    begin
      ${run(subtract(oldRow))}
      delete from record_tasks where record_id = old.id;
      ${resupersede('old.correction_of')};
    end`,
    )
    .execute(db)
  await sql
    .raw(
      `
    create trigger records_superseded_summary after update of superseded on records
    when old.superseded is not new.superseded
    begin
      ${run([...subtract(oldRow), ...add(current)])}
    end`,
    )
    .execute(db)
}
