import { afterAll, beforeAll, expect, it } from 'vitest'
import type { Campaign, CampaignReport } from '../../src/kernel/campaign-schema'
import type { CheckIn, PhotoRef, PushResponse } from '../../src/kernel/sync-schema'
import { makeCheckIn, photoBytes, sha256 } from '../helpers/records'
import { describeStores, makeServer, signedIn, type TestServer } from '../helpers/server'

type Who = { user: { id: string }; cookie: string }

describeStores('photos in the campaign CSV and where they came from, on %s', (kind) => {
  let s: TestServer
  let inspector: Who
  let supervisor: Who
  let campaign: Campaign
  const camera = photoBytes(501, 30_000)
  const gallery = photoBytes(502, 20_000)
  const old = photoBytes(503, 10_000)
  const ref = (bytes: Buffer, source?: PhotoRef['source']): PhotoRef => ({
    sha256: sha256(bytes),
    size: bytes.length,
    type: 'image/jpeg',
    ...(source ? { source } : {}),
  })

  async function upload(bytes: Buffer, source?: PhotoRef['source']) {
    const headers = { cookie: inspector.cookie }
    // The phone announces a photo with the ref it sends in the record; the source is optional there too.
    const start = await s.app.inject({ method: 'POST', url: '/api/photos', headers, payload: ref(bytes, source) })
    expect(start.statusCode, start.body).toBeLessThan(300)
    const res = await s.app.inject({
      method: 'PATCH',
      url: `/api/photos/${sha256(bytes)}`,
      headers: { ...headers, 'content-type': 'application/offset+octet-stream', 'upload-offset': '0' },
      payload: bytes,
    })
    expect(res.json()).toMatchObject({ complete: true })
  }
  const push = async (clientId: string, records: CheckIn[]) =>
    (
      await s.app.inject({
        method: 'POST',
        url: '/api/sync/push',
        headers: { cookie: inspector.cookie },
        payload: { clientId, mutations: records.map((args, i) => ({ seq: i + 1, name: 'checkin.create', args })) },
      })
    ).json() as PushResponse
  const under = (o: Partial<CheckIn>) =>
    makeCheckIn({ authorId: inspector.user.id, campaignId: campaign.id, taskNumbers: [37], ...o })

  let withBoth: CheckIn
  let fromOldPhone: CheckIn
  let without: CheckIn

  beforeAll(async () => {
    s = await makeServer(kind)
    supervisor = await signedIn(s, 'supervisor', '省知识产权局')
    inspector = await signedIn(s, 'inspector', '省知识产权局')
    const res = await s.app.inject({
      method: 'POST',
      url: '/api/campaigns',
      headers: { cookie: supervisor.cookie },
      payload: {
        name: '照片行动',
        description: '',
        taskNumbers: [37],
        departments: ['省知识产权局'],
        inspectorIds: [inspector.user.id],
        startDate: '2026-11-01',
        endDate: '2026-12-31',
        venues: [],
      },
    })
    campaign = res.json().campaign
    await upload(camera, 'camera')
    await upload(gallery, 'gallery')
    await upload(old)
    withBoth = under({ venueName: '两张照片', photos: [ref(camera, 'camera'), ref(gallery, 'gallery')] })
    // A record queued by an app from before the gallery button: its photo refs name no source.
    fromOldPhone = under({ venueName: '旧版本', occurredAt: '2026-11-21T02:30:00.000Z', photos: [ref(old)] })
    without = under({ venueName: '无照片', occurredAt: '2026-11-22T02:30:00.000Z', location: null })
    const pushed = await push(`photo-csv-${kind}`, [withBoth, fromOldPhone, without])
    expect(pushed.results.map((r) => r.status)).toEqual(['applied', 'applied', 'applied'])
  })
  afterAll(() => s?.close())

  it('refuses a photo source the schema does not know, and keeps the record out', async () => {
    const bad = under({ photos: [{ ...ref(camera), source: 'scanner' as never }] })
    const res = await push(`photo-csv-bad-${kind}`, [bad])
    expect(res.results[0]).toMatchObject({ status: 'rejected', code: 'invalid' })
    expect(res.results[0]!.detail).toBe('photos.0.source')
  })

  it("keeps each photo's source in the supervisor's report, and none for the old phone's", async () => {
    const report = (
      await s.app.inject({ url: `/api/campaigns/${campaign.id}/report`, headers: { cookie: supervisor.cookie } })
    ).json() as CampaignReport
    const byId = new Map(report.checkIns.map((c) => [c.id, c]))
    expect(byId.get(withBoth.id)!.photos.map((p) => p.source)).toEqual(['camera', 'gallery'])
    expect(byId.get(fromOldPhone.id)!.photos).toEqual([ref(old)])
  })

  it("carries each photo's SHA-256 and its path on the server, a path the supervisor can open", async () => {
    const res = await s.app.inject({
      url: `/api/campaigns/${campaign.id}/checkins.csv?lang=en`,
      headers: { cookie: supervisor.cookie },
    })
    const lines = res.rawPayload.subarray(3).toString('utf8').trimEnd().split('\r\n')
    const header = lines[0]!.split(',')
    const col = (name: string) => header.indexOf(name)
    expect(col('Photo SHA-256')).toBeGreaterThan(-1)
    expect(col('Photo paths on the server')).toBeGreaterThan(-1)
    // None of these rows has a comma or quote in a field, so splitting on commas reads them exactly.
    const rows = new Map(
      lines
        .slice(1)
        .map((l) => l.split(','))
        .map((cells) => [cells[0]!, cells]),
    )
    const cell = (c: CheckIn, name: string) => rows.get(c.id)![col(name)]
    expect(cell(withBoth, 'Photos')).toBe('2')
    expect(cell(withBoth, 'Photo SHA-256')).toBe(`${sha256(camera)} ${sha256(gallery)}`)
    expect(cell(withBoth, 'Photo paths on the server')).toBe(
      `/api/photos/${sha256(camera)} /api/photos/${sha256(gallery)}`,
    )
    expect(cell(fromOldPhone, 'Photo SHA-256')).toBe(sha256(old))
    expect(cell(without, 'Photo SHA-256')).toBe('')
    expect(cell(without, 'Photo paths on the server')).toBe('')
    // The path is where the photo really is: the supervisor gets its bytes, unchanged.
    for (const path of cell(withBoth, 'Photo paths on the server')!.split(' ')) {
      const photo = await s.app.inject({ url: path, headers: { cookie: supervisor.cookie } })
      expect(photo.statusCode).toBe(200)
      expect([sha256(camera), sha256(gallery)]).toContain(sha256(photo.rawPayload))
      expect(path).toBe(`/api/photos/${sha256(photo.rawPayload)}`)
    }
    const zh = (
      await s.app.inject({ url: `/api/campaigns/${campaign.id}/checkins.csv`, headers: { cookie: supervisor.cookie } })
    ).rawPayload
      .subarray(3)
      .toString('utf8')
    expect(zh.split('\r\n')[0]).toContain('照片 SHA-256,照片在服务器上的路径')
  })
})
