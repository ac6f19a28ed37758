/**
 * What the record-integrity tests share (chain, clock, inspection records): a phone's hash chain, an
 * inspection record, pushing and uploading as a signed-in user.
 */
import { expect } from 'vitest'
import { recordHash } from '../../src/kernel/canonical'
import type { Campaign } from '../../src/kernel/campaign-schema'
import type { ChainLink, Inspection, PushResponse } from '../../src/kernel/sync-schema'
import { uuidv7 } from '../../src/kernel/uuid'
import { sha256 } from './records'
import type { TestServer } from './server'

export type Who = { user: { id: string; displayName?: string }; cookie: string }

/**
 * A phone's chain: each record it makes takes the next sequence number and the hash of the one before, as
 * the phone does (src/kernel/sync-schema.ts ChainLink). `link` stamps a record and returns it.
 */
export class PhoneChain {
  seq = 0
  head: string | null = null
  constructor(readonly clientId: string) {}

  async link<T extends object>(record: T): Promise<T & { chain: ChainLink }> {
    const stamped = { ...record, chain: { clientId: this.clientId, seq: ++this.seq, prev: this.head } }
    this.head = await recordHash(stamped)
    return stamped
  }
}

let clientNo = 0
export const newClientId = (tag: string) => `${tag}-${++clientNo}-${Math.random().toString(36).slice(2, 10)}`

/** One client's pushes, its sequence numbers counted. */
export function pusher(s: () => TestServer, who: () => Who, clientId = newClientId('push')) {
  let seq = 0
  return {
    clientId,
    async push(mutations: { name: string; args: unknown; signature?: unknown }[], clientTime?: string) {
      const res = await s().app.inject({
        method: 'POST',
        url: '/api/sync/push',
        headers: { cookie: who().cookie },
        payload: {
          clientId,
          ...(clientTime === undefined ? {} : { clientTime }),
          mutations: mutations.map((m) => ({ seq: ++seq, ...m })),
        },
      })
      // A refused push moved nothing on: its numbers are used again.
      if (res.statusCode !== 200) seq -= mutations.length
      return { status: res.statusCode, body: res.json() as PushResponse & { error?: string; missing?: string[] } }
    },
  }
}

/** Announces and uploads every byte of an image as `who`, in one chunk. */
export async function upload(s: TestServer, who: Who, bytes: Buffer, type = 'image/png'): Promise<void> {
  const ref = { sha256: sha256(bytes), size: bytes.length, type }
  const start = await s.app.inject({
    method: 'POST',
    url: '/api/photos',
    payload: ref,
    headers: { cookie: who.cookie },
  })
  expect([200, 201], start.body).toContain(start.statusCode)
  const res = await s.app.inject({
    method: 'PATCH',
    url: `/api/photos/${ref.sha256}`,
    headers: { cookie: who.cookie, 'content-type': 'application/offset+octet-stream', 'upload-offset': '0' },
    payload: bytes,
  })
  expect(res.statusCode, res.body).toBe(200)
}

/** A campaign made by `supervisor` naming `inspectors`. */
export async function makeCampaign(
  s: TestServer,
  supervisor: Who,
  inspectors: Who[],
  o: { requireTwoCertified?: boolean; department?: string } = {},
): Promise<Campaign> {
  const res = await s.app.inject({
    method: 'POST',
    url: '/api/campaigns',
    headers: { cookie: supervisor.cookie },
    payload: {
      name: '护航行动',
      description: '',
      taskNumbers: [37],
      departments: [o.department ?? '省知识产权局'],
      inspectorIds: inspectors.map((i) => i.user.id),
      startDate: '2026-11-01',
      endDate: '2026-12-31',
      venues: [],
      ...(o.requireTwoCertified === undefined ? {} : { requireTwoCertified: o.requireTwoCertified }),
    },
  })
  expect(res.statusCode, res.body).toBe(201)
  return res.json().campaign as Campaign
}

/** Sets an account's enforcement certificate straight in the database. */
export async function setCertificate(s: TestServer, who: Who, number: string | null, expiry: string | null) {
  await s.store.db
    .updateTable('users')
    .set({ certificate_number: number, certificate_expiry: expiry })
    .where('id', '=', who.user.id)
    .execute()
}

/** A signed 现场检查笔录 of `checkInId` by `authorId`, with no photos or signatures unless given. */
export function makeInspection(o: Partial<Inspection> & { authorId: string; checkInId: string }): Inspection {
  const lead = { userId: o.authorId, name: '李执法', certificateNumber: '粤执 44010001' }
  return {
    id: uuidv7(),
    campaignId: null,
    startedAt: '2026-11-20T02:30:00.000Z',
    endedAt: '2026-11-20T03:10:00.000Z',
    place: '广交会展馆 A 区 3.2C 展位',
    party: {
      id: null,
      name: '广州某某贸易有限公司',
      creditCode: '914403001922038216',
      address: '广州市海珠区阅江中路 380 号',
      personPresent: '张三',
      personRole: '店长',
      phone: '13800000000',
    },
    inspectors: [lead],
    recorder: lead,
    findings: '展位陈列蓝牙耳机 30 副，外包装标注他人注册商标，未能提供授权。',
    items: [{ name: '蓝牙耳机', count: 30 }],
    photos: [],
    signatures: [],
    refusal: null,
    correctionOf: null,
    signedAt: '2026-11-20T03:12:00.000Z',
    createdAt: '2026-11-20T03:00:00.000Z',
    ...o,
  }
}

/** A drawn signature as the phone keeps it: a PNG (distinct bytes per seed) and its entry in the record. */
export function drawnSignature(
  seed: number,
  o: { role?: 'inspector' | 'party' | 'witness'; name?: string; userId?: string | null } = {},
) {
  const bytes = Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    Buffer.from(`signature-${seed}-${'x'.repeat(200)}`),
  ])
  return {
    bytes,
    entry: {
      role: o.role ?? 'party',
      name: o.name ?? '张三',
      userId: o.userId ?? null,
      sha256: sha256(bytes),
      size: bytes.length,
      type: 'image/png' as const,
      signedAt: '2026-11-20T03:11:00.000Z',
    },
  }
}
