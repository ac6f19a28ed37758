import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { sql, type Selectable } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AuditEntry } from '../../server/audit/log'
import type { AuditLogTable } from '../../server/db/database'
import { uuidv7 } from '../../src/kernel/uuid'
import { downloadPackage } from '../helpers/evidence'
import { drawnSignature, makeCampaign, makeInspection, pusher, upload, type Who } from '../helpers/integrity'
import { makeCheckIn } from '../helpers/records'
import { describeStores, makeServer, signedIn, type TestServer } from '../helpers/server'

/** Every .ts file under `dir`. */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  )
}

describe('the audit log in the code', () => {
  it('is never updated or deleted from by any server code or script', () => {
    const offenders = [...sources('server'), ...sources('scripts')].filter((file) =>
      /(updateTable|deleteFrom)\(\s*['"]audit_log['"]|\b(update|delete\s+from|truncate(\s+table)?)\s+"?audit_log\b/i.test(
        readFileSync(file, 'utf8'),
      ),
    )
    expect(offenders).toEqual([])
  })
})

describeStores('the audit log on %s', (kind) => {
  let s: TestServer
  let admin: Who
  let supervisor: Who
  let inspector: Who
  const rows = () => s.store.db.selectFrom('audit_log').selectAll().orderBy('id').execute()
  const audit = async (who: Who | null, query: string) => {
    const res = await s.app.inject({ url: `/api/audit?${query}`, headers: who ? { cookie: who.cookie } : {} })
    return { status: res.statusCode, body: res.json() as { entries: AuditEntry[]; more: boolean; error?: string } }
  }
  /** Runs `action` and checks the log only grew: every earlier entry still there, exactly as it was. */
  async function appended(action: () => Promise<unknown>): Promise<Selectable<AuditLogTable>[]> {
    const before = await rows()
    await action()
    const after = await rows()
    expect(after.slice(0, before.length)).toEqual(before)
    expect(after.length).toBeGreaterThan(before.length)
    return after.slice(before.length)
  }
  const said = (entries: readonly { action: string; target_id?: string; targetId?: string }[]) =>
    entries.map((e) => [e.action, e.target_id ?? e.targetId])

  beforeAll(async () => {
    s = await makeServer(kind)
    admin = await signedIn(s, 'admin')
    supervisor = await signedIn(s, 'supervisor')
    inspector = await signedIn(s, 'inspector')
  }, 60_000)
  afterAll(() => s.close())

  it('records every action on records, parties and campaigns, who asked and from which client, only ever appending', async () => {
    let campaignId = ''
    const created = await appended(async () => {
      campaignId = (await makeCampaign(s, supervisor, [inspector])).id
    })
    expect(created.map((e) => [e.action, e.target_kind, e.target_id, e.actor_id, e.client_id])).toEqual([
      ['campaign.create', 'campaign', campaignId, supervisor.user.id, null],
    ])
    const updated = await appended(async () => {
      const current = (
        await s.app.inject({ url: `/api/campaigns/${campaignId}`, headers: { cookie: supervisor.cookie } })
      ).json().campaign
      const res = await s.app.inject({
        method: 'PUT',
        url: `/api/campaigns/${campaignId}`,
        headers: { cookie: supervisor.cookie },
        payload: {
          name: '护航行动（第二阶段）',
          description: current.description,
          taskNumbers: current.taskNumbers,
          departments: current.departments,
          inspectorIds: current.inspectorIds,
          startDate: current.startDate,
          endDate: current.endDate,
          venues: current.venues,
          version: current.version,
        },
      })
      expect(res.statusCode, res.body).toBe(200)
    })
    expect(said(updated)).toEqual([['campaign.update', campaignId]])
    expect(JSON.parse(updated[0]!.detail)).toMatchObject({ name: '护航行动（第二阶段）', version: 2 })

    const partyId = uuidv7()
    const party = await appended(async () => {
      const res = await s.app.inject({
        method: 'POST',
        url: '/api/parties',
        headers: { cookie: inspector.cookie },
        payload: { id: partyId, name: '<b>某某商行</b>', creditCode: '914403001922038216' },
      })
      expect(res.statusCode, res.body).toBeLessThan(300)
    })
    expect(said(party)).toEqual([['party.create', partyId]])
    expect(JSON.parse(party[0]!.detail)).toEqual({ name: '<b>某某商行</b>', creditCode: '914403001922038216' })

    const phone = pusher(
      () => s,
      () => inspector,
    )
    const checkIn = makeCheckIn({ authorId: inspector.user.id, campaignId })
    const correction = makeCheckIn({ authorId: inspector.user.id, campaignId, correctionOf: checkIn.id })
    const pushed = await appended(async () => {
      const res = await phone.push([
        { name: 'checkin.create', args: checkIn },
        { name: 'checkin.create', args: correction },
      ])
      expect(res.status).toBe(200)
    })
    expect(pushed.map((e) => [e.action, e.target_id, e.actor_id, e.client_id])).toEqual([
      ['checkin.create', checkIn.id, inspector.user.id, phone.clientId],
      ['checkin.correct', correction.id, inspector.user.id, phone.clientId],
    ])
    const stored = await s.store.db.selectFrom('records').select('hash').where('id', '=', checkIn.id).executeTakeFirst()
    expect(JSON.parse(pushed[0]!.detail)).toMatchObject({ hash: stored!.hash, signature: 'unsigned' })
    expect(JSON.parse(pushed[1]!.detail)).toMatchObject({ correctionOf: checkIn.id })

    const sig = drawnSignature(901, { role: 'inspector', name: '李执法', userId: inspector.user.id })
    await upload(s, inspector, sig.bytes)
    const inspection = makeInspection({ authorId: inspector.user.id, checkInId: checkIn.id, signatures: [sig.entry] })
    const corrected = makeInspection({
      authorId: inspector.user.id,
      checkInId: checkIn.id,
      signatures: [sig.entry],
      correctionOf: inspection.id,
    })
    const signed = await appended(async () => {
      const res = await phone.push([
        { name: 'inspection.create', args: inspection },
        { name: 'inspection.create', args: corrected },
        // The same record again (a retry) writes nothing and says nothing new.
        { name: 'inspection.create', args: inspection },
      ])
      expect(res.body.results.map((r) => r.status)).toEqual(['applied', 'applied', 'applied'])
    })
    expect(said(signed)).toEqual([
      ['inspection.sign', inspection.id],
      ['inspection.correct', corrected.id],
    ])
    expect(JSON.parse(signed[0]!.detail)).toMatchObject({ checkInId: checkIn.id })

    const reviews = await appended(async () => {
      for (const body of [
        { action: 'returned', comment: '<i>请补拍</i>' },
        { action: 'reviewed', comment: '' },
      ]) {
        const res = await s.app.inject({
          method: 'POST',
          url: `/api/checkins/${checkIn.id}/review`,
          headers: { cookie: supervisor.cookie },
          payload: body,
        })
        expect(res.statusCode, res.body).toBe(200)
      }
    })
    expect(reviews.map((e) => [e.action, e.target_id, e.actor_id])).toEqual([
      ['review.returned', checkIn.id, supervisor.user.id],
      ['review.reviewed', checkIn.id, supervisor.user.id],
    ])
    expect(JSON.parse(reviews[0]!.detail)).toMatchObject({ comment: '<i>请补拍</i>' })

    const exported = await appended(async () => {
      expect((await downloadPackage(s, admin, checkIn.id)).res.statusCode).toBe(200)
    })
    expect(exported.map((e) => [e.action, e.target_id, e.actor_id])).toEqual([
      ['evidence.export', checkIn.id, admin.user.id],
    ])

    // Per record, for admins, with the actor's name.
    const perRecord = await audit(admin, `recordId=${checkIn.id}`)
    expect(perRecord.status).toBe(200)
    expect(said(perRecord.body.entries)).toEqual([
      ['checkin.create', checkIn.id],
      ['review.returned', checkIn.id],
      ['review.reviewed', checkIn.id],
      ['evidence.export', checkIn.id],
    ])
    expect(perRecord.body.entries[0]).toMatchObject({
      actorId: inspector.user.id,
      actorName: '测试inspector',
      clientId: phone.clientId,
      targetKind: 'checkin',
    })
    expect(perRecord.body.entries[3]).toMatchObject({ actorName: '测试admin', clientId: null })
    expect(perRecord.body.entries.map((e) => e.id)).toEqual(
      [...perRecord.body.entries.map((e) => e.id)].sort((a, b) => a - b),
    )
    // Per person.
    const perPerson = await audit(admin, `userId=${inspector.user.id}`)
    expect(said(perPerson.body.entries)).toEqual([
      ['party.create', partyId],
      ['checkin.create', checkIn.id],
      ['checkin.correct', correction.id],
      ['inspection.sign', inspection.id],
      ['inspection.correct', corrected.id],
    ])
    const both = await audit(admin, `userId=${supervisor.user.id}&recordId=${checkIn.id}`)
    expect(said(both.body.entries)).toEqual([
      ['review.returned', checkIn.id],
      ['review.reviewed', checkIn.id],
    ])
    expect((await audit(admin, `recordId=${uuidv7()}`)).body).toEqual({ entries: [], more: false })
  })

  it('is read by admins only, per record or per person', async () => {
    for (const who of [supervisor, inspector]) {
      const res = await audit(who, `userId=${who.user.id}`)
      expect([res.status, res.body.error]).toEqual([403, 'forbidden'])
    }
    expect((await audit(null, `userId=${admin.user.id}`)).status).toBe(401)
    for (const query of ['', 'recordId=', 'userId=&recordId=', 'other=1']) {
      const res = await audit(admin, query)
      expect([res.status, res.body.error], query).toEqual([400, 'filter_required'])
    }
    for (const query of ['recordId=a&recordId=b', `userId=${'x'.repeat(65)}`, 'recordId=%00']) {
      const res = await audit(admin, query)
      expect([res.status, res.body.error], query).toEqual([400, 'invalid_request'])
    }
  })

  it('cannot be changed or emptied, even by SQL sent straight to the database', async () => {
    await s.store.db
      .insertInto('audit_log')
      .values({
        at: new Date().toISOString(),
        actor_id: null,
        client_id: null,
        action: 'party.create',
        target_kind: 'party',
        target_id: 'kept',
        detail: '{}',
      })
      .execute()
    const before = await rows()
    await expect(s.store.db.updateTable('audit_log').set({ detail: '{"forged":true}' }).execute()).rejects.toThrow(
      /append-only/,
    )
    await expect(s.store.db.deleteFrom('audit_log').where('target_id', '=', 'kept').execute()).rejects.toThrow(
      /append-only/,
    )
    if (kind === 'postgres') await expect(sql`truncate audit_log`.execute(s.store.db)).rejects.toThrow(/append-only/)
    expect(await rows()).toEqual(before)
  })
})
