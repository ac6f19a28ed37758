import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MAX_KEYS_PER_USER } from '../../server/auth/keys'
import { recordHash } from '../../src/kernel/canonical'
import { generateSigningKey, recordSigningText, signText, type SignedKind } from '../../src/kernel/signature'
import type { CheckIn, FieldNote, PushResponse } from '../../src/kernel/sync-schema'
import { makeCheckIn as anyCheckIn, makeNote as anyNote } from '../helpers/records'
import { makeServer, signedIn, describeStores, type TestServer } from '../helpers/server'

type Key = Awaited<ReturnType<typeof generateSigningKey>>

/** What a phone does when it saves a record: sign its canonical hash. */
async function sign(key: Key, kind: SignedKind, record: object) {
  return { keyId: key.keyId, value: await signText(key.privateKey, recordSigningText(kind, await recordHash(record))) }
}

describeStores('signing keys and signed records on %s', (kind) => {
  let s: TestServer
  let me: { user: { id: string }; cookie: string }
  let other: { user: { id: string }; cookie: string }
  let clientNo = 0
  const newClient = () => `keys-${kind}-${++clientNo}-${Math.random().toString(36).slice(2, 8)}`
  const makeCheckIn = (o: Partial<CheckIn> = {}) => anyCheckIn({ authorId: me.user.id, ...o })
  const makeNote = (o: Partial<FieldNote> = {}) => anyNote({ authorId: me.user.id, ...o })
  const register = (clientId: string, publicKey: unknown, cookie = me.cookie) =>
    s.app.inject({ method: 'POST', url: '/api/keys', headers: { cookie }, payload: { clientId, publicKey } as object })
  const push = async (clientId: string, mutations: object[], cookie = me.cookie) => {
    const res = await s.app.inject({
      method: 'POST',
      url: '/api/sync/push',
      headers: { cookie },
      payload: { clientId, mutations },
    })
    return { status: res.statusCode, body: res.json() as PushResponse & { error?: string } }
  }
  const stored = (id: string) =>
    s.store.db
      .selectFrom('records')
      .select(['signature_status', 'signature', 'data'])
      .where('id', '=', id)
      .executeTakeFirst()

  beforeAll(async () => {
    s = await makeServer(kind)
    me = await signedIn(s)
    other = await signedIn(s)
  })
  afterAll(() => s.close())

  describe('registering a phone client’s public key', () => {
    it('keeps it as the signed-in user’s, once, and answers only them whether a key is theirs', async () => {
      const key = await generateSigningKey()
      const clientId = newClient()
      const first = await register(clientId, { ...key.publicKey, ext: true, key_ops: ['verify'] })
      expect(first.statusCode).toBe(200)
      expect(first.json()).toMatchObject({ keyId: key.keyId, clientId })
      expect((await register(clientId, key.publicKey)).json()).toEqual(first.json())
      const mine = await s.app.inject({ url: `/api/keys/${key.keyId}`, headers: { cookie: me.cookie } })
      expect(mine.statusCode).toBe(200)
      expect(mine.json()).toMatchObject({ keyId: key.keyId, clientId })
      const theirs = await s.app.inject({ url: `/api/keys/${key.keyId}`, headers: { cookie: other.cookie } })
      expect(theirs.statusCode).toBe(404)
      expect((await s.app.inject({ url: `/api/keys/${key.keyId}` })).statusCode).toBe(401)
      expect((await s.app.inject({ url: '/api/keys/not-a-key-id', headers: { cookie: me.cookie } })).statusCode).toBe(
        400,
      )
    })

    it('refuses a client id another user has, a key that is no P-256 point, and anyone signed out', async () => {
      const clientId = newClient()
      expect((await register(clientId, (await generateSigningKey()).publicKey)).statusCode).toBe(200)
      const stolen = await register(clientId, (await generateSigningKey()).publicKey, other.cookie)
      expect([stolen.statusCode, stolen.json().error]).toEqual([403, 'forged_client'])
      // A client id that pushed as someone else is theirs too.
      const pushed = newClient()
      expect((await push(pushed, [], other.cookie)).status).toBe(200)
      expect((await register(pushed, (await generateSigningKey()).publicKey)).json().error).toBe('forged_client')

      const { x, y } = (await generateSigningKey()).publicKey
      const offCurve = { kty: 'EC', crv: 'P-256', x, y: x === y ? x.replace(/^./, 'A') : x }
      for (const bad of [offCurve, { kty: 'EC', crv: 'P-384', x, y }, { kty: 'RSA', n: 'x', e: 'AQAB' }, 'key', null]) {
        const res = await register(newClient(), bad)
        expect([res.statusCode, res.json().error], JSON.stringify(bad)).toEqual([400, 'invalid_request'])
      }
      expect((await register('short', (await generateSigningKey()).publicKey)).statusCode).toBe(400)
      const anonymous = await s.app.inject({ method: 'POST', url: '/api/keys', payload: { clientId: newClient() } })
      expect(anonymous.statusCode).toBe(401)
    })

    it(`takes at most ${MAX_KEYS_PER_USER} keys per user`, async () => {
      const many = await signedIn(s)
      const key = await generateSigningKey()
      // The same public key under many client ids would be one key; rows stand for many phones here.
      await s.store.db
        .insertInto('client_keys')
        .values(
          Array.from({ length: MAX_KEYS_PER_USER }, (_, i) => ({
            user_id: many.user.id,
            key_id: String(i).padStart(64, '0'),
            client_id: `filler-${i}`,
            public_key: '{}',
            created_at: new Date().toISOString(),
          })),
        )
        .execute()
      const res = await register(newClient(), key.publicKey, many.cookie)
      expect([res.statusCode, res.json().error]).toEqual([409, 'too_many_keys'])
    })
  })

  describe('pushing signed records', () => {
    let key: Key
    let clientId: string
    let seq = 0
    beforeAll(async () => {
      key = await generateSigningKey()
      clientId = newClient()
      expect((await register(clientId, key.publicKey)).statusCode).toBe(200)
    })

    it('checks every signature, keeps the record whatever it finds, and flags it: valid, unsigned, invalid, unknown_key', async () => {
      const stranger = await generateSigningKey()
      const theirKey = await generateSigningKey()
      expect((await register(newClient(), theirKey.publicKey, other.cookie)).statusCode).toBe(200)
      const good = makeCheckIn()
      const unsigned = makeCheckIn()
      const changed = makeCheckIn({ itemsSeized: 3 })
      const strangers = makeCheckIn()
      const othersKey = makeCheckIn()
      const garbled = makeCheckIn()
      const note = makeNote()
      const mutations = [
        { seq: ++seq, name: 'checkin.create', args: good, signature: await sign(key, 'checkin', good) },
        { seq: ++seq, name: 'checkin.create', args: unsigned },
        // Signed as 3 items, sent as 300.
        {
          seq: ++seq,
          name: 'checkin.create',
          args: { ...changed, itemsSeized: 300 },
          signature: await sign(key, 'checkin', changed),
        },
        { seq: ++seq, name: 'checkin.create', args: strangers, signature: await sign(stranger, 'checkin', strangers) },
        { seq: ++seq, name: 'checkin.create', args: othersKey, signature: await sign(theirKey, 'checkin', othersKey) },
        { seq: ++seq, name: 'checkin.create', args: garbled, signature: { keyId: key.keyId, value: 'x'.repeat(5000) } },
        { seq: ++seq, name: 'note.put', args: { note, baseVersion: null }, signature: await sign(key, 'note', note) },
      ]
      const res = await push(clientId, mutations)
      expect(res.status).toBe(200)
      expect(res.body.results.map((r) => [r.status, r.signature])).toEqual([
        ['applied', 'valid'],
        ['applied', undefined],
        ['applied', 'invalid'],
        ['applied', 'unknown_key'],
        ['applied', 'unknown_key'],
        ['applied', 'invalid'],
        ['applied', 'valid'],
      ])
      const statuses = await Promise.all(
        [good, unsigned, changed, strangers, othersKey, garbled, note].map(
          async (r) => (await stored(r.id))?.signature_status,
        ),
      )
      expect(statuses).toEqual(['valid', 'unsigned', 'invalid', 'unknown_key', 'unknown_key', 'invalid', 'valid'])
      // The signature is kept as sent, to be checked again by anyone; an unreadable one is not kept.
      expect(JSON.parse((await stored(good.id))!.signature!)).toEqual(mutations[0]!.signature)
      expect((await stored(garbled.id))!.signature).toBeNull()
      expect(JSON.parse((await stored(changed.id))!.data!).itemsSeized).toBe(300)
    })

    it('answers a push sent again the same, whatever its signature, and a deleted note keeps no signature status', async () => {
      const note = makeNote()
      const first = [
        { seq: ++seq, name: 'note.put', args: { note, baseVersion: null }, signature: await sign(key, 'note', note) },
      ]
      expect((await push(clientId, first)).body.results).toEqual([{ seq: seq, status: 'applied', signature: 'valid' }])
      // ECDSA signs differently each time; the same mutation with a new signature is still the same mutation.
      const again = [{ ...first[0]!, signature: await sign(key, 'note', note) }]
      const replay = await push(clientId, again)
      expect(replay.status).toBe(200)
      expect(replay.body.results).toEqual([{ seq: seq, status: 'applied' }])
      const del = await push(clientId, [{ seq: ++seq, name: 'note.delete', args: { id: note.id, baseVersion: null } }])
      expect(del.body.results).toEqual([{ seq: seq, status: 'applied' }])
      expect(await stored(note.id)).toMatchObject({ signature_status: null, signature: null })
    })

    it('tells a check-in sent again (its first answer lost) what it found of the signature, as the first time', async () => {
      const checkIn = makeCheckIn()
      const badly = makeCheckIn({ itemsSeized: 3 })
      const first = [
        { seq: ++seq, name: 'checkin.create', args: checkIn, signature: await sign(key, 'checkin', checkIn) },
        {
          seq: ++seq,
          name: 'checkin.create',
          args: { ...badly, itemsSeized: 30 },
          signature: await sign(key, 'checkin', badly),
        },
      ]
      const answered = await push(clientId, first)
      expect(answered.body.results.map((r) => r.signature)).toEqual(['valid', 'invalid'])
      // The answer never reached the phone: it sends the same again, and hears the same of the signatures.
      const replay = await push(clientId, first)
      expect(replay.status).toBe(200)
      expect(replay.body.results.map((r) => [r.status, r.signature])).toEqual([
        ['applied', 'valid'],
        ['applied', 'invalid'],
      ])
    })

    it('takes a push from a phone that sends no signature field at all, as every phone did before', async () => {
      const old = makeCheckIn()
      const res = await push(newClient(), [{ seq: 1, name: 'checkin.create', args: old }])
      // Answered as before signatures (with nothing said of one); the record is flagged on the server.
      expect(res.body.results).toEqual([
        { seq: 1, status: 'applied', hash: expect.any(String), version: expect.any(Number) },
      ])
      expect((await stored(old.id))?.signature_status).toBe('unsigned')
    })
  })
})
