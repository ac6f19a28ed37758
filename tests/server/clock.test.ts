import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CLOCK_SKEW_LIMIT_MS, clockSkewFlagged, clockSkewOf } from '../../server/sync/chain'
import type { CampaignReport } from '../../src/kernel/campaign-schema'
import { makeCampaign, pusher, type Who } from '../helpers/integrity'
import { makeCheckIn, makeNote } from '../helpers/records'
import { describeStores, makeServer, signedIn, type TestServer } from '../helpers/server'

describe('the phone clock rule', () => {
  it('is the phone’s time minus the server’s, flagged beyond five minutes either way', () => {
    expect(CLOCK_SKEW_LIMIT_MS).toBe(5 * 60 * 1000)
    const now = Date.parse('2026-11-20T03:00:00.000Z')
    expect(clockSkewOf('2026-11-20T03:10:00.000Z', now)).toBe(600_000)
    expect(clockSkewOf('2026-11-20T02:58:30.000Z', now)).toBe(-90_000)
    expect(clockSkewOf(undefined, now)).toBeNull()
    expect(clockSkewFlagged(null)).toBe(false)
    expect(clockSkewFlagged(CLOCK_SKEW_LIMIT_MS)).toBe(false)
    expect(clockSkewFlagged(CLOCK_SKEW_LIMIT_MS + 1)).toBe(true)
    expect(clockSkewFlagged(-CLOCK_SKEW_LIMIT_MS - 1)).toBe(true)
  })
})

describeStores('the phone clock against the server’s, on %s', (kind) => {
  let s: TestServer
  let me: Who
  let supervisor: Who
  const skewOf = async (id: string) =>
    (await s.store.db.selectFrom('records').select('clock_skew_ms').where('id', '=', id).executeTakeFirstOrThrow())
      .clock_skew_ms
  const clientSkew = async (clientId: string) =>
    (
      await s.store.db
        .selectFrom('clients')
        .select(['clock_skew_ms', 'clock_checked_at'])
        .where('client_id', '=', clientId)
        .executeTakeFirstOrThrow()
    ).clock_skew_ms
  /** A time `ms` away from the server's clock now. */
  const off = (ms: number) => new Date(Date.now() + ms).toISOString()
  const near = (value: number | null | undefined, expected: number) => {
    expect(value).not.toBeNull()
    // The push takes a moment between the phone's clock and the server's reading of its own.
    expect(Math.abs(Number(value) - expected)).toBeLessThan(20_000)
  }

  beforeAll(async () => {
    s = await makeServer(kind)
    me = await signedIn(s)
    supervisor = await signedIn(s, 'supervisor')
  }, 60_000)
  afterAll(() => s.close())

  it('keeps the difference on every record a push writes and on the client, flagged beyond five minutes', async () => {
    const campaign = await makeCampaign(s, supervisor, [me])
    const phone = pusher(
      () => s,
      () => me,
    )
    const ahead = makeCheckIn({ authorId: me.user.id, taskNumbers: [37], campaignId: campaign.id })
    const note = makeNote({ authorId: me.user.id, taskNumber: 37 })
    const tenMinutes = 10 * 60_000
    const res = await phone.push(
      [
        { name: 'checkin.create', args: ahead },
        { name: 'note.put', args: { note, baseVersion: null } },
      ],
      off(tenMinutes),
    )
    expect(res.body.results.map((r) => r.status)).toEqual(['applied', 'applied'])
    near(await skewOf(ahead.id), tenMinutes)
    near(await skewOf(note.id), tenMinutes)
    expect(clockSkewFlagged(Number(await skewOf(ahead.id)))).toBe(true)
    near(await clientSkew(phone.clientId), tenMinutes)

    // Two minutes behind: kept, not flagged.
    const behind = makeCheckIn({ authorId: me.user.id, taskNumbers: [37], campaignId: campaign.id })
    await phone.push([{ name: 'checkin.create', args: behind }], off(-2 * 60_000))
    near(await skewOf(behind.id), -2 * 60_000)
    expect(clockSkewFlagged(Number(await skewOf(behind.id)))).toBe(false)
    near(await clientSkew(phone.clientId), -2 * 60_000)

    // A phone that says no time (before the setting): nothing known of its records; the client keeps the last.
    const silent = makeCheckIn({ authorId: me.user.id, taskNumbers: [37], campaignId: campaign.id })
    await phone.push([{ name: 'checkin.create', args: silent }])
    expect(await skewOf(silent.id)).toBeNull()
    near(await clientSkew(phone.clientId), -2 * 60_000)

    // A year off still fits: the difference is kept as it is, not cut.
    const year = 366 * 24 * 3600_000
    const far = makeCheckIn({ authorId: me.user.id, taskNumbers: [37], campaignId: campaign.id })
    await phone.push([{ name: 'checkin.create', args: far }], off(-year))
    near(await skewOf(far.id), -year)

    const report = await s.app.inject({
      url: `/api/campaigns/${campaign.id}/report`,
      headers: { cookie: supervisor.cookie },
    })
    const items = (report.json() as CampaignReport).checkIns
    near(items.find((c) => c.id === ahead.id)?.flags?.clockSkewMs, tenMinutes)
    expect(items.find((c) => c.id === silent.id)?.flags?.clockSkewMs).toBeNull()
    expect(typeof items.find((c) => c.id === far.id)?.flags?.clockSkewMs).toBe('number')
  })

  it('refuses a clientTime that is not a time, as a bad request', async () => {
    const res = await s.app.inject({
      method: 'POST',
      url: '/api/sync/push',
      headers: { cookie: me.cookie },
      payload: { clientId: 'clock-bad-time-1', clientTime: '<img src=x onerror=alert(1)>', mutations: [] },
    })
    expect(res.statusCode).toBe(400)
  })
})
