// @vitest-environment happy-dom
/**
 * The account and campaign forms, against the real server, offer departments only: not the source's collective
 * names (各地, 各有关单位, 各有关部门, 各级知识产权相关职能部门…), which the task browser keeps. An account or a
 * campaign stored with one before still shows it, chosen. The campaign form's task previews carry the whole text.
 */
import 'fake-indexeddb/auto'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { mount, type VueWrapper } from '@vue/test-utils'
import { createPinia } from 'pinia'
import { createMemoryHistory, RouterView } from 'vue-router'
import { db } from '../../src/db/db'
import { replaceDataset } from '../../src/db/dataset'
import { startSession } from '../../src/db/session'
import type { Campaign } from '../../src/kernel/campaign-schema'
import type { SessionUser } from '../../src/kernel/users'
import { i18n, setLocale } from '../../src/modules/i18n'
import { createAppRouter } from '../../src/router'
import { settle } from '../helpers/mount'
import { realDataset } from '../helpers/seed'
import { makeServer, signedIn, type TestServer } from '../helpers/server'
import { injectFetch } from '../helpers/sync'

type Who = { user: SessionUser; cookie: string }
const SERVER_ANSWER = { timeout: 10_000 }
const COLLECTIVE = ['各地', '各有关单位', '各有关部门', '各级知识产权相关职能部门']
const REAL = realDataset.departments.map((d) => d.name).filter((n) => !n.startsWith('各'))

let s: TestServer
let admin: Who
let supervisor: Who

beforeAll(async () => {
  s = await makeServer('sqlite')
  admin = await signedIn(s, 'admin')
  supervisor = await signedIn(s, 'supervisor')
})
afterAll(() => s.close())
afterEach(async () => {
  vi.unstubAllGlobals()
  document.body.innerHTML = ''
  await setLocale('zh-CN')
  await Promise.all(db.tables.map((t) => t.clear()))
})

async function open(who: Who, path: string, ready: string) {
  vi.stubGlobal('fetch', injectFetch(s.app, who.cookie))
  await startSession(db, who.user, '2099-01-01T00:00:00Z')
  await replaceDataset(db, realDataset)
  const router = createAppRouter(createMemoryHistory())
  await router.push(path)
  await router.isReady()
  const wrapper = mount(RouterView, { global: { plugins: [createPinia(), router, i18n] }, attachTo: document.body })
  await settle()
  await vi.waitFor(() => expect(wrapper.find(ready).exists()).toBe(true), SERVER_ANSWER)
  return wrapper
}

const optionsOf = (w: VueWrapper, selector: string) =>
  [...w.find<HTMLSelectElement>(selector).element.options].filter((o) => !o.disabled).map((o) => o.value)
/** The departments taking part offered: the first fieldset's boxes (the second is the inspectors'). */
const ticksOf = (w: VueWrapper) =>
  w
    .findAll('fieldset')[0]!
    .findAll<HTMLInputElement>('input[type="checkbox"]')
    .map((i) => i.element.value)

describe('departments offered on the accounts page', () => {
  it('offers a new account the real departments only; an account stored with 各地 keeps it offered and chosen', async () => {
    const stored = await signedIn(s, 'inspector', '省工商局')
    await s.store.db.updateTable('users').set({ department: '各地' }).where('id', '=', stored.user.id).execute()
    const w = await open(admin, '/admin/users', '[data-testid="user-list"] li')
    await vi.waitFor(() => expect(w.findAll('[data-testid="user-list"] li').length).toBeGreaterThan(2), SERVER_ANSWER)

    expect([...optionsOf(w, '[data-testid="u-dept"]')].sort()).toEqual([...REAL].sort())
    for (const name of COLLECTIVE) expect(optionsOf(w, '[data-testid="u-dept"]')).not.toContain(name)

    const row = w.findAll('[data-testid="user-list"] li').find((li) => li.text().includes('各地'))!
    expect(row.text()).toContain('各地')
    await row
      .findAll('button')
      .find((b) => b.text() === '改角色 / 部门 / 地区')!
      .trigger('click')
    await settle()
    const edit = w.find<HTMLSelectElement>('[data-testid="edit-department"]')
    expect(edit.element.value).toBe('各地')
    expect([...optionsOf(w, '[data-testid="edit-department"]')].sort()).toEqual([...REAL, '各地'].sort())
    // Changing the role keeps the department it has: the server takes it.
    await w.find<HTMLSelectElement>(`#role-${stored.user.id}`).setValue('supervisor')
    await w.find('[data-testid="edit-form"]').trigger('submit')
    await vi.waitFor(() => expect(w.find('[data-testid="row-done"]').exists()).toBe(true), SERVER_ANSWER)
    const after = await s.store.db.selectFrom('users').selectAll().where('id', '=', stored.user.id).executeTakeFirst()
    expect(after).toMatchObject({ department: '各地', role: 'supervisor' })
    w.unmount()
  })
})

