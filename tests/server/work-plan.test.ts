import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WORK_PLANS } from '../../src/kernel/sync-schema'
import { pusher, type Who } from '../helpers/integrity'
import { makeCheckIn } from '../helpers/records'
import { realDataset } from '../helpers/seed'
import { describeStores, makeServer, signedIn, type TestServer } from '../helpers/server'

// Records name tasks by number; a check-in may also name the work plan the numbers belong to, so next year's plan
// can sit beside this one. Every record so far names none, and means the plan in seeds/.

describe('the work plans records may name', () => {
  it('hold the seed’s plan, by its document number', () => {
    expect(WORK_PLANS).toContain(realDataset.document.number)
  })
})

describeStores('a check-in naming its work plan, on %s', (kind) => {
  let s: TestServer
  let me: Who
  beforeAll(async () => {
    s = await makeServer(kind)
    me = await signedIn(s)
  }, 60_000)
  afterAll(() => s.close())

  it('is taken with this plan or none, and refused, with the plan named, for a plan the server does not know', async () => {
    const phone = pusher(
      () => s,
      () => me,
    )
    const named = makeCheckIn({ authorId: me.user.id, planId: realDataset.document.number })
    const none = makeCheckIn({ authorId: me.user.id })
    const next = makeCheckIn({ authorId: me.user.id, planId: '粤府知办〔2027〕3号' })
    const res = await phone.push([
      { name: 'checkin.create', args: named },
      { name: 'checkin.create', args: none },
      { name: 'checkin.create', args: next },
    ])
    expect(res.status).toBe(200)
    expect(res.body.results.map((r) => [r.status, r.code, r.detail])).toEqual([
      ['applied', undefined, undefined],
      ['applied', undefined, undefined],
      ['rejected', 'unknown_plan', '粤府知办〔2027〕3号'],
    ])
    const stored = await s.store.db.selectFrom('records').select('id').where('id', '=', next.id).executeTakeFirst()
    expect(stored).toBeUndefined()
  })
})
