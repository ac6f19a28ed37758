import type { Kysely, SelectQueryBuilder } from 'kysely'
import { canManage, canRead } from '../../src/kernel/campaign-rules'
import { CampaignInputSchema, type Campaign, type CampaignInput } from '../../src/kernel/campaign-schema'
import { isCollectiveDepartment } from '../../src/kernel/departments'
import { isRegion, PROVINCE, regionCovers, regionOf } from '../../src/kernel/regions'
import { uuidv7 } from '../../src/kernel/uuid'
import type { SessionUser } from '../../src/kernel/users'
import { appendAudit } from '../audit/log'
import { ID_MAX, nowIso, type CampaignsTable, type Database } from '../db/database'
import { ApiRefusal, parseOrRefuse } from '../http/errors'

type StoredData = Pick<
  Campaign,
  'description' | 'taskNumbers' | 'departments' | 'inspectorIds' | 'startDate' | 'endDate' | 'venues'
> & {
  /** Absent on campaigns stored before the setting: they do not require it. */
  requireTwoCertified?: boolean
  /** Absent on campaigns stored before regions: provincial. */
  region?: string
}

export function campaignOf(row: CampaignsTable): Campaign {
  const data = JSON.parse(row.data) as StoredData
  return {
    id: row.id,
    name: row.name,
    ...data,
    requireTwoCertified: data.requireTwoCertified === true,
    region: data.region ?? PROVINCE,
    ownerDepartment: row.owner_department,
    createdBy: row.created_by,
    version: row.version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
}

export async function allCampaigns(db: Kysely<Database>): Promise<Campaign[]> {
  const rows = await db.selectFrom('campaigns').selectAll().orderBy('created_at', 'desc').execute()
  return rows.map(campaignOf)
}

export async function campaignsFor(db: Kysely<Database>, user: SessionUser): Promise<Campaign[]> {
  return (await allCampaigns(db)).filter((c) => canRead(user, c))
}

/** The campaign, or 404 when it does not exist and 403 when it exists but is not `user`'s to read. */
export async function readableCampaign(db: Kysely<Database>, user: SessionUser, id: string): Promise<Campaign> {
  const row =
    id.length <= ID_MAX
      ? await db.selectFrom('campaigns').selectAll().where('id', '=', id).executeTakeFirst()
      : undefined
  if (!row) throw new ApiRefusal(404, 'not_found', 'No such campaign')
  const campaign = campaignOf(row)
  if (!canRead(user, campaign)) throw new ApiRefusal(403, 'forbidden', 'This campaign is not yours to read')
  return campaign
}

/**
 * Records `user` may read: their own wherever they wrote them; an inspector's, the records of every campaign
 * naming them; a supervisor's, their department's and those of every campaign they may read, in their region (a
 * city supervisor: only records whose author was of their city when pushing); an admin's, all of them. Every
 * read of records by supervisors goes through here: reports' lists, coverage, check-ins, photos, evidence.
 */
export async function readableRecords<O>(
  db: Kysely<Database>,
  q: SelectQueryBuilder<Database, 'records', O>,
  user: SessionUser,
): Promise<SelectQueryBuilder<Database, 'records', O>> {
  if (user.role === 'admin') return q
  const campaignIds = (await campaignsFor(db, user)).map((c) => c.id)
  const region = regionOf(user)
  return q.where((eb) => {
    const ofCampaigns = campaignIds.length > 0 ? [eb('records.campaign_id', 'in', campaignIds)] : []
    if (user.role !== 'supervisor') return eb.or([eb('records.author_id', '=', user.id), ...ofCampaigns])
    const scope = eb.or([eb('records.department', '=', user.department), ...ofCampaigns])
    return eb.or([
      eb('records.author_id', '=', user.id),
      region === PROVINCE ? scope : eb.and([scope, eb('records.region', '=', region)]),
    ])
  })
}

export interface SaveContext {
  db: Kysely<Database>
  user: SessionUser
  departments: ReadonlySet<string>
  taskNumbers: ReadonlySet<number>
}

const parseInput = (body: unknown): CampaignInput => parseOrRefuse(CampaignInputSchema, body, 'invalid')

/**
 * Everything in a campaign must exist: tasks, departments, and inspectors of those departments (of its city, for a
 * city's campaign: its supervisors see their city only). A collective name (各…, src/kernel/departments.ts) is no
 * department to lead or take part: refused unless `kept`, already the campaign's or the user's own (stored earlier).
 */
async function checkReferences(
  ctx: SaveContext,
  input: CampaignInput,
  owner: string,
  region: string,
  kept: readonly string[],
): Promise<void> {
  const task = input.taskNumbers.find((n) => !ctx.taskNumbers.has(n))
  if (task !== undefined) throw new ApiRefusal(400, 'unknown_task', `No task ${task}`, { detail: String(task) })
  const department = [owner, ...input.departments].find((d) => !ctx.departments.has(d))
  if (department !== undefined)
    throw new ApiRefusal(400, 'unknown_department', `No department named ${department}`, { detail: department })
  const collective = [owner, ...input.departments].find(
    (d) => isCollectiveDepartment(d) && d !== ctx.user.department && !kept.includes(d),
  )
  if (collective !== undefined)
    throw new ApiRefusal(400, 'unknown_department', `${collective} names many bodies, not one department`, {
      detail: collective,
    })
  const ids = [...new Set(input.inspectorIds)]
  if (ids.length === 0) return
  const users = await ctx.db
    .selectFrom('users')
    .select(['id', 'department', 'disabled', 'region'])
    .where('id', 'in', ids)
    .execute()
  const allowed = new Set([owner, ...input.departments])
  const stranger = ids.find((id) => {
    const u = users.find((x) => x.id === id)
    return !u || u.disabled || !allowed.has(u.department) || !regionCovers(region, regionOf(u))
  })
  if (stranger !== undefined) {
    throw new ApiRefusal(
      400,
      'unknown_inspector',
      'Every inspector must be an active user of a participating department',
      { detail: stranger },
    )
  }
}

function rowData(input: CampaignInput, region: string): string {
  const data: StoredData = {
    description: input.description,
    taskNumbers: [...new Set(input.taskNumbers)].sort((a, b) => a - b),
    departments: [...new Set(input.departments)],
    inspectorIds: [...new Set(input.inspectorIds)],
    startDate: input.startDate,
    endDate: input.endDate,
    venues: [...new Set(input.venues)],
    requireTwoCertified: input.requireTwoCertified,
    region,
  }
  return JSON.stringify(data)
}

/** The department that runs the campaign: as given, else as it was (an edit), else the user's own. */
function ownerFor(user: SessionUser, input: CampaignInput, current?: string): string {
  const owner = input.ownerDepartment ?? current ?? user.department
  if (user.role === 'supervisor' && owner !== user.department) {
    throw new ApiRefusal(403, 'forged_department', 'A supervisor runs campaigns of their own department only')
  }
  return owner
}

/**
 * The region the campaign is run in: as given, else as it was (an edit from a phone that knows no regions), else
 * the user's own. A city supervisor runs their city's campaigns only; a provincial one and an admin any region's.
 */
function regionFor(user: SessionUser, input: CampaignInput, current?: string): string {
  const region = input.region ?? current ?? regionOf(user)
  if (!isRegion(region)) throw new ApiRefusal(400, 'invalid_region', `No region ${region}`, { field: 'region' })
  if (user.role !== 'admin' && !regionCovers(regionOf(user), region)) {
    throw new ApiRefusal(403, 'forged_region', "A city's supervisor runs campaigns of their own city only")
  }
  return region
}

function refuseInspectors(user: SessionUser): void {
  if (user.role === 'inspector') throw new ApiRefusal(403, 'forbidden', 'Only supervisors and admins manage campaigns')
}

const campaignChanged = (details: { version?: number } = {}) =>
  new ApiRefusal(409, 'campaign_changed', 'Someone changed this campaign since you opened it', details)

export async function createCampaign(ctx: SaveContext, body: unknown): Promise<Campaign> {
  refuseInspectors(ctx.user)
  const input = parseInput(body)
  const owner = ownerFor(ctx.user, input)
  const region = regionFor(ctx.user, input)
  await checkReferences(ctx, input, owner, region, [])
  const at = nowIso()
  const row: CampaignsTable = {
    id: uuidv7(),
    name: input.name,
    owner_department: owner,
    data: rowData(input, region),
    version: 1,
    created_by: ctx.user.id,
    created_at: at,
    updated_at: at,
  }
  await ctx.db.transaction().execute(async (tx) => {
    await tx.insertInto('campaigns').values(row).execute()
    await grantAccess(tx, row.id, input.inspectorIds)
    await appendAudit(tx, [
      {
        actorId: ctx.user.id,
        action: 'campaign.create',
        targetKind: 'campaign',
        targetId: row.id,
        detail: { name: row.name, version: row.version },
      },
    ])
  })
  return campaignOf(row)
}

export async function updateCampaign(ctx: SaveContext, id: string, body: unknown): Promise<Campaign> {
  refuseInspectors(ctx.user)
  const current = await readableCampaign(ctx.db, ctx.user, id).catch((err: unknown) => {
    // A supervisor who may not even read it is told the same as one who may read but not change it.
    if (err instanceof ApiRefusal && err.status === 403)
      throw new ApiRefusal(403, 'forbidden', 'This campaign is not yours to change')
    throw err
  })
  if (!canManage(ctx.user, current)) throw new ApiRefusal(403, 'forbidden', 'This campaign is not yours to change')
  const input = parseInput(body)
  const owner = ownerFor(ctx.user, input, current.ownerDepartment)
  const region = regionFor(ctx.user, input, current.region)
  if (input.version !== undefined && input.version !== current.version) {
    throw campaignChanged({ version: current.version })
  }
  await checkReferences(ctx, input, owner, region, [current.ownerDepartment, ...current.departments])
  const updated = {
    name: input.name,
    owner_department: owner,
    data: rowData(input, region),
    version: current.version + 1,
    updated_at: nowIso(),
  }
  await ctx.db.transaction().execute(async (tx) => {
    const res = await tx
      .updateTable('campaigns')
      .set(updated)
      .where('id', '=', id)
      .where('version', '=', current.version)
      .executeTakeFirst()
    if (Number(res.numUpdatedRows) !== 1) throw campaignChanged()
    await grantAccess(tx, id, input.inspectorIds)
    await appendAudit(tx, [
      {
        actorId: ctx.user.id,
        action: 'campaign.update',
        targetKind: 'campaign',
        targetId: id,
        detail: { name: updated.name, version: updated.version },
      },
    ])
  })
  return { ...current, ...campaignOf({ ...updated, id, created_by: current.createdBy, created_at: current.createdAt }) }
}

async function grantAccess(tx: Kysely<Database>, campaignId: string, userIds: string[]): Promise<void> {
  const ids = [...new Set(userIds)]
  if (ids.length === 0) return
  await tx
    .insertInto('campaign_access')
    .values(ids.map((user_id) => ({ campaign_id: campaignId, user_id })))
    .onConflict((oc) => oc.columns(['campaign_id', 'user_id']).doNothing())
    .execute()
}
