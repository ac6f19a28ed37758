/**
 * The party register on the server: parties created from phones (ids made there), merged by credit code, and
 * filed under the departments and campaigns whose inspectors recorded them. Who reads a party: an admin any;
 * anyone else the parties filed under their department or under a campaign they may read.
 */
import { sql, type ExpressionBuilder, type Kysely } from 'kysely'
import { creditCodeProblem, normalizeCreditCode } from '../../src/kernel/credit-code'
import { guangdongDay } from '../../src/kernel/guangdong-time'
import {
  PartyInputSchema,
  type Party,
  type PartyCheckIn,
  type PartyForPhone,
  type PartyVisitSummary,
} from '../../src/kernel/party'
import type { CheckIn } from '../../src/kernel/sync-schema'
import type { SessionUser } from '../../src/kernel/users'
import { appendAudit } from '../audit/log'
import { campaignsFor, readableCampaign, readableRecords } from '../campaigns/store'
import { isStorableId, nowIso, type Database, type PartiesTable } from '../db/database'
import { ApiRefusal, parseOrRefuse } from '../http/errors'
import { pinyinInitials } from './initials'
import * as v from 'valibot'

export const partyOf = (r: PartiesTable): Party => ({
  id: r.id,
  name: r.name,
  creditCode: r.credit_code,
  address: r.address,
  personPresent: r.person_present,
  personRole: r.person_role,
  phone: r.phone,
  department: r.department,
  createdBy: r.created_by,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
})

/** The scopes whose parties `user` reads: their department, and every campaign they may read. Undefined: all (admins). */
async function scopesOf(
  db: Kysely<Database>,
  user: SessionUser,
): Promise<{ departments: string[]; campaigns: string[] } | undefined> {
  if (user.role === 'admin') return undefined
  return { departments: [user.department], campaigns: (await campaignsFor(db, user)).map((c) => c.id) }
}

async function mayRead(db: Kysely<Database>, user: SessionUser, partyId: string): Promise<boolean> {
  const scopes = await scopesOf(db, user)
  if (!scopes) return true
  const hit = await db
    .selectFrom('party_scopes')
    .select('party_id')
    .where('party_id', '=', partyId)
    .where((eb) =>
      eb.or([
        eb.and([eb('scope', '=', 'department'), eb('scope_id', 'in', scopes.departments)]),
        ...(scopes.campaigns.length > 0
          ? [eb.and([eb('scope', '=', 'campaign'), eb('scope_id', 'in', scopes.campaigns)])]
          : []),
      ]),
    )
    .executeTakeFirst()
  return hit !== undefined
}

/** Files a party under a department or campaign; filing it twice is filing it once. */
async function file(db: Kysely<Database>, partyId: string, scope: 'department' | 'campaign', scopeId: string) {
  await db
    .insertInto('party_scopes')
    .values({ party_id: partyId, scope, scope_id: scopeId, created_at: nowIso() })
    .onConflict((oc) => oc.doNothing())
    .execute()
}

/** Every merge of the register: merged party id → the party it went into (a small table, read whole). */
async function mergesOf(db: Kysely<Database>): Promise<Map<string, string>> {
  const rows = await db.selectFrom('party_merges').select(['party_id', 'into_id']).execute()
  return new Map(rows.map((r) => [r.party_id, r.into_id]))
}

/** The party an id stands for now: itself, or following its merges to the party that took it. */
function survivorIn(merges: ReadonlyMap<string, string>, id: string): string {
  let at = id
  for (let hops = 0; hops < 1000 && merges.has(at); hops++) at = merges.get(at)!
  return at
}

/** Every party that others were merged into → the ids merged into it, directly or through another. */
function groupsIn(merges: ReadonlyMap<string, string>): Map<string, string[]> {
  const groups = new Map<string, string[]>()
  for (const [from] of merges) {
    const survivor = survivorIn(merges, from)
    if (survivor !== from) groups.set(survivor, [...(groups.get(survivor) ?? []), from])
  }
  return groups
}

/** A party's id and every id merged into it, directly or through another merged party. */
const groupIn = (merges: ReadonlyMap<string, string>, id: string): string[] => [id, ...(groupsIn(merges).get(id) ?? [])]

/** Leaves out the parties merged into others. */
const notMerged = (eb: ExpressionBuilder<Database, 'parties'>) =>
  eb('parties.id', 'not in', eb.selectFrom('party_merges').select('party_merges.party_id'))

export type CreateOutcome = 'created' | 'same_id' | 'same_credit_code'

