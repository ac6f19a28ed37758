/**
 * The party register on the phone (src/db/parties.ts) against the real server: parties made offline are kept
 * 'waiting', sent at the next sync (taken, merged by credit code, or refused with the reason, never lost), and
 * the register and colleagues come down for look-up offline by name, code or pinyin initials.
 */
import 'fake-indexeddb/auto'
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { ZhixunDB, type LocalParty } from '../../src/db/db'
import {
  createLocalParty,
  editLocalParty,
  getParty,
  matchParties,
  PartyInvalidError,
  pushWaitingParties,
  searchLocalParties,
  syncRegister,
} from '../../src/db/parties'
import { postParty } from '../../src/api/parties'
import { creditCodeCheckChar } from '../../src/kernel/credit-code'
import { certifiedCount } from '../../src/db/colleagues'
import { makeServer, signedIn, type TestServer } from '../helpers/server'

/** The published example of ../shared/docs/domain.md. */
const SHENZHEN = '914403001922038216'
const STEM = '91440101MA59XYW12'
const GUANGZHOU = STEM + creditCodeCheckChar(STEM)!
const STEM2 = '91440300MA5FABCD1'
const SHENZHEN2 = STEM2 + creditCodeCheckChar(STEM2)!

let s: TestServer
let me: Awaited<ReturnType<typeof signedIn>>
let other: Awaited<ReturnType<typeof signedIn>>
let db: ZhixunDB
let dbNo = 0
/** When set, every fetch fails as a phone without signal does. */
let offline = false

beforeAll(async () => {
  s = await makeServer('sqlite')
  me = await signedIn(s)
  other = await signedIn(s, 'inspector', '省工商局')
  const admin = await signedIn(s, 'admin')
  const set = await s.app.inject({
    method: 'PATCH',
    url: `/api/users/${me.user.id}`,
    headers: { cookie: admin.cookie },
    payload: { certificateNumber: '粤执 440100-0001', certificateExpiry: '2026-12-31' },
  })
  expect(set.statusCode, set.body).toBe(200)
})
afterAll(async () => {
  vi.unstubAllGlobals()
  await s.close()
})
beforeEach(() => {
  db = new ZhixunDB(`parties-offline-${++dbNo}`)
  offline = false
  answerAs(me.cookie)
})

/** The phone's fetches, answered by the server's own routes with `cookie`. */
function answerAs(cookie: string) {
  vi.stubGlobal('fetch', async (input: string, init: RequestInit = {}) => {
    if (offline) throw new TypeError('Failed to fetch')
    const res = await s.app.inject({
      method: (init.method ?? 'GET') as 'GET',
      url: input,
      headers: { cookie, ...(init.body ? { 'content-type': 'application/json' } : {}) },
      ...(init.body ? { payload: String(init.body) } : {}),
    })
    return new Response(res.body, {
      status: res.statusCode,
      headers: { 'content-type': String(res.headers['content-type']) },
    })
  })
}

const typed = (name: string, creditCode = '') => ({
  name,
  creditCode,
  address: '广州市越秀区某街 1 号',
  personPresent: '张三',
  personRole: '店主',
  phone: '020-12345678',
})

