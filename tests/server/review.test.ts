import { afterAll, beforeAll, expect, it } from 'vitest'
import { recordHash } from '../../src/kernel/canonical'
import type { CampaignReport } from '../../src/kernel/campaign-schema'
import type { CheckIn, PullResponse, Review } from '../../src/kernel/sync-schema'
import { pusher, type Who } from '../helpers/integrity'
import { HOSTILE, makeCheckIn } from '../helpers/records'
import { realDataset } from '../helpers/seed'
import { describeStores, makeServer, signedIn, type TestServer } from '../helpers/server'
import { isCollectiveDepartment } from '../../src/kernel/departments'

const A = '省知识产权局'
const B = '省工商局'
// Departments an account may belong to: not a collective name such as 各有关单位 (src/kernel/departments.ts).
const [C, D] = realDataset.departments
  .map((d) => d.name)
  .filter((n) => n !== A && n !== B && !isCollectiveDepartment(n))

describeStores('reviewing check-ins on %s', (kind) => {
  let s: TestServer
  let inspector: Who
  let supA: Who
  let supB: Who
  let supC: Who
  let supD: Who
  let admin: Who
  let checkIn: CheckIn
  let campaignId: string
  let push: ReturnType<typeof pusher>['push']

  const review = (who: Who, id: string, body: unknown) =>
    s.app.inject({
      method: 'POST',
      url: `/api/checkins/${id}/review`,
      headers: { cookie: who.cookie },
      payload: body as object,
    })
  const pull = async (who: Who, cursor = 0) =>
    (
      await s.app.inject({ url: `/api/sync/pull?cursor=${cursor}`, headers: { cookie: who.cookie } })
    ).json() as PullResponse

  beforeAll(async () => {
    s = await makeServer(kind)
    inspector = await signedIn(s, 'inspector', A)
    supA = await signedIn(s, 'supervisor', A)
    supB = await signedIn(s, 'supervisor', B)
    supC = await signedIn(s, 'supervisor', C!)
    supD = await signedIn(s, 'supervisor', D!)
    admin = await signedIn(s, 'admin', A)
    // Run by department B, with A (the inspector's) and C taking part.
    const campaign = await s.app.inject({
      method: 'POST',
      url: '/api/campaigns',
      headers: { cookie: supB.cookie },
      payload: {
        name: '清源行动',
        description: '',
        taskNumbers: [37],
        departments: [A, C],
        inspectorIds: [inspector.user.id],
        startDate: '2026-11-01',
        endDate: '2026-12-31',
        venues: [],
      },
    })
    expect(campaign.statusCode, campaign.body).toBe(201)
    campaignId = campaign.json().campaign.id
    push = pusher(
      () => s,
      () => inspector,
    ).push
    checkIn = makeCheckIn({ authorId: inspector.user.id, campaignId })
    expect((await push([{ name: 'checkin.create', args: checkIn }])).status).toBe(200)
    // Seven accounts signed in, each a password hash: more than a hook's usual 10 s on a busy machine.
  }, 60_000)
  afterAll(() => s.close())

  it('lets the department’s supervisors, the campaign’s and admins review; others who read it are refused, the rest told nothing', async () => {
    for (const who of [supA, supB, admin]) {
      const res = await review(who, checkIn.id, { action: 'reviewed', comment: '' })
      expect(res.statusCode, res.body).toBe(200)
      const r = res.json().review as Review
      expect(r).toMatchObject({ checkInId: checkIn.id, action: 'reviewed', comment: '', reviewerId: who.user.id })
      expect(r.reviewerName).toBeTruthy()
      expect(Date.parse(r.at)).toBeGreaterThan(Date.now() - 60_000)
    }
    // C takes part in the campaign, so its supervisor reads the check-in, but does not review it.
    const c = await review(supC, checkIn.id, { action: 'reviewed' })
    expect([c.statusCode, c.json().error]).toEqual([403, 'forbidden'])
    const own = await review(inspector, checkIn.id, { action: 'reviewed' })
    expect([own.statusCode, own.json().error]).toEqual([403, 'forbidden'])
    const other = await signedIn(s, 'inspector', A)
    for (const who of [supD, other]) {
      const res = await review(who, checkIn.id, { action: 'reviewed' })
      expect([res.statusCode, res.json().error]).toEqual([404, 'not_found'])
    }
    const none = await review(admin, '0190a0a0-0000-7000-8000-000000000000', { action: 'reviewed' })
    expect([none.statusCode, none.json().error]).toEqual([404, 'not_found'])
    const signedOut = await s.app.inject({ method: 'POST', url: `/api/checkins/${checkIn.id}/review`, payload: {} })
    expect(signedOut.statusCode).toBe(401)
  })

  it('returns a check-in only with a comment, and refuses what is not a review', async () => {
    for (const body of [
      { action: 'returned' },
      { action: 'returned', comment: '' },
      { action: 'returned', comment: '  \n ' },
    ]) {
      const res = await review(supA, checkIn.id, body)
      expect([res.statusCode, res.json().error], JSON.stringify(body)).toEqual([400, 'comment_required'])
    }
    for (const body of [
      { action: 'approved', comment: 'x' },
      { comment: 'x' },
      { action: 'returned', comment: 'x'.repeat(2001) },
      { action: 'returned', comment: 5 },
      { action: 'returned', comment: 'x', extra: 1 },
      { action: 'returned', comment: 'a\u0000b' },
      { action: 'reviewed', comment: 'bell\u0007' },
      null,
    ]) {
      const res = await review(supA, checkIn.id, body)
      expect([res.statusCode, res.json().error], JSON.stringify(body)).toEqual([400, 'invalid'])
    }
  })

  it('keeps hostile comments as text, word for word', async () => {
    // The bell is refused above; tabs, line breaks, bidi overrides and markup are text.
    for (const comment of HOSTILE.map((h) => h.replaceAll('\u0007', ''))) {
      const res = await review(supA, checkIn.id, { action: 'returned', comment })
      expect(res.statusCode, comment).toBe(200)
      const stored = await s.store.db
        .selectFrom('records')
        .select('data')
        .where('id', '=', (res.json().review as Review).id)
        .executeTakeFirstOrThrow()
      expect((JSON.parse(stored.data!) as Review).comment).toBe(comment.trim())
    }
  })

  it('makes a review record the inspector pulls (supervisors pull only their own), next in the version order', async () => {
    const before = await pull(inspector)
    const comment = `请补拍展位全景照片。${HOSTILE[0]}`
    const res = await review(supA, checkIn.id, { action: 'returned', comment: `  ${comment} ` })
    expect(res.statusCode, res.body).toBe(200)
    const returned = res.json().review as Review
    expect(returned.comment).toBe(comment)
    const mine = await pull(inspector, before.cursor)
    expect(mine.changes).toHaveLength(1)
    const change = mine.changes[0]!
    expect(change).toMatchObject({ kind: 'review', id: returned.id, deleted: false, version: before.cursor + 1 })
    expect(change.data).toEqual(returned)
    expect(change.hash).toBe(await recordHash(returned))
    expect(mine.cursor).toBe(change.version)
    // Supervisors pull their own records only: the department's they read from the server's reports.
    expect((await pull(supA, before.cursor)).changes).toEqual([])
    expect((await pull(supB, before.cursor)).changes).toEqual([])

    // A push after it takes the next version: none shared, none skipped.
    const next = makeCheckIn({ authorId: inspector.user.id, campaignId })
    const pushed = await push([{ name: 'checkin.create', args: next }])
    expect(pushed.body.versions).toEqual({ from: change.version + 1, to: change.version + 1 })
  })

  it('shows the latest review on the campaign report', async () => {
    const report = async () =>
      (
        await s.app.inject({ url: `/api/campaigns/${campaignId}/report`, headers: { cookie: supB.cookie } })
      ).json() as CampaignReport
    const unreviewed = makeCheckIn({ authorId: inspector.user.id, campaignId })
    expect((await push([{ name: 'checkin.create', args: unreviewed }])).status).toBe(200)
    await review(supA, checkIn.id, { action: 'returned', comment: '请补拍' })
    const latest = (await review(supB, checkIn.id, { action: 'reviewed', comment: '已补充，复核通过' })).json()
      .review as Review
    const items = (await report()).checkIns
    expect(items.find((c) => c.id === checkIn.id)?.review).toEqual(latest)
    // A check-in nobody reviewed says so.
    expect(items.find((c) => c.id === unreviewed.id)?.review).toBeNull()
  })
})