/**
 * Creates a party from a phone's input, or finds the one it is. The same id again (a phone retrying after a
 * lost answer) is the party made then; a credit code the register holds is that party, whoever recorded it,
 * and the request's department and campaign are filed on it so it reaches their phones. What the register
 * holds is answered as it is: a merge never overwrites another inspector's record of the party.
 */
export async function createParty(
  db: Kysely<Database>,
  user: SessionUser,
  body: unknown,
): Promise<{ party: Party; outcome: CreateOutcome }> {
  // The credit code first, with its own reason, so the phone can say exactly what to correct.
  const typedCode = (body as { creditCode?: unknown } | null)?.creditCode
  if (typeof typedCode === 'string' && typedCode.length <= 60 && normalizeCreditCode(typedCode) !== '') {
    const problem = creditCodeProblem(typedCode)
    if (problem) {
      const said = {
        length: 'is not 18 characters',
        character: 'has a character outside its alphabet',
        check: 'has a wrong check character',
      }
      throw new ApiRefusal(400, 'invalid_credit_code', `The credit code ${said[problem]}`, {
        field: 'creditCode',
        problem,
      })
    }
  }
  const input = parseOrRefuse(PartyInputSchema, body, 'invalid')
  if (input.campaignId !== undefined) await readableCampaign(db, user, input.campaignId)

  const fileForRequest = async (partyId: string) => {
    await file(db, partyId, 'department', user.department)
    if (input.campaignId !== undefined) await file(db, partyId, 'campaign', input.campaignId)
  }

  const byId = await db.selectFrom('parties').selectAll().where('id', '=', input.id).executeTakeFirst()
  if (byId) {
    if (!(await mayRead(db, user, byId.id)) && byId.created_by !== user.id) {
      throw new ApiRefusal(409, 'id_taken', 'Another party has this id')
    }
    await fileForRequest(byId.id)
    // Merged by a supervisor since: the party it went into is the one this id names now.
    const survivor = survivorIn(await mergesOf(db), byId.id)
    if (survivor !== byId.id) {
      const into = await db.selectFrom('parties').selectAll().where('id', '=', survivor).executeTakeFirstOrThrow()
      await fileForRequest(into.id)
      return { party: partyOf(into), outcome: 'same_id' }
    }
    return { party: partyOf(byId), outcome: 'same_id' }
  }
  if (input.creditCode !== null) {
    const sameCode = await db
      .selectFrom('parties')
      .selectAll()
      .where('credit_code', '=', input.creditCode)
      .executeTakeFirst()
    if (sameCode) {
      await fileForRequest(sameCode.id)
      return { party: partyOf(sameCode), outcome: 'same_credit_code' }
    }
  }
  const now = nowIso()
  const row: PartiesTable = {
    id: input.id,
    name: input.name,
    credit_code: input.creditCode,
    address: input.address,
    person_present: input.personPresent,
    person_role: input.personRole,
    phone: input.phone,
    department: user.department,
    created_by: user.id,
    created_at: now,
    updated_at: now,
    initials: pinyinInitials(input.name),
  }
  // Two phones creating the same business at once: one insert wins, the other finds that row below.
  const inserted = await db
    .insertInto('parties')
    .values(row)
    .onConflict((oc) => oc.doNothing())
    .executeTakeFirst()
  if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 1) {
    await appendAudit(db, [
      {
        actorId: user.id,
        action: 'party.create',
        targetKind: 'party',
        targetId: row.id,
        detail: { name: row.name, creditCode: row.credit_code },
      },
    ])
    await fileForRequest(row.id)
    return { party: partyOf(row), outcome: 'created' }
  }
  const sameId = await db.selectFrom('parties').selectAll().where('id', '=', input.id).executeTakeFirst()
  if (sameId) {
    if (sameId.created_by !== user.id) throw new ApiRefusal(409, 'id_taken', 'Another party has this id')
    await fileForRequest(sameId.id)
    return { party: partyOf(sameId), outcome: 'same_id' }
  }
  const sameCode =
    input.creditCode === null
      ? undefined
      : await db.selectFrom('parties').selectAll().where('credit_code', '=', input.creditCode).executeTakeFirst()
  // Neither: the row that was in the way is gone again, which the register never does (rows are not deleted).
  if (!sameCode) throw new Error(`party ${input.id} was neither inserted nor found`)
  await fileForRequest(sameCode.id)
  return { party: partyOf(sameCode), outcome: 'same_credit_code' }
}

