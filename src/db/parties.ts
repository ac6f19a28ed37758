/**
 * The party register on the phone: the parties of the inspector's department and campaigns as the server
 * last listed them, and those made here offline ('waiting' until the server takes them, 'rejected' with the
 * server's reason, never deleted). Looked up offline by name, the start of a credit code, or pinyin initials.
 */
import * as v from 'valibot'
import { ApiError } from '@/api/http'
import { fetchMyRegister, postParty, type PartyMergeNote } from '@/api/parties'
import { fetchColleagues } from '@/api/users'
import { normalizeCreditCode } from '@/kernel/credit-code'
import { PartyInputSchema, type Party, type PartyForPhone, type PartyInput } from '@/kernel/party'
import { validationReason } from '@/kernel/sync-schema'
import { uuidv7 } from '@/kernel/uuid'
import { replaceColleagues } from './colleagues'
import type { LocalParty, ZhixunDB } from './db'

/** What an inspector types to make a party on the phone. */
export interface NewParty {
  name: string
  creditCode: string
  address: string
  personPresent: string
  personRole: string
  phone: string
}

export class PartyInvalidError extends Error {
  constructor(readonly detail: string) {
    super(detail)
    this.name = 'PartyInvalidError'
  }
}

/** The input the server takes for a party made here, checked as the server checks it. */
function checkedInput(id: string, typed: NewParty, campaignId?: string) {
  const result = v.safeParse(PartyInputSchema, { id, ...typed, ...(campaignId ? { campaignId } : {}) })
  if (!result.success) throw new PartyInvalidError(validationReason(result.issues))
  return result.output
}

/**
 * Keeps a party made offline: checked as the server will check it (a wrong credit code is refused here, with
 * what is wrong), then stored 'waiting' until the next sync sends it.
 */
export async function createLocalParty(
  db: ZhixunDB,
  typed: NewParty,
  by: { department: string },
  campaignId?: string | null,
  now = Date.now(),
): Promise<LocalParty> {
  const input = checkedInput(uuidv7(now), typed, campaignId ?? undefined)
  const row: LocalParty = {
    id: input.id,
    name: input.name,
    creditCode: input.creditCode,
    address: input.address,
    personPresent: input.personPresent,
    personRole: input.personRole,
    phone: input.phone,
    department: by.department,
    initials: '',
    visits: [],
    state: 'waiting',
    savedAt: now,
    ...(input.campaignId ? { campaignId: input.campaignId } : {}),
  }
  await db.parties.add(row)
  return row
}

/** Corrects a party made here that the server has not taken (waiting, or rejected): it is sent again. */
export async function editLocalParty(db: ZhixunDB, id: string, typed: NewParty, now = Date.now()): Promise<LocalParty> {
  const current = await db.parties.get(id)
  if (!current || current.state === 'synced')
    throw new PartyInvalidError('only a party not yet on the server is edited here')
  const input = checkedInput(id, typed, current.campaignId)
  const row: LocalParty = {
    ...current,
    name: input.name,
    creditCode: input.creditCode,
    address: input.address,
    personPresent: input.personPresent,
    personRole: input.personRole,
    phone: input.phone,
    state: 'waiting',
    savedAt: now,
  }
  delete row.reason
  await db.parties.put(row)
  return row
}

const fromServer = (p: Party | PartyForPhone, savedAt: number): LocalParty => ({
  id: p.id,
  name: p.name,
  creditCode: p.creditCode,
  address: p.address,
  personPresent: p.personPresent,
  personRole: p.personRole,
  phone: p.phone,
  department: p.department,
  initials: 'initials' in p ? p.initials : '',
  visits: 'visits' in p ? p.visits.map((x) => ({ ...x })) : [],
  state: 'synced',
  savedAt,
})

/**
 * Keeps exactly the parties the server listed for this user, in one step: the last list's are replaced;
 * parties made here that the server has not taken (waiting, rejected) and the ids merged into others stay.
 * A party kept here that a supervisor merged into another (`merged`) becomes a pointer to that one.
 */
export async function replaceSyncedParties(
  db: ZhixunDB,
  parties: readonly PartyForPhone[],
  now = Date.now(),
  merged: readonly PartyMergeNote[] = [],
): Promise<void> {
  await db.transaction('rw', db.parties, async () => {
    const listed = new Set(parties.map((p) => p.id))
    const into = new Map(merged.map((m) => [m.id, m.into]))
    for (const row of await db.parties.bulkGet([...into.keys()])) {
      if (row && !listed.has(row.id))
        await db.parties.put({ ...row, state: 'synced', mergedInto: into.get(row.id)!, savedAt: now })
    }
    const stale = await db.parties.filter((p) => p.state === 'synced').toArray()
    await db.parties.bulkDelete(stale.filter((p) => !p.mergedInto && !listed.has(p.id)).map((p) => p.id))
    await db.parties.bulkPut(parties.map((p) => fromServer(p, now)))
  })
}

/**
 * After a supervisor's merge on the server: the merged party's row here points to the party it went into
 * (kept, so check-ins naming it find that one), and that party is kept here until the next sync lists it.
 */