describe('departments offered on the campaign form', () => {
  it("offers an admin's new campaign the real departments only, as leader and as taking part", async () => {
    const w = await open(admin, '/campaigns/new', '[data-testid="campaign-form"]')
    expect([...optionsOf(w, '#c-owner')].sort()).toEqual([...REAL].sort())
    expect([...ticksOf(w)].sort()).toEqual([...REAL].sort())
    w.unmount()
  })

  it('shows a campaign stored with 各有关单位 taking part, ticked, and saves it keeping it', async () => {
    const res = await s.app.inject({
      method: 'POST',
      url: '/api/campaigns',
      headers: { cookie: supervisor.cookie },
      payload: {
        name: '旧行动',
        description: '',
        taskNumbers: [28],
        departments: ['省知识产权局'],
        inspectorIds: [],
        startDate: '2026-11-01',
        endDate: '2026-11-30',
        venues: [],
      },
    })
    const id = (res.json().campaign as Campaign).id
    const row = await s.store.db.selectFrom('campaigns').select('data').where('id', '=', id).executeTakeFirstOrThrow()
    const data = { ...JSON.parse(row.data), departments: ['省知识产权局', '各有关单位'] }
    await s.store.db
      .updateTable('campaigns')
      .set({ data: JSON.stringify(data) })
      .where('id', '=', id)
      .execute()

    const w = await open(supervisor, `/campaigns/${id}/edit`, '[data-testid="campaign-form"]')
    const ticks = ticksOf(w)
    expect(ticks.slice(0, 2)).toEqual(['省知识产权局', '各有关单位'])
    for (const name of COLLECTIVE.filter((n) => n !== '各有关单位')) expect(ticks).not.toContain(name)
    const box = w.find<HTMLInputElement>('fieldset input[value="各有关单位"]')
    expect(box.element.checked).toBe(true)
    await w.find('[data-testid="c-name"]').setValue('旧行动（改）')
    await w.find('[data-testid="campaign-form"]').trigger('submit')
    await vi.waitFor(async () => {
      const saved = await s.store.db.selectFrom('campaigns').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
      expect(saved.name).toBe('旧行动（改）')
      expect(JSON.parse(saved.data).departments).toEqual(['省知识产权局', '各有关单位'])
    }, SERVER_ANSWER)
    w.unmount()
  })
})

describe("the campaign form's task previews", () => {
  it('carry the whole text (in the title too), shown whole on a tap', async () => {
    const w = await open(supervisor, '/campaigns/new', '[data-testid="campaign-form"]')
    await w.find('[data-testid="c-tasks"]').setValue('28, 1, 999')
    await settle()
    const items = w.findAll('[data-testid="chosen-task"]')
    expect(items).toHaveLength(3)
    const text = realDataset.tasks.find((t) => t.number === 28)!.text
    expect(text.length).toBeGreaterThan(40)
    const preview = items[0]!.find('[data-testid="task-preview"]')
    expect(preview.attributes('title')).toBe(text)
    expect(preview.text()).toBe(`任务 28: ${text}`)
    expect(preview.attributes('aria-expanded')).toBe('false')
    await preview.trigger('click')
    expect(preview.attributes('aria-expanded')).toBe('true')
    expect(preview.find('.preview-text').classes()).toContain('whole')
    // Tapping a preview saves nothing and leaves the form.
    expect(w.find('[data-testid="campaign-form"]').exists()).toBe(true)
    expect(items[2]!.text()).toContain('没有这个任务')
    expect(items[2]!.find('[data-testid="task-preview"]').exists()).toBe(false)
    w.unmount()
  })
})
