import { afterAll, beforeAll, expect, it } from 'vitest'
import type { MyCheckInsPage, ServerCheckIn } from '../../src/kernel/retention'
import type { CheckIn, PullResponse } from '../../src/kernel/sync-schema'
import { pusher, type Who } from '../helpers/integrity'
import { makeCheckIn } from '../helpers/records'
import { describeStores, makeServer, signedIn, type TestServer } from '../helpers/server'

const A = '省知识产权局'
const B = '省工商局'

describeStores('older records read from the server on %s', (kind) => {
  let s: TestServer
  let inspector: Who
  let other: Who
  let supervisor: Who
  let otherSupervisor: Who
  /** The inspector's own check-ins, newest first, as the endpoint should list them. */
  let mine: CheckIn[]
  let theirs: CheckIn

  const get = (who: Who | undefined, url: string) => s.app.inject({ url, headers: who ? { cookie: who.cookie } : {} })
  const page = async (who: Who, query: string): Promise<MyCheckInsPage> => {
    const res = await get(who, `/api/records/mine${query}`)
    expect(res.statusCode, res.body).toBe(200)
    return res.json() as MyCheckInsPage
  }

  beforeAll(async () => {
    s = await makeServer(kind)
    inspector = await signedIn(s, 'inspector', A)
    other = await signedIn(s, 'inspector', A)
    supervisor = await signedIn(s, 'supervisor', A)
    otherSupervisor = await signedIn(s, 'supervisor', B)
    // 7 check-ins a day apart going back from 2026-01-10, two of them at the very same moment (paging must
    // break the tie by id), the oldest of task 37.
    const at = (daysBack: number) => new Date(Date.UTC(2026, 0, 10, 2) - daysBack * 86_400_000).toISOString()
    const made = [0, 1, 2, 2, 3, 4, 5].map((d, i) =>
      makeCheckIn({ authorId: inspector.user.id, occurredAt: at(d), taskNumbers: i === 6 ? [37] : [28] }),
    )
    const own = pusher(
      () => s,
      () => inspector,
    )
    expect((await own.push(made.map((args) => ({ name: 'checkin.create', args })))).status).toBe(200)
    theirs = makeCheckIn({ authorId: other.user.id, occurredAt: at(1) })
    const others = pusher(
      () => s,
      () => other,
    )
    expect((await others.push([{ name: 'checkin.create', args: theirs }])).status).toBe(200)
    mine = [...made].sort((a, b) =>
      a.occurredAt === b.occurredAt ? (a.id < b.id ? 1 : -1) : a.occurredAt < b.occurredAt ? 1 : -1,
    )
  }, 60_000)
  afterAll(() => s.close())

  it('lists only the user’s own check-ins, newest first, a page at a time with ties kept apart', async () => {
    const seen: ServerCheckIn[] = []
    let query = '?limit=2'
    for (let n = 0; n < 10; n++) {
      const p = await page(inspector, query)
      seen.push(...p.checkIns)
      if (!p.next) break
      expect(p.checkIns).toHaveLength(2)
      query = `?limit=2&before=${encodeURIComponent(p.next.before)}&beforeId=${p.next.beforeId}`
    }
    expect(seen.map((c) => c.id)).toEqual(mine.map((c) => c.id))
    expect(seen[0]!.data).toEqual(mine[0])
    expect(seen.every((c) => typeof c.version === 'number' && /^[0-9a-f]{64}$/.test(c.hash!))).toBe(true)
    // Another inspector sees only theirs; a supervisor of the department only their own, none of the inspector's.
    expect((await page(other, '')).checkIns.map((c) => c.id)).toEqual([theirs.id])
    const supervisors = (await page(supervisor, '')).checkIns
    expect(supervisors.every((c) => c.data.authorId === supervisor.user.id)).toBe(true)
  })

  it('starts before a moment, and filters by task', async () => {
    const cutoff = mine[2]!.occurredAt
    const p = await page(inspector, `?before=${encodeURIComponent(cutoff)}`)
    expect(p.checkIns.map((c) => c.id)).toEqual(mine.filter((c) => c.occurredAt < cutoff).map((c) => c.id))
    expect(p.next).toBeNull()
    const task = await page(inspector, '?task=37')
    expect(task.checkIns.map((c) => c.id)).toEqual([mine.at(-1)!.id])
  })

  it('refuses bad parameters with 400 invalid_request, and strangers with 401', async () => {
    for (const q of [
      'limit=0',
      'limit=201',
      'limit=ten',
      'limit=-1',
      'before=yesterday',
      'before=2026-13-01T00:00:00Z',
      'beforeId=abc',
      'before=2026-01-01T00:00:00.000Z&beforeId=',
      `before=2026-01-01T00:00:00.000Z&beforeId=${'x'.repeat(65)}`,
      'task=0',
      'task=x',
      'limit=1&limit=2',
      'before=2026-01-01T00:00:00Z%00',
    ]) {
      const res = await get(inspector, `/api/records/mine?${q}`)
      expect(res.statusCode, q).toBe(400)
      expect(res.json().error, q).toBe('invalid_request')
    }
    const anonymous = await get(undefined, '/api/records/mine')
    expect(anonymous.statusCode).toBe(401)
    expect(anonymous.json().error).toBe('signed_out')
  })

  it('opens one check-in for whoever may read it, and nobody else', async () => {
    const id = mine[0]!.id
    for (const who of [inspector, supervisor]) {
      const res = await get(who, `/api/checkins/${id}`)
      expect(res.statusCode, res.body).toBe(200)
      expect((res.json().checkIn as ServerCheckIn).data).toEqual(mine[0])
    }
    for (const who of [other, otherSupervisor]) {
      const res = await get(who, `/api/checkins/${id}`)
      expect(res.statusCode).toBe(404)
      expect(res.json().error).toBe('not_found')
    }
    expect((await get(inspector, `/api/checkins/${'x'.repeat(100)}`)).statusCode).toBe(404)
    expect((await get(inspector, '/api/checkins/nope')).statusCode).toBe(404)
    expect((await get(undefined, `/api/checkins/${id}`)).statusCode).toBe(401)
  })

  it('pulls a supervisor their own records only, not the department’s', async () => {
    const pulled = async (who: Who) =>
      ((await get(who, '/api/sync/pull?cursor=0')).json() as PullResponse).changes.map((c) => c.id)
    expect(await pulled(supervisor)).toEqual([])
    const own = makeCheckIn({ authorId: supervisor.user.id })
    const sup = pusher(
      () => s,
      () => supervisor,
    )
    expect((await sup.push([{ name: 'checkin.create', args: own }])).status).toBe(200)
    expect(await pulled(supervisor)).toEqual([own.id])
    expect(await pulled(inspector)).toEqual(expect.arrayContaining(mine.map((c) => c.id)))
  })
})
