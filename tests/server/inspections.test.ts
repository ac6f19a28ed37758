import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { recordHash } from '../../src/kernel/canonical'
import type { CampaignReport } from '../../src/kernel/campaign-schema'
import { generateSigningKey, recordSigningText, signText } from '../../src/kernel/signature'
import type { CheckIn, Inspection, PullResponse } from '../../src/kernel/sync-schema'
import { uuidv7 } from '../../src/kernel/uuid'
import {
  drawnSignature,
  makeCampaign,
  makeInspection,
  newClientId,
  pusher,
  setCertificate,
  upload,
  type Who,
} from '../helpers/integrity'
import { HOSTILE, makeCheckIn } from '../helpers/records'
import { describeStores, makeServer, signedIn, type TestServer } from '../helpers/server'

describeStores('现场检查笔录 (inspection.create) on %s', (kind) => {
  let s: TestServer
  let lead: Who
  let stranger: Who
  let supervisor: Who
  const leadPhone = () =>
    pusher(
      () => s,
      () => lead,
    )
  const create = (args: unknown) => ({ name: 'checkin.create', args })
  const inspect = (args: unknown) => ({ name: 'inspection.create', args })
  const checkIn = (o: Partial<CheckIn> = {}) => makeCheckIn({ authorId: lead.user.id, taskNumbers: [37], ...o })
  const stored = (id: string) => s.store.db.selectFrom('records').selectAll().where('id', '=', id).executeTakeFirst()
  const pullAll = async (who: Who) => {
    const res = await s.app.inject({ url: '/api/sync/pull?cursor=0', headers: { cookie: who.cookie } })
    expect(res.statusCode).toBe(200)
    return (res.json() as PullResponse).changes
  }

  beforeAll(async () => {
    s = await makeServer(kind)
    lead = await signedIn(s, 'inspector', '省知识产权局')
    stranger = await signedIn(s, 'inspector', '省知识产权局')
    supervisor = await signedIn(s, 'supervisor', '省知识产权局')
  }, 60_000)
  afterAll(() => s.close())

  it('keeps a signed record with its photos and drawn signatures, answers its hash, and lets its readers pull it', async () => {
    const phone = leadPhone()
    const ci = checkIn()
    const party = drawnSignature(1)
    const mine = drawnSignature(2, { role: 'inspector', name: '李执法', userId: lead.user.id })
    await upload(s, lead, party.bytes)
    await upload(s, lead, mine.bytes)
    const record = makeInspection({
      authorId: lead.user.id,
      checkInId: ci.id,
      signatures: [mine.entry, party.entry],
    })
    const res = await phone.push([create(ci), inspect(record)])
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    const answer = res.body.results[1]!
    expect(answer.status).toBe('applied')
    expect(answer.hash).toBe(await recordHash(record))
    const row = (await stored(record.id))!
    expect(row).toMatchObject({
      kind: 'inspection',
      author_id: lead.user.id,
      check_in_id: ci.id,
      version: answer.version,
    })
    expect(JSON.parse(row.data!)).toEqual(record)
    // The signature images are readable by whoever may read the record, through the record.
    for (const who of [lead, supervisor]) {
      const img = await s.app.inject({ url: `/api/photos/${party.entry.sha256}`, headers: { cookie: who.cookie } })
      expect(img.statusCode).toBe(200)
      expect(Buffer.from(img.rawPayload).equals(party.bytes)).toBe(true)
    }
    const notTheirs = await s.app.inject({
      url: `/api/photos/${party.entry.sha256}`,
      headers: { cookie: stranger.cookie },
    })
    expect(notTheirs.statusCode).toBe(404)
    // Pulled by the author, not by another inspector, nor by the department's supervisor (whose phone holds their
    // own records only, and reads the department's from the server's reports).
    const pulled = (await pullAll(lead)).find((c) => c.id === record.id)
    expect(pulled).toMatchObject({ kind: 'inspection', hash: answer.hash, data: record })
    expect((await pullAll(supervisor)).some((c) => c.id === record.id)).toBe(false)
    // Read from the server instead, by whoever may read it (GET /api/inspections/:id); nobody else is told of it.
    for (const who of [lead, supervisor]) {
      const res = await s.app.inject({ url: `/api/inspections/${record.id}`, headers: { cookie: who.cookie } })
      expect(res.statusCode, res.body).toBe(200)
      expect(res.json().inspection).toMatchObject({ id: record.id, hash: answer.hash, data: record })
    }
    const hidden = await s.app.inject({ url: `/api/inspections/${record.id}`, headers: { cookie: stranger.cookie } })
    expect([hidden.statusCode, hidden.json().error]).toEqual([404, 'not_found'])
    expect((await pullAll(stranger)).some((c) => c.id === record.id)).toBe(false)
  })

  it('keeps items with their units and without (an older phone), refuses an empty unit, and names the agency when read', async () => {
    const phone = leadPhone()
    const ci = checkIn()
    const old = makeInspection({ authorId: lead.user.id, checkInId: ci.id, items: [{ name: '蓝牙耳机', count: 40 }] })
    const withUnits = makeInspection({
      authorId: lead.user.id,
      checkInId: ci.id,
      items: [
        { name: '蓝牙耳机', count: 12, unit: '件' },
        { name: 'Phone cases', count: 3, unit: 'boxes' },
      ],
    })
    const emptyUnit = makeInspection({
      authorId: lead.user.id,
      checkInId: ci.id,
      items: [{ name: '蓝牙耳机', count: 12, unit: '' }],
    })
    const res = await phone.push([create(ci), inspect(old), inspect(withUnits), inspect(emptyUnit)])
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    expect(res.body.results.map((r: { status: string }) => r.status)).toEqual([
      'applied',
      'applied',
      'applied',
      'rejected',
    ])
    expect(JSON.parse((await stored(withUnits.id))!.data!).items).toEqual(withUnits.items)
    expect(JSON.parse((await stored(old.id))!.data!).items).toEqual([{ name: '蓝牙耳机', count: 40 }])
    // The inspecting agency, for a phone that opens the record from the server: the author's department.
    for (const who of [lead, supervisor]) {
      const read = await s.app.inject({ url: `/api/inspections/${withUnits.id}`, headers: { cookie: who.cookie } })
      expect(read.json().inspection).toMatchObject({ id: withUnits.id, department: '省知识产权局' })
    }
  })

  it('applies the same record again, refuses a changed one as locked leaving the stored one as it was, and keeps a correction', async () => {
    const phone = leadPhone()
    const ci = checkIn()
    const record = makeInspection({ authorId: lead.user.id, checkInId: ci.id })
    await phone.push([create(ci), inspect(record)])
    const before = (await stored(record.id))!

    // Sent again from another phone (an imported export): the same record, nothing changes.
    const other = pusher(
      () => s,
      () => lead,
    )
    const again = await other.push([inspect(record)])
    expect(again.body.results[0]).toMatchObject({ status: 'applied' })
    expect(await stored(record.id)).toEqual(before)

    const changed = { ...record, findings: '改过的检查情况' }
    const refused = await phone.push([inspect(changed)])
    expect(refused.status).toBe(200)
    expect(refused.body.results[0]).toMatchObject({
      status: 'rejected',
      code: 'locked',
      reason: 'a signed inspection record cannot be changed; send a correction',
    })
    expect(await stored(record.id)).toEqual(before)

    const correction = makeInspection({
      authorId: lead.user.id,
      checkInId: ci.id,
      correctionOf: record.id,
      findings: '更正：蓝牙耳机 31 副',
      signedAt: '2026-11-20T05:00:00.000Z',
    })
    const corrected = await phone.push([inspect(correction)])
    expect(corrected.body.results[0]).toMatchObject({ status: 'applied' })
    expect(await stored(record.id)).toEqual(before)
    expect(JSON.parse((await stored(correction.id))!.data!)).toMatchObject({ correctionOf: record.id })

    // Correcting itself, a check-in, or someone else's record: refused.
    const selfish = makeInspection({ authorId: lead.user.id, checkInId: ci.id })
    const wrong = await phone.push([
      inspect({ ...selfish, correctionOf: selfish.id }),
      inspect(makeInspection({ authorId: lead.user.id, checkInId: ci.id, correctionOf: ci.id })),
    ])
    expect(wrong.body.results.map((r) => [r.status, r.code, r.detail])).toEqual([
      ['rejected', 'invalid', 'correctionOf'],
      ['rejected', 'not_yours', 'correctionOf'],
    ])
    const theirs = pusher(
      () => s,
      () => stranger,
    )
    const foreign = await theirs.push([
      inspect(makeInspection({ authorId: stranger.user.id, checkInId: uuidv7(), correctionOf: record.id })),
      // An inspection record of someone else's check-in would go into their evidence package.
      inspect(makeInspection({ authorId: stranger.user.id, checkInId: ci.id })),
    ])
    expect(foreign.body.results.map((r) => [r.status, r.code, r.detail])).toEqual([
      ['rejected', 'not_yours', 'correctionOf'],
      ['rejected', 'not_yours', 'checkInId'],
    ])
    // And the same id as someone else's record is taken, whatever it holds.
    const squat = await theirs.push([inspect({ ...record, authorId: stranger.user.id })])
    expect(squat.body.results[0]).toMatchObject({ status: 'rejected', code: 'id_taken' })
  })

  it('refuses the push (409 photo_missing) until the drawn signatures are uploaded by the author, then keeps it', async () => {
    const phone = leadPhone()
    const ci = checkIn()
    await phone.push([create(ci)])
    const signature = drawnSignature(3)
    const record = makeInspection({ authorId: lead.user.id, checkInId: ci.id, signatures: [signature.entry] })
    const missing = await phone.push([inspect(record)])
    expect(missing.status).toBe(409)
    expect(missing.body).toMatchObject({ error: 'photo_missing', missing: [signature.entry.sha256] })
    expect(await stored(record.id)).toBeUndefined()
    // Someone else's upload of the same bytes is not the author's.
    await upload(s, stranger, signature.bytes)
    expect((await phone.push([inspect(record)])).status).toBe(409)
    await upload(s, lead, signature.bytes)
    const kept = await phone.push([inspect(record)])
    expect(kept.status).toBe(200)
    expect(kept.body.results[0]!.status).toBe('applied')
  })

  it('refuses a record naming another author or a campaign the inspector is not part of', async () => {
    const phone = leadPhone()
    const forged = await phone.push([inspect(makeInspection({ authorId: stranger.user.id, checkInId: uuidv7() }))])
    expect([forged.status, forged.body.error]).toEqual([403, 'forged_author'])
    const campaign = await makeCampaign(s, supervisor, [stranger])
    const foreign = await phone.push([
      inspect(makeInspection({ authorId: lead.user.id, checkInId: uuidv7(), campaignId: campaign.id })),
    ])
    expect([foreign.status, foreign.body.error]).toEqual([403, 'forged_campaign'])
  })

  it('checks the phone’s signature of the record as an inspection’s, and keeps it whatever it finds', async () => {
    const clientId = newClientId('insp-sign')
    const key = await generateSigningKey()
    const reg = await s.app.inject({
      method: 'POST',
      url: '/api/keys',
      headers: { cookie: lead.cookie },
      payload: { clientId, publicKey: key.publicKey },
    })
    expect(reg.statusCode).toBe(200)
    const phone = pusher(
      () => s,
      () => lead,
      clientId,
    )
    const sign = async (kindName: 'inspection' | 'checkin', record: object) => ({
      keyId: key.keyId,
      value: await signText(key.privateKey, recordSigningText(kindName, await recordHash(record))),
    })
    const good = makeInspection({ authorId: lead.user.id, checkInId: uuidv7() })
    // Signed as if it were a check-in: the signature does not cover an inspection record.
    const misfiled = makeInspection({ authorId: lead.user.id, checkInId: uuidv7() })
    const res = await phone.push([
      { ...inspect(good), signature: await sign('inspection', good) },
      { ...inspect(misfiled), signature: await sign('checkin', misfiled) },
    ])
    expect(res.body.results.map((r) => [r.status, r.signature])).toEqual([
      ['applied', 'valid'],
      ['applied', 'invalid'],
    ])
    expect((await stored(good.id))!.signature_status).toBe('valid')
    expect((await stored(misfiled.id))!.signature_status).toBe('invalid')
  })

  it('answers a record with a value no database can store in any id or hash with a 4xx or a rejection, never a 5xx', async () => {
    const ci = checkIn()
    const base = makeInspection({ authorId: lead.user.id, checkInId: ci.id })
    const nul = '\u0000'
    const variants: [string, unknown][] = [
      ['id', { ...base, id: nul }],
      ['id', { ...base, id: 'x'.repeat(300) }],
      ['checkInId', { ...base, checkInId: nul }],
      ['campaignId', { ...base, campaignId: nul }],
      ['campaignId', { ...base, campaignId: 'c'.repeat(300) }],
      ['correctionOf', { ...base, correctionOf: nul }],
      ['party.id', { ...base, party: { ...base.party, id: nul } }],
      ['party.name', { ...base, party: { ...base.party, name: `a${nul}b` } }],
      ['inspectors', { ...base, inspectors: [{ userId: nul, name: nul, certificateNumber: nul }] }],
      ['signatures', { ...base, signatures: [{ ...drawnSignature(5).entry, sha256: nul }] }],
      ['photos', { ...base, photos: [{ sha256: `${'a'.repeat(63)}${nul}`, size: 1, type: 'image/png' }] }],
      ['refusal', { ...base, refusal: { reason: nul, witnessName: nul } }],
      ['chain', { ...base, chain: { clientId: `abcdefgh${nul}`, seq: 1, prev: null } }],
      ['chain', { ...base, chain: { clientId: 'abcdefgh', seq: 2 ** 40, prev: nul } }],
    ]
    const failed: string[] = []
    for (const [where, args] of variants) {
      const res = await s.app.inject({
        method: 'POST',
        url: '/api/sync/push',
        headers: { cookie: lead.cookie },
        payload: { clientId: newClientId('insp-nul'), mutations: [{ seq: 1, name: 'inspection.create', args }] },
      })
      if (res.statusCode >= 500) failed.push(`${where}: ${res.statusCode} ${res.body}`)
      else if (res.statusCode === 200) {
        const result = (res.json() as { results: { status: string; code?: string }[] }).results[0]
        if (result?.status === 'applied') failed.push(`${where}: applied`)
      }
    }
    expect(failed).toEqual([])
  })

  it('stores hostile text in the party, findings and refusal exactly as given', async () => {
    const phone = leadPhone()
    const ci = checkIn()
    const witness = drawnSignature(4, { role: 'witness', name: HOSTILE[0]!.slice(0, 100) })
    await upload(s, lead, witness.bytes)
    const longLine = '长'.repeat(200)
    const record: Inspection = makeInspection({
      authorId: lead.user.id,
      checkInId: ci.id,
      place: '<img src=x onerror=alert(1)>',
      party: {
        id: null,
        name: longLine,
        creditCode: null,
        address: '<script>alert(1)</script><img src=x onerror=alert(2)>',
        personPresent: '=HYPERLINK("http://evil.example","点我")',
        personRole: '\u202eevil\u202c',
        phone: '"; DROP TABLE records; --',
      },
      findings: HOSTILE.join('\n'),
      signatures: [witness.entry],
      refusal: { reason: `${HOSTILE[0]}\n${HOSTILE[3]}`, witnessName: '<b>王五</b>' },
    })
    const res = await phone.push([create(ci), inspect(record)])
    expect(res.body.results.map((r) => r.status)).toEqual(['applied', 'applied'])
    expect(JSON.parse((await stored(record.id))!.data!)).toEqual(record)
    expect((await pullAll(lead)).find((c) => c.id === record.id)?.data).toEqual(record)
  })
})