describe('a party made offline', () => {
  it('is checked as typed: a wrong credit code is refused on the phone with what is wrong, and nothing is kept', async () => {
    for (const [code, says] of [
      ['914403001922038217', /check character/],
      ['9144030019220382', /18 characters/],
      ['91440300I92203821' + '6', /I, O, Z, S and V/],
    ] as const) {
      const err = await createLocalParty(db, typed('某商行', code), me.user).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(PartyInvalidError)
      expect((err as PartyInvalidError).detail).toMatch(says)
    }
    await expect(createLocalParty(db, typed('  '), me.user)).rejects.toBeInstanceOf(PartyInvalidError)
    expect(await db.parties.count()).toBe(0)
  })

  it('waits offline, is found by name (not yet by initials), and goes up at the next sync with its own id', async () => {
    offline = true
    const made = await createLocalParty(db, typed('广州市某某商行', ` ${GUANGZHOU.toLowerCase()} `), me.user)
    expect(made).toMatchObject({ state: 'waiting', creditCode: GUANGZHOU, initials: '', department: '省知识产权局' })
    await expect(syncRegister(db)).rejects.toBeInstanceOf(TypeError)
    expect((await db.parties.get(made.id))?.state).toBe('waiting')
    expect((await searchLocalParties(db, '某某商行')).map((p) => p.id)).toEqual([made.id])
    expect(await searchLocalParties(db, 'gzsm')).toEqual([])

    offline = false
    await syncRegister(db)
    const synced = await db.parties.get(made.id)
    expect(synced).toMatchObject({ state: 'synced', initials: 'gzsmmsh', creditCode: GUANGZHOU })
    // On the server under the phone's id.
    const read = await s.app.inject({ url: `/api/parties/${made.id}`, headers: { cookie: me.cookie } })
    expect(read.json().party.name).toBe('广州市某某商行')
    // Offline again: found by initials, by the start of the code (as typed on a phone), by words of the name.
    offline = true
    for (const q of ['gzsm', 'SMMSH', GUANGZHOU.slice(0, 8).toLowerCase(), '９１４４ ０１０１', '某某'])
      expect(
        (await searchLocalParties(db, q)).map((p) => p.id),
        q,
      ).toEqual([made.id])
    expect(await searchLocalParties(db, 'xyz')).toEqual([])
  })

  it('merged into the party the register has under its credit code: that party is kept, the local id points to it', async () => {
    const first = await s.app.inject({
      method: 'POST',
      url: '/api/parties',
      headers: { cookie: other.cookie },
      payload: { id: '01a2a000-0000-7000-8000-000000000001', name: '华为技术有限公司', creditCode: SHENZHEN },
    })
    expect(first.statusCode, first.body).toBe(201)
    const made = await createLocalParty(db, typed('华为（现场录入）', SHENZHEN), me.user)
    expect(await pushWaitingParties(db, postParty)).toBe(1)
    const pointer = await db.parties.get(made.id)
    expect(pointer).toMatchObject({ state: 'synced', mergedInto: first.json().party.id })
    // Whatever names the local id (a check-in saved before) finds the merged party; search lists it once.
    expect((await getParty(db, made.id))?.name).toBe('华为技术有限公司')
    expect((await searchLocalParties(db, '华为')).map((p) => p.name)).toEqual(['华为技术有限公司'])
    // The next lists replace the register but keep the pointer; the party is now filed for my department too.
    await syncRegister(db)
    expect((await db.parties.get(made.id))?.mergedInto).toBe(first.json().party.id)
    expect((await searchLocalParties(db, '华为')).map((p) => p.state)).toEqual(['synced'])
  })

  it('refused by the server: kept with the reason, corrected, and taken when sent again', async () => {
    // A party kept by an earlier version, with a code the phone did not check then.
    const bad: LocalParty = {
      ...(await createLocalParty(db, typed('<img src=x onerror=alert(1)>'), me.user)),
      creditCode: '914403001922038217',
    }
    await db.parties.put(bad)
    await pushWaitingParties(db, postParty)
    expect(await db.parties.get(bad.id)).toMatchObject({ state: 'rejected', reason: 'invalid_credit_code:check' })
    // A refusal does not stop the parties behind it, nor is a refused one sent again unchanged.
    const next = await createLocalParty(db, typed('下一个摊位'), me.user)
    expect(await pushWaitingParties(db, postParty)).toBe(1)
    expect((await db.parties.get(next.id))?.state).toBe('synced')
    expect((await db.parties.get(bad.id))?.state).toBe('rejected')

    const fixed = await editLocalParty(db, bad.id, typed('<img src=x onerror=alert(1)>', SHENZHEN2))
    expect(fixed.state).toBe('waiting')
    expect(fixed).not.toHaveProperty('reason')
    await syncRegister(db)
    expect(await db.parties.get(bad.id)).toMatchObject({
      state: 'synced',
      name: '<img src=x onerror=alert(1)>',
      creditCode: SHENZHEN2,
    })
  })

  it('a session that ended stops the sending: the party waits, nothing is marked refused', async () => {
    const made = await createLocalParty(db, typed('等待的摊位'), me.user)
    answerAs('zhixun_session=nobody')
    await expect(pushWaitingParties(db, postParty)).rejects.toMatchObject({ status: 401 })
    expect((await db.parties.get(made.id))?.state).toBe('waiting')
  })
})