/** `%`, `_` and the escape character itself match only themselves in a LIKE pattern. */
const likeEscaped = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`)

/** A search of letters only, as pinyin initials are typed (also matched against names and codes). */
const INITIALS_QUERY = /^[A-Za-z]{2,30}$/

export interface PartySearch {
  /** Words of the name, or the beginning of a credit code (any case, spaces and full-width characters allowed). */
  q?: string
  /** Only the parties filed under this campaign (which the user must be able to read). */
  campaign?: string
  /** Only the parties filed under this department (a supervisor or an inspector: their own). */
  department?: string
  limit: number
}

/** The parties `user` may read that match, by name then id. */
export async function searchParties(db: Kysely<Database>, user: SessionUser, search: PartySearch): Promise<Party[]> {
  let q = db.selectFrom('parties').selectAll('parties').where(notMerged)
  if (search.campaign !== undefined) {
    const campaign = await readableCampaign(db, user, search.campaign)
    q = q.where('id', 'in', (eb) =>
      eb
        .selectFrom('party_scopes')
        .select('party_id')
        .where('scope', '=', 'campaign')
        .where('scope_id', '=', campaign.id),
    )
  }
  if (search.department !== undefined) {
    if (user.role !== 'admin' && search.department !== user.department) {
      throw new ApiRefusal(403, 'forged_department', 'You see the parties of your own department only')
    }
    const department = search.department
    q = q.where('id', 'in', (eb) =>
      eb
        .selectFrom('party_scopes')
        .select('party_id')
        .where('scope', '=', 'department')
        .where('scope_id', '=', department),
    )
  }
  const scopes = await scopesOf(db, user)
  if (scopes) {
    q = q.where('id', 'in', (eb) =>
      eb
        .selectFrom('party_scopes')
        .select('party_id')
        .where((w) =>
          w.or([
            w.and([w('scope', '=', 'department'), w('scope_id', 'in', scopes.departments)]),
            ...(scopes.campaigns.length > 0
              ? [w.and([w('scope', '=', 'campaign'), w('scope_id', 'in', scopes.campaigns)])]
              : []),
          ]),
        ),
    )
  }
  const text = search.q?.trim() ?? ''
  if (text !== '') {
    const code = normalizeCreditCode(text)
    const namePattern = `%${likeEscaped(text.toLowerCase())}%`
    const codePattern = `${likeEscaped(code)}%`
    q = q.where((eb) =>
      eb.or([
        sql<boolean>`lower(${eb.ref('name')}) like ${namePattern} escape '\\'`,
        ...(code !== '' ? [sql<boolean>`${eb.ref('credit_code')} like ${codePattern} escape '\\'`] : []),
        // Letters only may be pinyin initials (gzsm for 广州市某…).
        ...(INITIALS_QUERY.test(text) ? [sql<boolean>`${eb.ref('initials')} like ${namePattern} escape '\\'`] : []),
      ]),
    )
  }
  const rows = await q.orderBy('name').orderBy('id').limit(search.limit).execute()
  return rows.map(partyOf)
}

/** One party, or 404 (no such party, or not one `user` may read: the two are not told apart). */
export async function readableParty(db: Kysely<Database>, user: SessionUser, id: string): Promise<Party> {
  return (await readablePartyNow(db, user, id)).party
}

/**
 * The party an id stands for now, or 404: a party merged into another is read as the party it went into
 * (`mergedFrom` the id asked for), with every id merged into that one (`ids`, its own first).
 */
export async function readablePartyNow(
  db: Kysely<Database>,
  user: SessionUser,
  id: string,
): Promise<{ party: Party; mergedFrom?: string; ids: string[] }> {
  const asked = isStorableId(id)
    ? await db.selectFrom('parties').selectAll().where('id', '=', id).executeTakeFirst()
    : undefined
  if (!asked) throw new ApiRefusal(404, 'not_found', 'No such party')
  const merges = await mergesOf(db)
  const survivorId = survivorIn(merges, asked.id)
  const row =
    survivorId === asked.id
      ? asked
      : await db.selectFrom('parties').selectAll().where('id', '=', survivorId).executeTakeFirst()
  if (!row || !(await mayRead(db, user, row.id))) throw new ApiRefusal(404, 'not_found', 'No such party')
  return {
    party: partyOf(row),
    ...(row.id !== asked.id ? { mergedFrom: asked.id } : {}),
    ids: groupIn(merges, row.id),
  }
}

/**
 * A supervisor (or an admin) merges a party without a credit code into another entry of the same party
 * (`POST /api/parties/:id/merge {into}`): both must be theirs to read (404), two coded parties are never
 * merged (409 both_coded), nor a coded one into another (409 coded_party: merge the other way). Nothing is
 * deleted or rewritten: the merge is a row of its own, the party that took it is filed where the merged one
 * was (so the phones that had the one get the other), and check-ins naming either id count for it.
 */
export async function mergeParty(
  db: Kysely<Database>,
  user: SessionUser,
  id: string,
  body: unknown,
): Promise<{ party: Party; mergedFrom: string[] }> {
  if (user.role === 'inspector') throw new ApiRefusal(403, 'forbidden', 'Parties are merged by supervisors')
  const { into } = parseOrRefuse(MergeBodySchema, body, 'invalid')
  if (into === id) throw new ApiRefusal(400, 'same_party', 'A party is not merged into itself')
  const from = isStorableId(id)
    ? await db.selectFrom('parties').selectAll().where('id', '=', id).executeTakeFirst()
    : undefined
  if (!from || !(await mayRead(db, user, from.id))) throw new ApiRefusal(404, 'not_found', 'No such party')
  const merges = await mergesOf(db)
  if (merges.has(from.id))
    throw new ApiRefusal(409, 'already_merged', 'This party was merged already', { into: survivorIn(merges, from.id) })
  const target = (await readablePartyNow(db, user, into)).party
  if (target.id === from.id) throw new ApiRefusal(400, 'same_party', 'A party is not merged into itself')
  if (from.credit_code !== null && target.creditCode !== null)
    throw new ApiRefusal(409, 'both_coded', 'Two parties with credit codes are never merged')
  if (from.credit_code !== null)
    throw new ApiRefusal(409, 'coded_party', 'Merge the party without a credit code into the one with it')

  const inserted = await db
    .insertInto('party_merges')
    .values({ party_id: from.id, into_id: target.id, merged_by: user.id, merged_at: nowIso() })
    .onConflict((oc) => oc.doNothing())
    .executeTakeFirst()
  if (Number(inserted.numInsertedOrUpdatedRows ?? 0) !== 1)
    throw new ApiRefusal(409, 'already_merged', 'This party was merged already')
  const scopes = await db
    .selectFrom('party_scopes')
    .select(['scope', 'scope_id'])
    .where('party_id', 'in', groupIn(merges, from.id))
    .execute()
  for (const s of scopes) await file(db, target.id, s.scope as 'department' | 'campaign', s.scope_id)
  await appendAudit(db, [
    {
      actorId: user.id,
      action: 'party.merge',
      targetKind: 'party',
      targetId: from.id,
      detail: { into: target.id, name: from.name, intoName: target.name },
    },
  ])
  return { party: target, mergedFrom: groupIn(await mergesOf(db), target.id).slice(1) }
}

const MergeBodySchema = v.object({ into: v.pipe(v.string(), v.minLength(1), v.maxLength(64)) })

/** How many parties a phone keeps at most: the first by name (a department's register is far smaller). */
export const PHONE_PARTIES_MAX = 5000
/** Ids per `in (…)` list, well below what either database takes in one statement. */
const ID_CHUNK = 500

interface StoredCheckInRow {
  data: string | null
  department: string | null
  author_id: string | null
  party_id: string | null
}

/**
 * The check-ins as they stand: one its own author corrected is left out, its correction stands instead (as in
 * campaign reports). Newest first.
 */
function standing(rows: readonly StoredCheckInRow[]): { checkIn: CheckIn; row: StoredCheckInRow }[] {
  const read = rows.filter((r) => r.data !== null).map((row) => ({ checkIn: JSON.parse(row.data!) as CheckIn, row }))
  const authorOf = new Map(read.map((r) => [r.checkIn.id, r.row.author_id]))
  const corrected = new Set<string>()
  for (const { checkIn, row } of read) {
    const original = checkIn.correctionOf
    if (original && original !== checkIn.id && row.author_id !== null && authorOf.get(original) === row.author_id)
      corrected.add(original)
  }
  return read
    .filter((r) => !corrected.has(r.checkIn.id))
    .sort(
      (a, b) => b.checkIn.occurredAt.localeCompare(a.checkIn.occurredAt) || b.checkIn.id.localeCompare(a.checkIn.id),
    )
}

const partyCheckIns = (db: Kysely<Database>) =>
  db
    .selectFrom('records')
    .select(['records.id', 'records.data', 'records.department', 'records.author_id', 'records.party_id'])
    .where('records.kind', '=', 'checkin')
    .where('records.deleted', '=', 0)

/** Every party's earlier inspections in short (date, department, outcome), whoever made them. */
async function visitsOf(
  db: Kysely<Database>,
  partyIds: readonly string[],
  keyOf: (partyId: string) => string = (id) => id,
): Promise<Map<string, PartyVisitSummary[]>> {
  const rows: StoredCheckInRow[] = []
  for (let i = 0; i < partyIds.length; i += ID_CHUNK) {
    rows.push(
      ...(await partyCheckIns(db)
        .where('records.party_id', 'in', partyIds.slice(i, i + ID_CHUNK))
        .execute()),
    )
  }
  const byParty = new Map<string, StoredCheckInRow[]>()
  for (const r of rows) byParty.set(keyOf(r.party_id!), [...(byParty.get(keyOf(r.party_id!)) ?? []), r])
  return new Map(
    [...byParty].map(([id, list]) => [
      id,
      standing(list).map(({ checkIn, row }) => ({
        date: guangdongDay(checkIn.occurredAt),
        department: row.department ?? '',
        outcome: checkIn.outcome,
      })),
    ]),
  )
}

/**
 * The parties a phone keeps for offline look-up (`GET /api/parties/mine`): those filed under the user's
 * department and under the campaigns they may read (an admin's phone too: not the whole register), each with
 * its pinyin initials and its earlier inspections in short, across departments.
 */
export async function partiesForPhone(db: Kysely<Database>, user: SessionUser): Promise<PartyForPhone[]> {
  const campaigns = (await campaignsFor(db, user)).map((c) => c.id)
  const rows = await db
    .selectFrom('parties')
    .selectAll('parties')
    .where(notMerged)
    .where('id', 'in', (eb) =>
      eb
        .selectFrom('party_scopes')
        .select('party_id')
        .where((w) =>
          w.or([
            w.and([w('scope', '=', 'department'), w('scope_id', '=', user.department)]),
            ...(campaigns.length > 0 ? [w.and([w('scope', '=', 'campaign'), w('scope_id', 'in', campaigns)])] : []),
          ]),
        ),
    )
    .orderBy('name')
    .orderBy('id')
    .limit(PHONE_PARTIES_MAX)
    .execute()
  const merges = await mergesOf(db)
  const merged = groupsIn(merges)
  const ids = rows.flatMap((r) => [r.id, ...(merged.get(r.id) ?? [])])
  const visits = await visitsOf(db, ids, (partyId) => survivorIn(merges, partyId))
  return rows.map((r) => ({ ...partyOf(r), initials: r.initials, visits: visits.get(r.id) ?? [] }))
}

/** The parties a phone may hold that were merged into others, each with the party it stands for now. */
export async function mergedForPhone(db: Kysely<Database>, user: SessionUser): Promise<{ id: string; into: string }[]> {
  const merges = await mergesOf(db)
  if (merges.size === 0) return []
  const campaigns = (await campaignsFor(db, user)).map((c) => c.id)
  const rows = await db
    .selectFrom('party_scopes')
    .select('party_id')
    .distinct()
    .where('party_id', 'in', [...merges.keys()].slice(0, PHONE_PARTIES_MAX))
    .where((w) =>
      w.or([
        w.and([w('scope', '=', 'department'), w('scope_id', '=', user.department)]),
        ...(campaigns.length > 0 ? [w.and([w('scope', '=', 'campaign'), w('scope_id', 'in', campaigns)])] : []),
      ]),
    )
    .orderBy('party_id')
    .execute()
  return rows.map((r) => ({ id: r.party_id, into: survivorIn(merges, r.party_id) }))
}

/**
 * A party's earlier inspections in full, those `user` may read (`GET /api/parties/:id/inspections`), newest
 * first, with how many more there are that they may not read (those they see in short on the phone).
 */
export async function partyInspections(
  db: Kysely<Database>,
  user: SessionUser,
  id: string,
): Promise<{ party: Party; checkIns: PartyCheckIn[]; total: number; hidden: number }> {
  const { party, ids } = await readablePartyNow(db, user, id)
  const all = standing(await partyCheckIns(db).where('records.party_id', 'in', ids).execute())
  const readable = new Set(
    (await (await readableRecords(db, partyCheckIns(db).where('records.party_id', 'in', ids), user)).execute()).map(
      (r) => r.id,
    ),
  )
  const shown = all.filter(({ checkIn }) => readable.has(checkIn.id))
  const authorIds = [...new Set(shown.map(({ row }) => row.author_id).filter((a) => a !== null))]
  const names = new Map(
    authorIds.length === 0
      ? []
      : (await db.selectFrom('users').select(['id', 'display_name']).where('id', 'in', authorIds).execute()).map(
          (u) => [u.id, u.display_name],
        ),
  )
  const checkIns = shown.map(({ checkIn, row }) => ({
    ...checkIn,
    authorName: names.get(row.author_id ?? '') ?? '',
    department: row.department ?? '',
  }))
  return { party, checkIns, total: all.length, hidden: all.length - checkIns.length }
}