describeStores('two certified inspectors, on %s', (kind) => {
  let s: TestServer
  let lead: Who
  let valid: Who
  let expired: Who
  let none: Who
  let supervisor: Who
  const create = (args: unknown) => ({ name: 'checkin.create', args })
  const flags = (id: string) =>
    s.store.db
      .selectFrom('records')
      .select(['certified_count', 'two_certified', 'party_id'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow()
  const ref = (who: Who, certificateNumber: string | null = null) => ({
    userId: who.user.id,
    name: '同事',
    certificateNumber,
  })

  beforeAll(async () => {
    s = await makeServer(kind)
    lead = await signedIn(s)
    valid = await signedIn(s)
    expired = await signedIn(s)
    none = await signedIn(s)
    supervisor = await signedIn(s, 'supervisor')
    // Valid to the last day of the inspection (Guangdong's calendar), expired the day before, none at all.
    await setCertificate(s, lead, `粤A-${kind}-1`, '2027-06-30')
    await setCertificate(s, valid, `粤A-${kind}-2`, '2026-11-20')
    await setCertificate(s, expired, `粤A-${kind}-3`, '2026-11-19')
  }, 60_000)
  afterAll(() => s.close())

  it('flags check-ins and inspection records of a campaign that requires two: ok, missing; never refused', async () => {
    const campaign = await makeCampaign(s, supervisor, [lead, valid, expired, none], { requireTwoCertified: true })
    expect(campaign.requireTwoCertified).toBe(true)
    const phone = pusher(
      () => s,
      () => lead,
    )
    // 23:30 on the 20th in Guangdong (UTC+8): the certificate valid to the 20th still counts.
    const at = '2026-11-20T15:30:00.000Z'
    const base = { authorId: lead.user.id, taskNumbers: [37], campaignId: campaign.id, occurredAt: at }
    const two = makeCheckIn({ ...base, coInspectors: [ref(valid)] })
    // The phone's certificate number says nothing: the server's accounts decide.
    const withExpired = makeCheckIn({ ...base, coInspectors: [ref(expired, '粤A-假的')] })
    const withNone = makeCheckIn({ ...base, coInspectors: [ref(none, '粤A-假的')] })
    const alone = makeCheckIn({ ...base })
    // The author named again as a co-inspector is one person.
    const twice = makeCheckIn({ ...base, coInspectors: [ref(lead)] })
    const unknown = makeCheckIn({ ...base, coInspectors: [{ userId: uuidv7(), name: '外人', certificateNumber: 'X' }] })
    const lateDay = makeCheckIn({ ...base, occurredAt: '2026-11-20T16:30:00.000Z', coInspectors: [ref(valid)] })
    const inspectionOk = makeInspection({
      authorId: lead.user.id,
      checkInId: two.id,
      campaignId: campaign.id,
      startedAt: at,
      inspectors: [ref(lead), ref(valid)],
    })
    const inspectionMissing = makeInspection({
      authorId: lead.user.id,
      checkInId: withExpired.id,
      campaignId: campaign.id,
      startedAt: at,
      inspectors: [ref(lead), ref(expired)],
    })
    const all = [two, withExpired, withNone, alone, twice, unknown, lateDay]
    const res = await phone.push([
      ...all.map(create),
      { name: 'inspection.create', args: inspectionOk },
      { name: 'inspection.create', args: inspectionMissing },
    ])
    expect(res.body.results.every((r) => r.status === 'applied')).toBe(true)
    const got = await Promise.all(
      [...all, inspectionOk, inspectionMissing].map(async (r) => (await flags(r.id)).two_certified),
    )
    expect(got).toEqual(['ok', 'missing', 'missing', 'missing', 'missing', 'missing', 'missing', 'ok', 'missing'])
    expect((await flags(two.id)).certified_count).toBe(2)
    expect((await flags(withExpired.id)).certified_count).toBe(1)
    // Past midnight in Guangdong, the certificate valid to the 20th no longer counts.
    expect((await flags(lateDay.id)).certified_count).toBe(1)

    // The report shows each check-in's flags, and the inspection record made from it.
    const report = await s.app.inject({
      url: `/api/campaigns/${campaign.id}/report`,
      headers: { cookie: supervisor.cookie },
    })
    expect(report.statusCode).toBe(200)
    const items = (report.json() as CampaignReport).checkIns
    const item = items.find((c) => c.id === two.id)!
    expect(item.flags).toMatchObject({ certifiedCount: 2, twoCertified: 'ok', chain: 'unchained', clockSkewMs: null })
    expect(item.flags?.signature).toBe('unsigned')
    expect(item.inspection).toEqual({ id: inspectionOk.id, signedAt: inspectionOk.signedAt, partyRefused: false })
    expect(items.find((c) => c.id === withNone.id)?.flags).toMatchObject({ certifiedCount: 1, twoCertified: 'missing' })
    expect(items.find((c) => c.id === alone.id)?.inspection).toBeNull()
  })

  it('says not_required, with the count, where no campaign or a campaign without the rule is named', async () => {
    const relaxed = await makeCampaign(s, supervisor, [lead])
    expect(relaxed.requireTwoCertified).toBe(false)
    const phone = pusher(
      () => s,
      () => lead,
    )
    const partyId = uuidv7()
    const free = makeCheckIn({ authorId: lead.user.id, taskNumbers: [37], partyId, coInspectors: [ref(valid)] })
    const under = makeCheckIn({ authorId: lead.user.id, taskNumbers: [37], campaignId: relaxed.id })
    await phone.push([create(free), create(under)])
    expect(await flags(free.id)).toEqual({ certified_count: 2, two_certified: 'not_required', party_id: partyId })
    expect(await flags(under.id)).toEqual({ certified_count: 1, two_certified: 'not_required', party_id: null })
  })

  it('counts nobody whose certificate lapsed or was never recorded, and a campaign stored before the rule needs none', async () => {
    const campaign = await makeCampaign(s, supervisor, [expired, none])
    // As stored by a server before the setting: no requireTwoCertified in its data at all.
    const row = await s.store.db
      .selectFrom('campaigns')
      .select('data')
      .where('id', '=', campaign.id)
      .executeTakeFirstOrThrow()
    const { requireTwoCertified: _dropped, ...older } = JSON.parse(row.data) as Record<string, unknown>
    expect(_dropped).toBe(false)
    await s.store.db
      .updateTable('campaigns')
      .set({ data: JSON.stringify(older) })
      .where('id', '=', campaign.id)
      .execute()
    const read = await s.app.inject({ url: `/api/campaigns/${campaign.id}`, headers: { cookie: supervisor.cookie } })
    expect(read.statusCode).toBe(200)
    expect(JSON.stringify(read.json())).toContain('"requireTwoCertified":false')
    const phone = pusher(
      () => s,
      () => expired,
    )
    const c = makeCheckIn({
      authorId: expired.user.id,
      taskNumbers: [37],
      campaignId: campaign.id,
      coInspectors: [ref(none)],
    })
    await phone.push([create(c)])
    expect(await flags(c.id)).toEqual({ certified_count: 0, two_certified: 'not_required', party_id: null })
  })
})

describe('the inspection helpers', () => {
  it('make a record the schema takes', async () => {
    const { InspectionSchema } = await import('../../src/kernel/sync-schema')
    const v = await import('valibot')
    const record = makeInspection({ authorId: uuidv7(), checkInId: uuidv7(), signatures: [drawnSignature(9).entry] })
    expect(v.safeParse(InspectionSchema, record).success).toBe(true)
  })
})
