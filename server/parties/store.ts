/**
 * The party register on the server: parties created from phones (ids made there), merged by credit code, and
 * filed under the departments and campaigns whose inspectors recorded them. Who reads a party: an admin any;
 * anyone else the parties filed under their department or under a campaign they may read.
 */
import { sql, type Kysely } from 'kysely'
import { creditCodeProblem, normalizeCreditCode } from '../../src/kernel/credit-code'
import { PartyInputSchema, type Party } from '../../src/kernel/party'
import type { SessionUser } from '../../src/kernel/users'
import { campaignsFor, readableCampaign } from '../campaigns/store'
import { isStorableId, nowIso, type Database, type PartiesTable } from '../db/database'
import { ApiRefusal, parseOrRefuse } from '../http/errors'

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
  }
  // Two phones creating the same business at once: one insert wins, the other finds that row below.
  const inserted = await db
    .insertInto('parties')
    .values(row)
    .onConflict((oc) => oc.doNothing())
    .executeTakeFirst()
  if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 1) {
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
  let q = db.selectFrom('parties').selectAll('parties')
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
      ]),
    )
  }
  const rows = await q.orderBy('name').orderBy('id').limit(search.limit).execute()
  return rows.map(partyOf)
}

/** One party, or 404 (no such party, or not one `user` may read: the two are not told apart). */
export async function readableParty(db: Kysely<Database>, user: SessionUser, id: string): Promise<Party> {
  const row = isStorableId(id)
    ? await db.selectFrom('parties').selectAll().where('id', '=', id).executeTakeFirst()
    : undefined
  if (!row || !(await mayRead(db, user, row.id))) throw new ApiRefusal(404, 'not_found', 'No such party')
  return partyOf(row)
}
