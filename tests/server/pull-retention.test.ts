import { afterAll, beforeAll, expect, it } from 'vitest'
import { retentionCutoff, type CheckInRelated, type MyCheckInsPage } from '../../src/kernel/retention'
import type { Change, CheckIn, PullResponse } from '../../src/kernel/sync-schema'
import { makeInspection, newClientId, pusher, type Who } from '../helpers/integrity'
import { makeCheckIn } from '../helpers/records'
import { describeStores, makeServer, signedIn, type TestServer } from '../helpers/server'

const A = '省知识产权局'
const DAY = 86_400_000

/**
 * A phone says what it keeps when it pulls (`keepFrom`, src/db/retention.ts) and which client it is: the server
 * leaves out the user's own check-ins it would let go at once, with their inspection records and reviews, and
 * still moves the cursor past them. Older phones say nothing and are sent everything.
 */
describeStores('a pull leaves out what the phone would let go at once, on %s', (kind) => {
  let s: TestServer
  let inspector: Who
  let supervisor: Who
  let admin: Who
  let phone: ReturnType<typeof pusher>
  /** Happened 200 days ago, with a signed inspection record. */
  let old: CheckIn
  let oldInspection: ReturnType<typeof makeInspection>
  /** A signed record correcting `oldInspection`. */
  let oldInspectionFix: ReturnType<typeof makeInspection>
  /** Old and returned by the supervisor, not corrected: a phone keeps it to answer. */
  let returned: CheckIn
  /** Old, returned, and corrected by `fix` (old too): a phone lets it go. */
  let answered: CheckIn
  let fix: CheckIn
  /** Old and reviewed (not returned). */
  let reviewed: CheckIn
  /** Ten days old, with an inspection record. */
  let recent: CheckIn
  let recentInspection: ReturnType<typeof makeInspection>
  /** The oldest, written last in the setup: the cursor must pass something left out. */
  let oldest: CheckIn
  let latest: number
  /** The reviews that returned `returned` and `answered`, in the setup. */
  let setupReviews: string[] = []

  const ago = (days: number) => new Date(Date.now() - days * DAY).toISOString()
  const cutoff = () => retentionCutoff(Date.now())
  const pullAs = async (who: Who, query: string): Promise<PullResponse> => {
    const res = await s.app.inject({ url: `/api/sync/pull?${query}`, headers: { cookie: who.cookie } })
    expect(res.statusCode, res.body).toBe(200)
    return res.json() as PullResponse
  }
  /** Every page after `cursor`, as a phone saying `extra` reads them; the changes and the last cursor. */
  const pullAll = async (who: Who, extra: string, cursor = 0, limit = 500) => {
    const changes: Change[] = []
    for (let n = 0; n < 200; n++) {
      const page = await pullAs(who, `cursor=${cursor}&limit=${limit}${extra}`)
      changes.push(...page.changes)
      expect(page.cursor).toBeGreaterThanOrEqual(cursor)
      cursor = page.cursor
      if (!page.more) break
    }
    return { changes, cursor }
  }
  const newPhone = () => `&keepFrom=${encodeURIComponent(cutoff())}&client=${newClientId('new-phone')}`
  const review = async (id: string, action: 'reviewed' | 'returned') => {
    const res = await s.app.inject({
      method: 'POST',
      url: `/api/checkins/${id}/review`,
      headers: { cookie: supervisor.cookie },
      payload: { action, comment: action === 'returned' ? '请补拍照片。' : '' },
    })
    expect(res.statusCode, res.body).toBe(200)
    return (res.json() as { review: { id: string } }).review.id
  }
  const ids = (changes: Change[]) => changes.map((c) => c.id)
  const reviewsOf = (changes: Change[], checkInId: string) =>
    changes.filter((c) => c.kind === 'review' && (c.data as { checkInId: string }).checkInId === checkInId)

  beforeAll(async () => {
    s = await makeServer(kind)
    inspector = await signedIn(s, 'inspector', A)
    supervisor = await signedIn(s, 'supervisor', A)
    admin = await signedIn(s, 'admin', A)
    phone = pusher(
      () => s,
      () => inspector,
    )
    const mine = (days: number, o: Partial<CheckIn> = {}) =>
      makeCheckIn({ authorId: inspector.user.id, occurredAt: ago(days), createdAt: ago(days), ...o })
    old = mine(200)
    oldInspection = makeInspection({ authorId: inspector.user.id, checkInId: old.id })
    oldInspectionFix = makeInspection({
      authorId: inspector.user.id,
      checkInId: old.id,
      correctionOf: oldInspection.id,
      signedAt: '2026-11-21T03:12:00.000Z',
    })
    returned = mine(201)
    answered = mine(202)
    reviewed = mine(203)
    recent = mine(10)
    recentInspection = makeInspection({ authorId: inspector.user.id, checkInId: recent.id })
    const create = (args: unknown) => ({ name: 'checkin.create', args })
    const inspect = (args: unknown) => ({ name: 'inspection.create', args })
    const first = await phone.push([
      create(old),
      inspect(oldInspection),
      inspect(oldInspectionFix),
      create(returned),
      create(answered),
      create(reviewed),
      create(recent),
      inspect(recentInspection),
    ])
    expect(first.body.results.map((r) => r.status)).toEqual(Array(8).fill('applied'))
    setupReviews = [await review(returned.id, 'returned'), await review(answered.id, 'returned')]
    await review(reviewed.id, 'reviewed')
    fix = mine(202, { correctionOf: answered.id, occurredAt: answered.occurredAt })
    oldest = mine(250)
    const last = await phone.push([create(fix), create(oldest)])
    expect(last.body.results.map((r) => r.status)).toEqual(['applied', 'applied'])
    latest = last.body.versions!.to
  }, 60_000)
  afterAll(() => s?.close())

  it('sends a new phone its recent records and the returned one to answer, and moves its cursor past the rest', async () => {
    const { changes, cursor } = await pullAll(inspector, newPhone())
    const sent = ids(changes)
    // The returned one comes with the review that returned it, and the correction of the one corrected, so a phone
    // still holding that one learns it is answered.
    expect(sent).toEqual(expect.arrayContaining([returned.id, setupReviews[0], fix.id, recent.id, recentInspection.id]))
    expect(reviewsOf(changes, returned.id)).toHaveLength(1)
    // Old ones corrected, reviewed or not at all do not, nor their inspection records and reviews.
    for (const id of [
      answered.id,
      setupReviews[1],
      old.id,
      oldInspection.id,
      oldInspectionFix.id,
      reviewed.id,
      oldest.id,
    ])
      expect(sent).not.toContain(id)
    expect(reviewsOf(changes, reviewed.id)).toEqual([])
    // The cursor stands where an older phone's does, past the last version: one left out.
    expect(cursor).toBe((await pullAll(inspector, '')).cursor)
    expect(cursor).toBeGreaterThanOrEqual(latest)
    // In version order, as ever.
    const versions = changes.map((c) => c.version)
    expect(versions).toEqual([...versions].sort((a, b) => a - b))
  })

  it('passes what it leaves out page by page too, each page’s cursor past it', async () => {
    const whole = await pullAll(inspector, newPhone())
    const paged = await pullAll(inspector, newPhone(), 0, 1)
    // A page may carry a returned check-in again with its review, when an earlier page carried it already.
    expect(new Set(ids(paged.changes))).toEqual(new Set(ids(whole.changes)))
    expect(paged.cursor).toBe(whole.cursor)
  })

  it('sends an older phone, which says nothing of what it keeps, everything as before', async () => {
    const { changes, cursor } = await pullAll(inspector, '')
    expect(ids(changes)).toEqual(expect.arrayContaining([old.id, oldInspection.id, reviewed.id, recent.id]))
    expect(reviewsOf(changes, reviewed.id)).toHaveLength(1)
    expect(cursor).toBeGreaterThanOrEqual(latest)
  })

  it('sends a phone back everything it pushed itself, whatever its age', async () => {
    const { changes } = await pullAll(inspector, `&keepFrom=${encodeURIComponent(cutoff())}&client=${phone.clientId}`)
    const everything = await pullAll(inspector, '')
    expect(ids(changes)).toEqual(ids(everything.changes))
  })

  it('keeps "my records" complete: what a new phone is not sent is listed from the server', async () => {
    const { changes } = await pullAll(inspector, newPhone())
    const sent = new Set(ids(changes))
    const listed = await s.app.inject({
      url: `/api/records/mine?limit=200&before=${encodeURIComponent(cutoff())}`,
      headers: { cookie: inspector.cookie },
    })
    expect(listed.statusCode).toBe(200)
    const older = new Set((listed.json() as MyCheckInsPage).checkIns.map((c) => c.id))
    const all = (await pullAll(inspector, '')).changes.filter((c) => c.kind === 'checkin')
    expect(all.filter((c) => !sent.has(c.id) && !older.has(c.id)).map((c) => c.id)).toEqual([])
  })

  it('never holds back more than the server’s own window, whatever the phone’s clock says', async () => {
    // A phone with its clock a year ahead would let go of everything: it is sent the last 180 days all the same.
    const ahead = new Date(Date.now() + 365 * DAY).toISOString()
    const { changes } = await pullAll(
      inspector,
      `&keepFrom=${encodeURIComponent(ahead)}&client=${newClientId('ahead')}`,
    )
    expect(ids(changes)).toEqual(expect.arrayContaining([recent.id, recentInspection.id]))
    // One with its clock years behind keeps everything it is sent.
    const behind = await pullAll(inspector, `&keepFrom=2001-01-01T00:00:00.000Z&client=${newClientId('behind')}`)
    expect(ids(behind.changes)).toEqual(ids((await pullAll(inspector, '')).changes))
  })

  it('brings an old check-in back with the review that returns it later, and nothing with one that does not', async () => {
    const query = newPhone()
    const before = (await pullAll(inspector, query)).cursor
    const aged = makeCheckIn({ authorId: inspector.user.id, occurredAt: ago(300), createdAt: ago(300) })
    const agedInspection = makeInspection({ authorId: inspector.user.id, checkInId: aged.id })
    const seen = makeCheckIn({ authorId: inspector.user.id, occurredAt: ago(301), createdAt: ago(301) })
    const pushed = await phone.push([
      { name: 'checkin.create', args: aged },
      { name: 'inspection.create', args: agedInspection },
      { name: 'checkin.create', args: seen },
    ])
    expect(pushed.body.results.map((r) => r.status)).toEqual(['applied', 'applied', 'applied'])
    // Another phone of the inspector's, which did not push them, is sent none of them.
    const first = await pullAll(inspector, query, before)
    expect(first.changes).toEqual([])
    // Reviewed, not returned: the phone would let it go, so nothing comes; the cursor moves on.
    await review(seen.id, 'reviewed')
    const quiet = await pullAll(inspector, query, first.cursor)
    expect(quiet.changes).toEqual([])
    expect(quiet.cursor).toBeGreaterThan(first.cursor)
    // Returned: the phone keeps it to answer, so it comes with its inspection record, before the review.
    const returning = await review(aged.id, 'returned')
    const again = await pullAll(inspector, query, quiet.cursor)
    expect(again.changes.map((c) => [c.kind, c.id])).toEqual([
      ['checkin', aged.id],
      ['inspection', agedInspection.id],
      ['review', returning],
    ])
    expect(again.changes[0]).toMatchObject({ data: aged, deleted: false })
    expect(again.changes[0]!.version).toBeLessThanOrEqual(quiet.cursor)
    // Its correction, old as it is, then comes too: the phone holding it learns it is answered.
    const correction = makeCheckIn({
      authorId: inspector.user.id,
      occurredAt: aged.occurredAt,
      createdAt: aged.createdAt,
      correctionOf: aged.id,
    })
    expect((await phone.push([{ name: 'checkin.create', args: correction }])).body.results[0]!.status).toBe('applied')
    const answer = await pullAll(inspector, query, again.cursor)
    expect(ids(answer.changes)).toEqual([correction.id])
    // A new phone now is not sent the check-in, answered; the correction of a returned one it is, as any phone.
    const fresh = ids((await pullAll(inspector, newPhone())).changes)
    expect(fresh).not.toContain(aged.id)
    expect(fresh).toContain(correction.id)
  })

  it('brings a check-in back with the review that returns it to a phone whose clock ran ahead and let it go', async () => {
    // Its clock 30 days ahead: the server's window sends a check-in 170 days old, which the phone lets go at once.
    const query = `&keepFrom=${encodeURIComponent(retentionCutoff(Date.now() + 30 * DAY))}&client=${newClientId('ahead')}`
    const before = (await pullAll(inspector, query)).cursor
    const aging = makeCheckIn({ authorId: inspector.user.id, occurredAt: ago(170), createdAt: ago(170) })
    expect((await phone.push([{ name: 'checkin.create', args: aging }])).body.results[0]!.status).toBe('applied')
    const first = await pullAll(inspector, query, before)
    expect(ids(first.changes)).toEqual([aging.id])
    // Returned: the phone keeps it to answer, but holds it no more; it comes again before the review.
    const returning = await review(aging.id, 'returned')
    const again = await pullAll(inspector, query, first.cursor)
    expect(ids(again.changes)).toEqual([aging.id, returning])
  })

  it('gives an admin’s phone their own records only', async () => {
    const own = makeCheckIn({ authorId: admin.user.id, occurredAt: ago(1) })
    const res = await pusher(
      () => s,
      () => admin,
    ).push([{ name: 'checkin.create', args: own }])
    expect(res.body.results[0]!.status).toBe('applied')
    expect(ids((await pullAll(admin, '')).changes)).toEqual([own.id])
    // The inspector's records are read from the server instead.
    const opened = await s.app.inject({ url: `/api/checkins/${old.id}`, headers: { cookie: admin.cookie } })
    expect(opened.statusCode).toBe(200)
  })

  it('opens a check-in from the server with what its page shows beside it, for those who may read it', async () => {
    type Opened = { checkIn: { id: string }; related: CheckInRelated }
    const open = async (who: Who, id: string) => {
      const res = await s.app.inject({ url: `/api/checkins/${id}`, headers: { cookie: who.cookie } })
      return { status: res.statusCode, body: res.json() as Opened }
    }
    // Returned, then corrected: the review that returned it and the correction, to an admin's phone holding neither.
    const corrected = await open(admin, answered.id)
    expect(corrected.status).toBe(200)
    expect(corrected.body.related).toEqual({
      review: expect.objectContaining({ id: setupReviews[1], action: 'returned', checkInId: answered.id }),
      inspection: null,
      corrections: [{ id: fix.id, venueName: fix.venueName, createdAt: fix.createdAt }],
    })
    // Its signed 现场检查笔录, to the department's supervisor and to its author.
    for (const who of [supervisor, inspector]) {
      const withRecord = await open(who, old.id)
      expect(withRecord.body.related).toEqual({
        review: null,
        inspection: { id: oldInspectionFix.id, signedAt: oldInspectionFix.signedAt },
        corrections: [],
      })
      // The first record opens with the one that corrects it.
      const first = await s.app.inject({ url: `/api/inspections/${oldInspection.id}`, headers: { cookie: who.cookie } })
      expect(first.statusCode).toBe(200)
      expect((first.json() as { corrections: { id: string }[] }).corrections.map((r) => r.id)).toEqual([
        oldInspectionFix.id,
      ])
    }
    // Nobody else is told of it.
    const stranger = await signedIn(s, 'inspector', A)
    expect((await open(stranger, old.id)).status).toBe(404)
  })

  it('refuses a bad keepFrom or client with 400 invalid_request', async () => {
    for (const q of [
      'keepFrom=yesterday',
      'keepFrom=2026-13-01T00:00:00Z',
      'keepFrom=',
      'keepFrom=2026-01-01T00:00:00Z&keepFrom=2026-01-02T00:00:00Z',
      'client=short',
      'client=has%20space-12345',
      `client=${'x'.repeat(65)}`,
    ]) {
      const res = await s.app.inject({ url: `/api/sync/pull?${q}`, headers: { cookie: inspector.cookie } })
      expect([q, res.statusCode, res.json().error]).toEqual([q, 400, 'invalid_request'])
    }
  })
})
