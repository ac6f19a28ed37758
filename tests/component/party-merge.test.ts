// @vitest-environment happy-dom
/**
 * A supervisor merges a stall recorded twice without a credit code, from the party's page, against the real
 * server: every fetch the page makes is answered by the server's own routes over an in-memory database. The
 * register on the phone is searched, the merge confirmed, and the page then shows the party it went into; an
 * inspector, a coded party and a refusal by the server are shown as such.
 */
import 'fake-indexeddb/auto'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { mount } from '@vue/test-utils'
import { createPinia } from 'pinia'
import { createMemoryHistory, RouterView } from 'vue-router'
import { db } from '../../src/db/db'
import { replaceDataset } from '../../src/db/dataset'
import { getParty, replaceSyncedParties, searchLocalParties } from '../../src/db/parties'
import { startSession } from '../../src/db/session'
import type { PartyForPhone } from '../../src/kernel/party'
import { uuidv7 } from '../../src/kernel/uuid'
import { i18n, setLocale } from '../../src/modules/i18n'
import { createAppRouter } from '../../src/router'
import { settle } from '../helpers/mount'
import { realDataset } from '../helpers/seed'
import { makeServer, signedIn, type TestServer } from '../helpers/server'

type Who = Awaited<ReturnType<typeof signedIn>>
let s: TestServer
let boss: Who
let inspector: Who
const HOSTILE = '<img src=x onerror=alert(1)>夜市档口'

beforeAll(async () => {
  s = await makeServer('sqlite')
  boss = await signedIn(s, 'supervisor')
  inspector = await signedIn(s)
})
afterAll(() => s.close())

/** The page's fetches, answered by the server as `who`. */
function answerWithServer(who: Who) {
  vi.stubGlobal('fetch', async (input: string, init: RequestInit = {}) => {
    const res = await s.app.inject({
      method: (init.method ?? 'GET') as 'GET',
      url: input,
      headers: { cookie: who.cookie, ...(init.headers as Record<string, string> | undefined) },
      ...(init.body ? { payload: String(init.body) } : {}),
    })
    return new Response(res.statusCode === 204 ? null : res.body, {
      status: res.statusCode,
      headers: { 'content-type': String(res.headers['content-type'] ?? 'application/json') },
    })
  })
}

async function createParty(who: Who, name: string, creditCode = '') {
  const res = await s.app.inject({
    method: 'POST',
    url: '/api/parties',
    headers: { cookie: who.cookie },
    payload: { id: uuidv7(), name, creditCode, address: '广州市越秀区', personPresent: '', personRole: '', phone: '' },
  })
  expect(res.statusCode, res.body).toBe(201)
  return res.json().party as { id: string; name: string }
}

/** The phone's register as a sync brings it, then the party's page. */
async function openParty(who: Who, id: string) {
  await setLocale('zh-CN')
  await startSession(db, who.user, '2099-01-01T00:00:00Z')
  await replaceDataset(db, realDataset)
  const mine = await s.app.inject({ url: '/api/parties/mine', headers: { cookie: who.cookie } })
  await replaceSyncedParties(db, mine.json().parties as PartyForPhone[])
  answerWithServer(who)
  const router = createAppRouter(createMemoryHistory())
  await router.push(`/parties/${id}`)
  await router.isReady()
  const wrapper = mount(RouterView, { global: { plugins: [createPinia(), router, i18n] } })
  await settle()
  return wrapper
}

