/**
 * A check-in worth an evidence package, made the way phones make it: an inspector with a registered signing
 * key pushes a chained, signed check-in with photos under a campaign, then its signed 现场检查笔录 with drawn
 * signatures, the party refusing with a hostile reason and a party name that is markup.
 */
import { expect } from 'vitest'
import { recordHash } from '../../src/kernel/canonical'
import { generateSigningKey, recordSigningText, signText, type SignedKind } from '../../src/kernel/signature'
import type { CheckIn, Inspection } from '../../src/kernel/sync-schema'
import {
  drawnSignature,
  makeCampaign,
  makeInspection,
  newClientId,
  PhoneChain,
  pusher,
  upload,
  type Who,
} from './integrity'
import { makeCheckIn, photoBytes, sha256 } from './records'
import { signedIn, type TestServer } from './server'

export const HOSTILE_PARTY = '<script>alert("party")</script>某某商行'
export const HOSTILE_REASON = '<img src=x onerror=alert(1)> 不认可检查结果 & "拒绝"'

export interface EvidenceScenario {
  inspector: Who
  supervisor: Who
  checkIn: CheckIn
  inspection: Inspection
  photos: Buffer[]
  signatures: Buffer[]
  keyId: string
  clientId: string
}

async function signed(key: Awaited<ReturnType<typeof generateSigningKey>>, kind: SignedKind, record: object) {
  return { keyId: key.keyId, value: await signText(key.privateKey, recordSigningText(kind, await recordHash(record))) }
}

/** Pushes the scenario on `s`; `department` is the inspector's and the supervisor's. */
export async function evidenceScenario(s: TestServer, department = '省知识产权局'): Promise<EvidenceScenario> {
  const inspector = await signedIn(s, 'inspector', department)
  const supervisor = await signedIn(s, 'supervisor', department)
  const campaign = await makeCampaign(s, supervisor, [inspector], { department })
  const clientId = newClientId('evidence')
  const key = await generateSigningKey()
  const registered = await s.app.inject({
    method: 'POST',
    url: '/api/keys',
    headers: { cookie: inspector.cookie },
    payload: { clientId, publicKey: key.publicKey },
  })
  expect(registered.statusCode, registered.body).toBe(200)

  const photos = [photoBytes(101, 30_000), photoBytes(102, 20_000)]
  for (const p of photos) await upload(s, inspector, p, 'image/jpeg')
  const chain = new PhoneChain(clientId)
  const checkIn = await chain.link(
    makeCheckIn({
      authorId: inspector.user.id,
      campaignId: campaign.id,
      photos: photos.map((p) => ({ sha256: sha256(p), size: p.length, type: 'image/jpeg' as const, source: 'camera' })),
    }),
  )
  const lead = drawnSignature(201, { role: 'inspector', name: '李执法', userId: inspector.user.id })
  const witness = drawnSignature(202, { role: 'witness', name: '王见证' })
  for (const sig of [lead, witness]) await upload(s, inspector, sig.bytes)
  const inspection = await chain.link(
    makeInspection({
      authorId: inspector.user.id,
      checkInId: checkIn.id,
      campaignId: campaign.id,
      party: { ...makeInspection({ authorId: '', checkInId: '' }).party, name: HOSTILE_PARTY },
      photos: checkIn.photos,
      signatures: [lead.entry, witness.entry],
      refusal: { reason: HOSTILE_REASON, witnessName: '王见证' },
    }),
  )
  const phone = pusher(
    () => s,
    () => inspector,
    clientId,
  )
  const pushed = await phone.push([
    { name: 'checkin.create', args: checkIn, signature: await signed(key, 'checkin', checkIn) },
    { name: 'inspection.create', args: inspection, signature: await signed(key, 'inspection', inspection) },
  ])
  expect(pushed.status, JSON.stringify(pushed.body)).toBe(200)
  expect(pushed.body.results.map((r) => [r.status, r.signature])).toEqual([
    ['applied', 'valid'],
    ['applied', 'valid'],
  ])
  return {
    inspector,
    supervisor,
    checkIn,
    inspection,
    photos,
    signatures: [lead.bytes, witness.bytes],
    keyId: key.keyId,
    clientId,
  }
}

/** Downloads a check-in's evidence package as `who`. */
export async function downloadPackage(s: TestServer, who: Who, checkInId: string) {
  const res = await s.app.inject({ url: `/api/checkins/${checkInId}/evidence.zip`, headers: { cookie: who.cookie } })
  return { res, zip: new Uint8Array(res.rawPayload) }
}
