import type { FastifyInstance } from 'fastify'
import * as v from 'valibot'
import {
  MY_RECORDS_PAGE,
  type CheckInRelated,
  type MyCheckInsPage,
  type ServerCheckIn,
  type ServerInspection,
} from '../../src/kernel/retention'
import type { CheckIn, Inspection, Review } from '../../src/kernel/sync-schema'
import type { SessionUser } from '../../src/kernel/users'
import { requireUser } from '../auth/session'
import { readableRecords } from '../campaigns/store'
import { ID_MAX, isStorableId, type Store } from '../db/database'
import { DEFAULT_PLAN } from '../db/migration-0013'
import { ApiRefusal } from '../http/errors'
import { pathId, readRequest, Single, WholeNumber } from '../http/request'

const range = `must be 1 to ${MY_RECORDS_PAGE.max}`

/**
 * A page of "my records" older than the phone keeps: `before` an occurredAt (as the server answered it, or any ISO
 * time), `beforeId` the id of the last check-in of the page before (only with `before`: it breaks ties).
 */
const MineQuerySchema = v.pipe(
  v.object({
    before: v.optional(v.pipe(Single, v.isoTimestamp('must be an ISO timestamp'))),
    beforeId: v.optional(v.pipe(Single, v.minLength(1, 'must not be empty'), v.maxLength(ID_MAX, 'is too long'))),
    limit: v.optional(
      v.pipe(WholeNumber, v.minValue(1, range), v.maxValue(MY_RECORDS_PAGE.max, range)),
      String(MY_RECORDS_PAGE.default),
    ),
    task: v.optional(v.pipe(WholeNumber, v.minValue(1, 'must be a task number'))),
  }),
  v.forward(
    v.check((q) => q.beforeId === undefined || q.before !== undefined, 'needs before'),
    ['beforeId'],
  ),
)

const serverCheckIn = (r: {
  id: string
  version: number
  hash: string | null
  data: string | null
}): ServerCheckIn => ({
  id: r.id,
  version: r.version,
  hash: r.hash,
  data: JSON.parse(r.data!) as CheckIn,
})

/**
 * Check-ins a phone does not keep, read from the server: the user's own older ones ("my records" stays complete
 * after the phone let them go, src/db/retention.ts), and any one check-in the user may read (a supervisor's phone
 * no longer pulls the department's records).
 */