export async function keepServerMerge(db: ZhixunDB, fromId: string, into: Party, now = Date.now()): Promise<void> {
  await db.transaction('rw', db.parties, async () => {
    const existing = await db.parties.get(into.id)
    if (!existing) await db.parties.put(fromServer(into, now))
    const from = await db.parties.get(fromId)
    if (from) await db.parties.put({ ...from, state: 'synced', mergedInto: into.id, savedAt: now })
  })
}

export type PostParty = (input: PartyInput) => Promise<{ party: Party; merged?: 'id' | 'creditCode' }>

/** Why the server refused a party, as kept on it: the code, and for a credit code which part is wrong. */
function refusalOf(err: ApiError): string {
  const problem = typeof err.body.problem === 'string' ? err.body.problem : undefined
  return problem ? `${err.code}:${problem}` : err.code
}

/** Whether a refusal is the party's own (it will never be taken as it is), not the session's or the moment's. */
const refusesParty = (err: unknown): err is ApiError =>
  err instanceof ApiError && err.status >= 400 && err.status < 500 && ![401, 408, 429].includes(err.status)

/**
 * Sends the parties made here to the server, oldest first. Taken (201, or 200 for the same id): synced. Merged
 * into a party the register already had under its credit code: that party is kept under its own id, and this
 * row stays as a pointer to it (`mergedInto`), so check-ins that named this id find it. Refused (a 4xx):
 * 'rejected' with the reason, kept to be corrected. Anything else (offline, signed out, a server failure):
 * stops, the rest wait for the next sync. Resolves with how many were sent.
 */
export async function pushWaitingParties(db: ZhixunDB, post: PostParty, now = Date.now()): Promise<number> {
  const waiting = await db.parties
    .orderBy('savedAt')
    .filter((p) => p.state === 'waiting')
    .toArray()
  let sent = 0
  for (const local of waiting) {
    const input: PartyInput = {
      id: local.id,
      name: local.name,
      creditCode: local.creditCode ?? '',
      address: local.address,
      personPresent: local.personPresent,
      personRole: local.personRole,
      phone: local.phone,
      ...(local.campaignId ? { campaignId: local.campaignId } : {}),
    }
    let answer: Awaited<ReturnType<PostParty>>
    try {
      answer = await post(input)
    } catch (err) {
      if (!refusesParty(err)) throw err
      await db.parties.update(local.id, { state: 'rejected', reason: refusalOf(err) })
      continue
    }
    sent++
    await db.transaction('rw', db.parties, async () => {
      if (answer.party.id === local.id) {
        await db.parties.put({ ...fromServer(answer.party, now), visits: local.visits })
        return
      }
      const existing = await db.parties.get(answer.party.id)
      await db.parties.put(existing?.state === 'synced' ? existing : fromServer(answer.party, now))
      await db.parties.put({ ...local, state: 'synced', mergedInto: answer.party.id, savedAt: now })
    })
  }
  return sent
}

/** The party an id names on this phone, following a merge to the party it became. */
export async function getParty(db: ZhixunDB, id: string): Promise<LocalParty | undefined> {
  const row = await db.parties.get(id)
  return row?.mergedInto ? ((await db.parties.get(row.mergedInto)) ?? row) : row
}

/** How many parties a search shows at most. */
export const PARTY_MATCHES = 50

/**
 * The parties that match what was typed: words of the name (any case), the start of a credit code (typed
 * with spaces, full-width or lower case), or the pinyin initials of the name (letters only; parties made here
 * have none until the server has them). By name; ids merged into others are not listed.
 */
export function matchParties(parties: readonly LocalParty[], typed: string, limit = PARTY_MATCHES): LocalParty[] {
  const text = typed.trim().toLowerCase()
  const code = normalizeCreditCode(typed)
  const letters = /^[a-z]+$/.test(text)
  return parties
    .filter(
      (p) =>
        !p.mergedInto &&
        (text === '' ||
          p.name.toLowerCase().includes(text) ||
          (code !== '' && p.creditCode !== null && p.creditCode.startsWith(code)) ||
          (letters && p.initials.includes(text))),
    )
    .sort((a, b) => a.name.localeCompare(b.name, 'zh-CN') || a.id.localeCompare(b.id))
    .slice(0, limit)
}

/** The parties on this phone that match (see matchParties). */
export async function searchLocalParties(db: ZhixunDB, typed: string, limit = PARTY_MATCHES): Promise<LocalParty[]> {
  return matchParties(await db.parties.toArray(), typed, limit)
}

export interface RegisterApi {
  post: PostParty
  mine: () => Promise<{ parties: PartyForPhone[]; merged: PartyMergeNote[] }>
  colleagues: typeof fetchColleagues
}

const serverApi: RegisterApi = { post: postParty, mine: fetchMyRegister, colleagues: fetchColleagues }

/**
 * One sync of the register, after the records and campaigns: the parties made here go up, then the parties
 * and colleagues of the inspector's department and campaigns come down, replacing the last lists. A failure
 * leaves the lists as they were (and parties made here waiting) until the next sync.
 */
export async function syncRegister(db: ZhixunDB, api: RegisterApi = serverApi): Promise<void> {
  await pushWaitingParties(db, api.post)
  const [{ parties, merged }, colleagues] = await Promise.all([api.mine(), api.colleagues()])
  await replaceSyncedParties(db, parties, Date.now(), merged)
  await replaceColleagues(db, colleagues)
}
