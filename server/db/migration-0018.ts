import { sql, type Kysely, type Migration } from 'kysely'
import type { Dialect } from './database'
import { countFromRecords } from './migration-0017'

/**
 * The latest times migration 0017's triggers keep, right on PostgreSQL when one statement saves several records
 * again (the push writes a batch as one upsert of up to 100 rows), and when two pushes touch one group at once.
 *
 * PostgreSQL runs each row's AFTER triggers at the statement's end, one row after another, so while the first
 * row's trigger runs, every row of the statement is already rewritten but the later rows' task numbers
 * (record_tasks) are not. When the first row held its group's latest time, migration 0017's trigger read the
 * latest again over the group's records as record_tasks lists them, and took in a later row with its new time
 * under the task it was leaving (a note moved to another task): a task showed a latest time no record of it has.
 * The later row's own trigger did not mend it (its old time was not the latest any more).
 *
 * The latest is now read only over records whose text names the task as it is now, as their own trigger will
 * count them: one still listed under the task it left is not taken in, and one listed under a task it is coming
 * to is added by its own trigger after. And a group's rows are locked before the statement that reads its latest
 * again (LOCKED_FIRST below). Both trigger functions of 0017 that read it again are patched in place (their text
 * from the database, those two changes made), and task_authors is counted again from the records, which mends any
 * latest time already wrong (campaign_authors' could only go wrong by the second, rarer one, and is counted again
 * too). SQLite runs each row's triggers as the row is written, one writer at a time: nothing to do there.
 */
export const migration0018 = (dialect: Dialect): Migration => ({
  async up(db: Kysely<unknown>) {
    if (dialect !== 'postgres') return
    for (const name of ['records_summary', 'records_superseded_summary']) {
      const { rows } = await sql<{ def: string }>`select pg_get_functiondef(${name}::regproc) as def`.execute(db)
      const def = rows[0]!.def
      const parts = def.split(LISTED)
      const updates = [...def.matchAll(SUBTRACT)].length
      if (parts.length !== 2 || updates !== 2) throw new Error(`migration 0018: ${name} is not as 0017 wrote it`)
      await sql.raw(parts.join(`${LISTED} and ${NAMES_TASK}`).replace(SUBTRACT, LOCKED_FIRST)).execute(db)
    }
    await sql`delete from campaign_authors`.execute(db)
    await sql`delete from task_authors`.execute(db)
    await countFromRecords(db)
  },
})

/**
 * 0017's statements taking a record out of a group's counts (`$1` the table, `$2` what they set, `$3` the
 * indentation, `$4` the row source and the groups' condition), each now after one that locks the same rows.
 */
const SUBTRACT = /update (campaign_authors|task_authors) set(\s[\s\S]*?)\n(\s*)from (\(select old\.id as id[\s\S]*?);/g
/**
 * The groups' rows locked first, by a statement of their own: the update after it then reads the latest again
 * from a snapshot taken once no other transaction holds them. Done in one statement, an update that waited for
 * another push's rows (phone A storing a check-in dated before its latest as phone B's correction hides that
 * latest) went on with its snapshot from before the wait: the latest read again left out the check-in the other
 * had just committed, and the group kept an earlier time, or none.
 */
const LOCKED_FIRST = 'perform 1 from $1, $4 for update of $1;\n$3update $1 set$2\n$3from $4;'

/** Where 0017's trigger reads a group's latest again: the records record_tasks lists under the task. */
const LISTED = 'where y.task_number = t.task_number'

/**
 * Record x's text names task t.task_number, read as the trigger reads a record's task numbers (an escaped NUL as
 * another escaped character: PostgreSQL's JSON refuses it).
 */
const NAMES_TASK = `exists (
            select 1 from jsonb_array_elements_text(
              case when x.kind = 'note' then jsonb_build_array(replace(x.data, '\\u0000', '\\ufffd')::jsonb->'taskNumber')
                else replace(x.data, '\\u0000', '\\ufffd')::jsonb->'taskNumbers' end
            ) as n(v) where n.v::integer = t.task_number)`
