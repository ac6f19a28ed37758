import { describe, expect, it } from 'vitest'
import { ApiError } from '../../src/api/http'
import type { PushRequest } from '../../src/kernel/sync-schema'
import { compactPush, expandPush } from '../../src/kernel/wire'
import { httpTransport } from '../../src/sync/transport'

const PHONE = 'phone-0193a3f2-7c1e'
const ME = '0193a3f2-7c1e-7a4b-9c2d-1234567890ac'
const KEY = 'b'.repeat(64)

function checkIn(i: number, over: Record<string, unknown> = {}) {
  return {
    id: `0193a3f2-7c1e-7a4b-9c2d-${String(i).padStart(12, '0')}`,
    authorId: ME,
    venueName: `批发市场 ${i} 号档口`,
    venueType: 'market',
    occurredAt: '2026-11-28T06:00:00.000Z',
    location: { lat: 23.12, lng: 113.25, accuracy: 15 },
    outcome: 'no_problem',
    premisesInspected: 3,
    itemsSeized: i % 5,
    note: '例行巡查，未见明显侵权商品。',
    taskNumbers: [11, 28],
    campaignId: null,
    photos: [{ sha256: 'e'.repeat(64), size: 1000, type: 'image/jpeg', source: 'camera' }],
    correctionOf: null,
    createdAt: '2026-11-28T06:00:01.000Z',
    chain: { clientId: PHONE, seq: i, prev: i === 1 ? null : 'a'.repeat(64) },
    ...over,
  }
}

const push = (mutations: PushRequest['mutations']): PushRequest => ({
  clientId: PHONE,
  clientTime: '2026-11-28T06:00:02.000Z',
  mutations,
})
const signed = (seq: number, name: string, args: unknown, keyId = KEY) => ({
  seq,
  name,
  args,
  signature: { keyId, value: 'c'.repeat(86) },
})

describe('the compact push (wire 2)', () => {
  it('stands for exactly the push it was made from: records, signatures and all', () => {
    const req = push([
      signed(1, 'checkin.create', checkIn(1)),
      signed(2, 'note.put', {
        note: {
          id: 'n1',
          authorId: ME,
          taskNumber: 28,
          text: '复查',
          createdAt: 'x',
          updatedAt: 'y',
          chain: { clientId: PHONE, seq: 2, prev: 'a'.repeat(64) },
        },
        baseVersion: null,
      }),
      { seq: 3, name: 'note.delete', args: { id: 'n1', baseVersion: 7 } },
      // Made on another phone and imported here: its own author, chain and key stay as they are.
      signed(
        4,
        'checkin.create',
        checkIn(9, { authorId: 'someone-else', chain: { clientId: 'other-phone', seq: 9, prev: null } }),
        'd'.repeat(64),
      ),
      // Said otherwise than the phone says it: travels as it is.
      signed(
        6,
        'checkin.create',
        checkIn(6, {
          occurredAt: '2026-11-28T14:00:00+08:00',
          createdAt: '2026-11-28T06:00:01Z',
          chain: { clientId: PHONE, seq: 6, prev: 'A'.repeat(64) },
        }),
      ),
      signed(5, 'inspection.create', {
        id: 'i1',
        authorId: ME,
        items: [{ name: '假冒商品', count: 3 }],
        refusal: { reason: '拒签', witnessName: '李四' },
        party: { id: null, name: '某某商行', creditCode: null },
        signatures: [
          {
            role: 'party',
            name: '张三',
            userId: null,
            sha256: 'f'.repeat(64),
            size: 9,
            type: 'image/png',
            signedAt: 'z',
          },
        ],
        chain: { clientId: PHONE, seq: 5, prev: 'a'.repeat(64) },
      }),
    ])
    const before = JSON.stringify(req)
    const wire = compactPush(req)
    expect(JSON.stringify(req)).toBe(before) // the phone's own copy is untouched
    expect(expandPush(JSON.parse(JSON.stringify(wire)))).toEqual(req)
  })

  it('keeps the format it was first sent in: codes are places in a list that is only added to', () => {
    const wire = compactPush(push([signed(1, 'checkin.create', checkIn(1))]))
    expect(JSON.stringify(wire.mutations[0])).toBe(
      '{"~0":1,"~1":"~0","~2":{"~6":"0193a3f2-7c1e-7a4b-9c2d-000000000001","~8":"批发市场 1 号档口","~9":"market",' +
        '"~a":1795845600000,"~b":{"~c":23.12,"~d":113.25,"~e":15},"~f":"no_problem","~g":3,"~h":1,' +
        '"~i":"例行巡查，未见明显侵权商品。","~j":[11,28],"~l":null,"~m":[{"~n":"' +
        '7u'.repeat(21) +
        '4","~o":1000,"~p":"image/jpeg","~q":"camera"}],"~r":null,"~s":1795845601000,"~x":{"~0":1,"~z":null}},' +
        '"~3":"' +
        'c'.repeat(86) +
        '"}',
    )
    expect(wire).toMatchObject({ wire: 2, clientId: PHONE, authorId: ME, keyId: KEY })
  })

  it('is less than 70 % of the plain push for a day of check-ins', () => {
    const req = push(Array.from({ length: 200 }, (_, i) => signed(i + 1, 'checkin.create', checkIn(i + 1))))
    const plain = new TextEncoder().encode(JSON.stringify(req)).length
    const compact = new TextEncoder().encode(JSON.stringify(compactPush(req))).length
    expect(compact / plain).toBeLessThan(0.7)
  })

  it('leaves a push that is not wire 2 as it came, for the schema to read or refuse', () => {
    const plain = push([signed(1, 'checkin.create', checkIn(1))])
    expect(expandPush(plain)).toBe(plain)
    for (const odd of [null, 'x', [], { wire: 3, mutations: [] }, { wire: 2, mutations: 'x' }])
      expect(expandPush(odd)).toBe(odd)
  })
})

describe('the phone sending it', () => {
  const answer = { results: [], lastProcessedSeq: 1 }
  const json = (body: unknown, status = 200) =>
    new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } })

  it('sends compact pushes, and plain ones for good once a server before wire 2 refuses them', async () => {
    const sent: Record<string, unknown>[] = []
    const transport = httpTransport('', async (_url, init) => {
      const body = JSON.parse(String(init?.body)) as Record<string, unknown>
      sent.push(body)
      return body.wire ? json({ error: 'invalid_request', message: 'Invalid key: Expected never' }, 400) : json(answer)
    })
    const req = push([signed(1, 'checkin.create', checkIn(1))])
    expect(await transport.push(req)).toEqual(answer)
    expect(await transport.push(req)).toEqual(answer)
    expect(sent.map((b) => b.wire ?? 'plain')).toEqual([2, 'plain', 'plain'])
    expect(sent[1]).toEqual(req)
  })

  it('keeps sending compact pushes when a refusal is about something else', async () => {
    const sent: Record<string, unknown>[] = []
    const transport = httpTransport('', async (_url, init) => {
      sent.push(JSON.parse(String(init?.body)) as Record<string, unknown>)
      return sent.length === 1 ? json({ error: 'seq_gap', message: 'gap' }, 409) : json(answer)
    })
    const req = push([signed(1, 'checkin.create', checkIn(1))])
    await expect(transport.push(req)).rejects.toBeInstanceOf(ApiError)
    await transport.push(req)
    expect(sent.map((b) => b.wire)).toEqual([2, 2])
  })
})