describe('merging a party on its page', () => {
  afterEach(async () => {
    vi.unstubAllGlobals()
    await Promise.all(db.tables.map((t) => t.clear()))
  })

  it('lets a supervisor find the other entry, confirm, and then shows the party it went into', async () => {
    const a = await createParty(boss, '东门档口 甲')
    const b = await createParty(boss, HOSTILE)
    const wrapper = await openParty(boss, a.id)
    expect(wrapper.get('[data-testid="party-title"]').text()).toBe('东门档口 甲')
    await wrapper.get('[data-testid="party-merge-start"]').trigger('click')
    await settle()
    await wrapper.get('[data-testid="party-merge-q"]').setValue('夜市')
    await settle()
    const choices = wrapper.findAll('[data-testid="party-merge-matches"] button')
    expect(choices.map((c) => c.find('.pick-name').text())).toEqual([HOSTILE])
    // Markup in a name is text, never an element.
    expect(wrapper.find('[data-testid="party-merge-matches"] img').exists()).toBe(false)
    await choices[0]!.trigger('click')
    await settle()
    expect(wrapper.get('[data-testid="party-merge-confirm"]').text()).toContain(`把“东门档口 甲”合并到“${HOSTILE}”`)
    await wrapper.get('[data-testid="party-merge-confirm-button"]').trigger('click')
    await vi.waitFor(() => expect(wrapper.find('[data-testid="party-merged"]').exists()).toBe(true))
    await settle()
    // The page of the merged id now opens the party it went into; the server says the same.
    expect(wrapper.get('[data-testid="party-title"]').text()).toBe(HOSTILE)
    expect(wrapper.find('img').exists()).toBe(false)
    expect(wrapper.get('[data-testid="party-merged"]').text()).toBe('“东门档口 甲”已合并到本当事人。')
    const read = await s.app.inject({ url: `/api/parties/${a.id}`, headers: { cookie: boss.cookie } })
    expect(read.json()).toMatchObject({ party: { id: b.id }, mergedFrom: a.id })
    expect((await db.parties.get(a.id))?.mergedInto).toBe(b.id)
    wrapper.unmount()
  })

  it('says why the server refused, in the user’s language', async () => {
    const a = await createParty(boss, '西门档口 甲')
    const b = await createParty(boss, '西门档口 乙')
    const wrapper = await openParty(boss, a.id)
    await wrapper.get('[data-testid="party-merge-start"]').trigger('click')
    await settle()
    await wrapper.get('[data-testid="party-merge-q"]').setValue('西门')
    await settle()
    await wrapper.get('[data-testid="party-merge-matches"] button').trigger('click')
    await settle()
    // Meanwhile someone merged it on the server already.
    const first = await s.app.inject({
      method: 'POST',
      url: `/api/parties/${a.id}/merge`,
      headers: { cookie: boss.cookie },
      payload: { into: b.id },
    })
    expect(first.statusCode, first.body).toBe(200)
    await wrapper.get('[data-testid="party-merge-confirm-button"]').trigger('click')
    await vi.waitFor(() => expect(wrapper.find('[data-testid="party-merge-error"]').exists()).toBe(true))
    expect(wrapper.get('[data-testid="party-merge-error"]').text()).toBe('未合并：本当事人已被合并。')
    wrapper.unmount()
    // The next sync's register has no merged one, and names it with the party it went into.
    const mine = (await s.app.inject({ url: '/api/parties/mine', headers: { cookie: boss.cookie } })).json()
    expect(mine.parties.map((p: PartyForPhone) => p.id)).not.toContain(a.id)
    expect(mine.merged).toContainEqual({ id: a.id, into: b.id })
    await replaceSyncedParties(db, mine.parties, Date.now(), mine.merged)
    expect((await db.parties.get(a.id))?.mergedInto).toBe(b.id)
    expect((await getParty(db, a.id))?.id).toBe(b.id)
    expect((await searchLocalParties(db, '西门')).map((p) => p.id)).toEqual([b.id])
  })

  it('offers no merge to an inspector, nor for a party with a credit code', async () => {
    const stall = await createParty(inspector, '北门档口')
    const asInspector = await openParty(inspector, stall.id)
    expect(asInspector.get('[data-testid="party-title"]').text()).toBe('北门档口')
    expect(asInspector.find('[data-testid="party-merge-start"]').exists()).toBe(false)
    asInspector.unmount()
    await Promise.all(db.tables.map((t) => t.clear()))
    const coded = await createParty(boss, '广州有码公司', '914403001922038216')
    const asBoss = await openParty(boss, coded.id)
    expect(asBoss.get('[data-testid="party-title"]').text()).toBe('广州有码公司')
    expect(asBoss.find('[data-testid="party-merge-start"]').exists()).toBe(false)
    asBoss.unmount()
  })
})
