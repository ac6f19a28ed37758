/**
 * A supervisor's review of a check-in: reviewed, or returned to its inspector with a comment. Each review is a
 * record of its own (kind 'review'), written like a push writes a check-in — the next version, under the
 * version counter's lock — and filed under the check-in's author, department and campaign, so the inspector's
 * phone and the department's supervisors pull it. Reviews are only added: the latest one stands.
 */
import type { Kysely } from 'kysely'
import * as v from 'valibot'
import { canManage } from '../../src/kernel/campaign-rules'
import { regionCovers, regionOf } from '../../src/kernel/regions'
import { canonicalJson } from '../../src/kernel/canonical'
import { sha256Hex } from '../sync/hash'
import type { Review } from '../../src/kernel/sync-schema'
import type { SessionUser } from '../../src/kernel/users'
import { uuidv7 } from '../../src/kernel/uuid'
import { appendAudit } from '../audit/log'
import { campaignOf, readableRecords } from '../campaigns/store'
import { isStorableId, nowIso, type Database, type RecordsTable } from '../db/database'
import { ApiRefusal, parseOrRefuse } from '../http/errors'
import { lockVersion } from '../sync/push'

export const REVIEW_COMMENT_MAX = 2000

/** The client id review records carry: the server made them, no phone did. */
export const SERVER_CLIENT_ID = 'server'

export const ReviewInputSchema = v.strictObject({
  action: v.picklist(['reviewed', 'returned'], 'must be reviewed or returned'),
  comment: v.optional(
    v.pipe(
      v.string(),
      v.trim(),
      v.maxLength(REVIEW_COMMENT_MAX, `must be at most ${REVIEW_COMMENT_MAX} characters`),
      // Lines and tabs are text; other control characters (a NUL PostgreSQL cannot even store) are not.
      // eslint-disable-next-line no-control-regex
      v.regex(/^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]*$/, 'must not contain control characters'),
    ),
    '',
  ),
})

/** The check-in `user` may read, as stored; a 404 for one they may not (it says nothing of whether it exists). */
export async function readableCheckIn(db: Kysely<Database>, user: SessionUser, id: string): Promise<RecordsTable> {
  const row = isStorableId(id)
    ? await (
        await readableRecords(db, db.selectFrom('records').selectAll(), user)
      )
        .where('records.id', '=', id)
        .where('records.kind', '=', 'checkin')
        .where('records.deleted', '=', 0)
        .executeTakeFirst()
    : undefined
  if (!row) throw new ApiRefusal(404, 'not_found', 'No such check-in')
  return row
}

/**
 * Who may review a check-in: an admin; a supervisor of its department in its region (a provincial one: any), or
 * of the department running its campaign.
 */
async function mayReview(db: Kysely<Database>, user: SessionUser, checkIn: RecordsTable): Promise<boolean> {
  if (user.role === 'admin') return true
  if (user.role !== 'supervisor') return false
  if (checkIn.department === user.department && regionCovers(regionOf(user), regionOf(checkIn))) return true
  if (checkIn.campaign_id === null) return false
  const campaign = await db.selectFrom('campaigns').selectAll().where('id', '=', checkIn.campaign_id).executeTakeFirst()
  return campaign !== undefined && canManage(user, campaignOf(campaign))
}

/** Reviews `checkInId` as `user` asks: 404 if they cannot read it, 403 if it is not theirs to review. */
export async function reviewCheckIn(
  db: Kysely<Database>,
  user: SessionUser,
  checkInId: string,
  body: unknown,
): Promise<Review> {
  const checkIn = await readableCheckIn(db, user, checkInId)
  if (!(await mayReview(db, user, checkIn)))
    throw new ApiRefusal(403, 'forbidden', "Only the check-in's department's supervisors or its campaign's review it")
  const input = parseOrRefuse(ReviewInputSchema, body, 'invalid')
  if (input.action === 'returned' && input.comment === '')
    throw new ApiRefusal(400, 'comment_required', 'Say why the check-in is returned', { field: 'comment' })
  return db.transaction().execute(async (tx) => {
    // The same lock a push takes: versions commit in the order they are handed out (server/sync/push.ts).
    const version = (await lockVersion(tx)) + 1
    const at = nowIso()
    const review: Review = {
      id: uuidv7(),
      checkInId: checkIn.id,
      action: input.action,
      comment: input.comment,
      reviewerId: user.id,
      reviewerName: user.displayName,
      at,
    }
    const data = canonicalJson(review)
    await tx
      .insertInto('records')
      .values({
        id: review.id,
        kind: 'review',
        version,
        client_id: SERVER_CLIENT_ID,
        task_number: null,
        data,
        hash: await sha256Hex(data),
        deleted: 0,
        conflict_of: null,
        author_id: checkIn.author_id,
        department: checkIn.department,
        region: checkIn.region,
        campaign_id: checkIn.campaign_id,
        check_in_id: checkIn.id,
        signature_status: null,
        signature: null,
        created_at: at,
        updated_at: at,
      })
      .execute()
    await tx.updateTable('counters').set({ value: version }).where('name', '=', 'version').execute()
    await appendAudit(tx, [
      {
        actorId: user.id,
        action: `review.${input.action}`,
        targetKind: 'checkin',
        targetId: checkIn.id,
        detail: { reviewId: review.id, comment: review.comment },
      },
    ])
    return review
  })
}

/** The reviews of any of the given records' kind 'review' rows, oldest first. */
const reviewsOf = (rows: readonly { data: string | null }[]): Review[] =>
  rows.flatMap((r) => (r.data === null ? [] : [JSON.parse(r.data) as Review]))

/** Every review of `checkInId`, oldest first, as stored. */
export async function reviewsOfCheckIn(db: Kysely<Database>, checkInId: string): Promise<RecordsTable[]> {
  return db
    .selectFrom('records')
    .selectAll()
    .where('kind', '=', 'review')
    .where('check_in_id', '=', checkInId)
    .orderBy('version')
    .execute()
}

/** The latest review of each check-in of a campaign, by check-in id. */
export async function latestReviews(db: Kysely<Database>, campaignId: string): Promise<Map<string, Review>> {
  const rows = await db
    .selectFrom('records')
    .select('data')
    .where('kind', '=', 'review')
    .where('campaign_id', '=', campaignId)
    .orderBy('version')
    .execute()
  return new Map(reviewsOf(rows).map((r) => [r.checkInId, r]))
}