export async function recordRoutes(app: FastifyInstance, opts: { store: Store }): Promise<void> {
  const { db } = opts.store
  const noStore = { 'Cache-Control': 'private, no-store' }

  app.get('/api/records/mine', async (req, reply) => {
    const user = await requireUser(opts.store, req)
    const { before, beforeId, limit, task } = readRequest(MineQuerySchema, req.query)
    // Own check-ins only, whatever the role: the author's account, and the author the record names (by which the
    // (written_by, occurred_at) index finds them, newest first). Records pushed since accounts have both equal.
    let q = db
      .selectFrom('records')
      .select(['id', 'version', 'hash', 'data', 'occurred_at'])
      .where('written_by', '=', user.id)
      .where('author_id', '=', user.id)
      .where('kind', '=', 'checkin')
      .where('deleted', '=', 0)
      .where('data', 'is not', null)
    if (before !== undefined)
      q = q.where((eb) =>
        beforeId === undefined
          ? eb('occurred_at', '<', before)
          : eb.or([eb('occurred_at', '<', before), eb.and([eb('occurred_at', '=', before), eb('id', '<', beforeId)])]),
      )
    if (task !== undefined)
      q = q.where('id', 'in', (eb) =>
        eb
          .selectFrom('record_tasks')
          .select('record_tasks.record_id')
          .where('record_tasks.task_number', '=', task)
          .where('record_tasks.plan_id', '=', DEFAULT_PLAN),
      )
    const rows = await q
      .orderBy('occurred_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit + 1)
      .execute()
    const page = rows.slice(0, limit)
    const last = page.at(-1)
    reply.headers(noStore)
    return {
      checkIns: page.map(serverCheckIn),
      next: rows.length > limit && last ? { before: last.occurred_at!, beforeId: last.id } : null,
    } satisfies MyCheckInsPage
  })

  /** The record `id` of `kind` if `user` may read it (as the reports decide), else undefined. */
  async function readable(user: SessionUser, id: string, kind: 'checkin' | 'inspection') {
    if (!isStorableId(id)) return undefined
    const row = await (
      await readableRecords(db, db.selectFrom('records').select(['id', 'version', 'hash', 'data', 'department']), user)
    )
      .where('records.id', '=', id)
      .where('kind', '=', kind)
      .where('deleted', '=', 0)
      .executeTakeFirst()
    return row?.data ? row : undefined
  }

  /** The reviews, inspection records and corrections of the check-in `id` that `user` may read. */
  async function related(user: SessionUser, id: string): Promise<CheckInRelated> {
    const rows = await (
      await readableRecords(db, db.selectFrom('records').select(['id', 'kind', 'data']), user)
    )
      .where((eb) =>
        eb.or([
          eb.and([eb('kind', 'in', ['review', 'inspection']), eb('check_in_id', '=', id)]),
          eb.and([eb('kind', '=', 'checkin'), eb('correction_of', '=', id)]),
        ]),
      )
      .where('deleted', '=', 0)
      .where('data', 'is not', null)
      .orderBy('version')
      .execute()
    const of = <T>(kind: string) => rows.flatMap((r) => (r.kind === kind ? [JSON.parse(r.data!) as T] : []))
    // The latest as the phone decides it (src/db/retention.ts, CheckInInspectionLink): by time, then by id.
    const review = of<Review>('review').reduce<Review | null>(
      (a, r) => (!a || r.at > a.at || (r.at === a.at && r.id > a.id) ? r : a),
      null,
    )
    const signed = of<Inspection>('inspection').reduce<Inspection | null>(
      (a, r) => (!a || r.signedAt >= a.signedAt ? r : a),
      null,
    )
    const corrections = of<CheckIn>('checkin')
      .map((c) => ({ id: c.id, venueName: c.venueName, createdAt: c.createdAt }))
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt))
    return { review, inspection: signed && { id: signed.id, signedAt: signed.signedAt }, corrections }
  }

  app.get('/api/checkins/:id', async (req, reply) => {
    const user = await requireUser(opts.store, req)
    const row = await readable(user, pathId(req), 'checkin')
    if (!row) throw new ApiRefusal(404, 'not_found', 'No such check-in')
    reply.headers(noStore)
    // Beside it, what the check-in's page shows of it on a phone that holds it (a supervisor's or an admin's
    // phone holds its user's own records only; an inspector's lets go of old ones).
    return { checkIn: serverCheckIn(row), related: await related(user, row.id) }
  })

  app.get('/api/inspections/:id', async (req, reply) => {
    const user = await requireUser(opts.store, req)
    const row = await readable(user, pathId(req), 'inspection')
    if (!row) throw new ApiRefusal(404, 'not_found', 'No such inspection record')
    reply.headers(noStore)
    const asServer = (r: { id: string; version: number; hash: string | null; data: string | null }) => ({
      id: r.id,
      version: r.version,
      hash: r.hash,
      data: JSON.parse(r.data!) as Inspection,
    })
    const inspection: ServerInspection = { ...asServer(row), department: row.department }
    // Beside it, the records that correct it, as its page lists them on a phone that holds them.
    const siblings = await (
      await readableRecords(db, db.selectFrom('records').select(['id', 'version', 'hash', 'data']), user)
    )
      .where('kind', '=', 'inspection')
      .where('check_in_id', '=', inspection.data.checkInId)
      .where('deleted', '=', 0)
      .where('data', 'is not', null)
      .orderBy('version')
      .execute()
    const corrections = siblings.map(asServer).filter((r) => r.data.correctionOf === inspection.id)
    return { inspection, corrections }
  })
}