describe('the register and colleagues on the phone', () => {
  it('come down with sync and replace the last lists, keeping parties made here', async () => {
    const stale: LocalParty = {
      ...(await createLocalParty(db, typed('已被删除的旧列表项'), me.user)),
      state: 'synced',
    }
    await db.parties.put(stale)
    offline = true
    const waiting = await createLocalParty(db, typed('离线新建'), me.user)
    offline = false
    await db.parties.update(waiting.id, { state: 'rejected', reason: 'invalid' })
    await syncRegister(db)
    expect(await db.parties.get(stale.id)).toBeUndefined()
    expect((await db.parties.get(waiting.id))?.state).toBe('rejected')
    const colleagues = await db.colleagues.toArray()
    const mine = colleagues.find((c) => c.userId === me.user.id)
    expect(mine).toMatchObject({ certificateNumber: '粤执 440100-0001', certificateExpiry: '2026-12-31' })
    expect(colleagues.map((c) => c.userId)).not.toContain(other.user.id)
  })

  it('count certified inspectors at the check-in’s time, each once', () => {
    const certificates = new Map([
      ['a', { certificateNumber: 'A-1', certificateExpiry: '2026-11-30' }],
      ['b', { certificateNumber: 'B-1', certificateExpiry: '2026-11-01' }],
      ['c', { certificateNumber: null, certificateExpiry: null }],
    ])
    // 30 November, 23:00 in Guangdong: A's last valid day.
    expect(certifiedCount(['a', 'b', 'c', 'a', 'd'], certificates, '2026-11-30T15:00:00.000Z')).toBe(1)
    expect(certifiedCount(['a', 'b'], certificates, '2026-10-31T00:00:00.000Z')).toBe(2)
    expect(certifiedCount(['a'], certificates, '2026-11-30T16:00:00.000Z')).toBe(0)
  })

  it('match a search by name, code start or initials, leaving out merged ids', () => {
    const p = (name: string, extra: Partial<LocalParty> = {}): LocalParty => ({
      id: name,
      name,
      creditCode: null,
      address: '',
      personPresent: '',
      personRole: '',
      phone: '',
      department: '省知识产权局',
      initials: '',
      visits: [],
      state: 'synced',
      savedAt: 0,
      ...extra,
    })
    const all = [
      p('广州市某某商行', { initials: 'gzsmmsh', creditCode: GUANGZHOU }),
      p('深圳某电子', { initials: 'szmdz' }),
      p('ABC 鞋店', { initials: 'abcxd' }),
      p('旧编号', { mergedInto: '广州市某某商行' }),
    ]
    expect(matchParties(all, 'gz').map((x) => x.name)).toEqual(['广州市某某商行'])
    expect(matchParties(all, 'abc').map((x) => x.name)).toEqual(['ABC 鞋店'])
    expect(matchParties(all, '9144').map((x) => x.name)).toEqual(['广州市某某商行'])
    expect(matchParties(all, '旧编号')).toEqual([])
    expect(matchParties(all, '')).toHaveLength(3)
    expect(matchParties(all, '%')).toEqual([])
  })
})
