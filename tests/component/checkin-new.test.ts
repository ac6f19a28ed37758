// @vitest-environment happy-dom
import 'fake-indexeddb/auto'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { db } from '../../src/db/db'
import { saveCheckIn } from '../../src/db/records'
import { startSession } from '../../src/db/session'
import type { Campaign } from '../../src/kernel/campaign-schema'
import { makeCheckIn } from '../helpers/records'
import { mountAt, settle } from '../helpers/mount'

const me = {
  id: '01900000-0000-7000-8000-0000000000aa',
  username: 'chen',
  displayName: '陈巡查',
  department: '省知识产权局',
  role: 'inspector',
} as const
const campaign: Campaign = {
  id: '01900000-0000-7000-8000-0000000000cc',
  name: '广交会专项',
  description: '',
  taskNumbers: [28, 40],
  departments: ['省知识产权局'],
  inspectorIds: [],
  startDate: '2026-01-01',
  endDate: '2099-12-31',
  venues: ['广交会展馆 A 区'],
  ownerDepartment: '省知识产权局',
  createdBy: me.id,
  version: 1,
  createdAt: '2026-01-01T00:00:00Z',
  updatedAt: '2026-01-01T00:00:00Z',
}
/**
 * For checks that no draft was saved, where there is no event to wait for: 400 ms, longer than the autosave
 * waits after the last change (300 ms, useCheckInDraft) plus its write to (fake) IndexedDB, a few ms.
 */
const pastAutosave = () => new Promise((r) => setTimeout(r, 400))
/** Waits for what the autosave writes (or shows) to be there. */
const untilSaved = (check: () => Promise<void> | void) => vi.waitFor(check, { timeout: 5_000 })
const tasksShown = (w: Awaited<ReturnType<typeof mountAt>>['wrapper']) =>
  w.findAll('[data-testid="checkin-tasks"] li').map((li) => li.text())

describe('the check-in form', () => {
  beforeEach(async () => {
    await startSession(db, me, '2099-01-01T00:00:00Z')
  })
  afterEach(async () => {
    await Promise.all(db.tables.map((t) => t.clear()))
  })

  it('keeps what is typed as a draft, the last keystroke too, and brings it back', async () => {
    const { wrapper } = await mountAt('/checkins/new?task=28')
    expect(tasksShown(wrapper)).toEqual(['任务 28 ✕'])
    // Opening the form is not an edit.
    await pastAutosave()
    expect(await db.drafts.count()).toBe(0)

    await wrapper.get('[data-testid="venue-name"]').setValue('东门')
    await untilSaved(async () => {
      expect((await db.drafts.get('checkin:new'))?.data).toMatchObject({ venueName: '东门', taskNumbers: [28] })
      expect(wrapper.get('.actions [aria-live]').text()).toBe('草稿已自动保存')
    })

    // Leaving the page before the autosave waited its time: the last edit is kept all the same.
    await wrapper.get('[data-testid="venue-name"]').setValue('东门市场')
    wrapper.unmount()
    await settle()
    expect((await db.drafts.get('checkin:new'))?.data).toMatchObject({ venueName: '东门市场' })

    const again = await mountAt('/checkins/new')
    expect((again.wrapper.get('[data-testid="venue-name"]').element as HTMLInputElement).value).toBe('东门市场')
    expect(tasksShown(again.wrapper)).toEqual(['任务 28 ✕'])
    expect(again.wrapper.get('.actions [aria-live]').text()).toBe('草稿已自动保存')
    again.wrapper.unmount()
  })

  it('marks what is missing only once the inspector tries to save, and saves nothing', async () => {
    const { wrapper } = await mountAt('/checkins/new?task=28')
    expect(wrapper.get('[data-testid="venue-name"]').attributes('aria-invalid')).toBe('false')
    expect(wrapper.findAll('.error')).toHaveLength(0)
    await wrapper.get('[data-testid="checkin-form"]').trigger('submit')
    await settle()
    expect(wrapper.get('[data-testid="venue-name"]').attributes('aria-invalid')).toBe('true')
    expect(wrapper.get('.error').text()).toBe('请填写场所名称。')
    expect(await db.checkins.count()).toBe(0)
    wrapper.unmount()
  })

  it('adds a task by its number, and says so when there is no such task', async () => {
    const { wrapper } = await mountAt('/checkins/new?task=28')
    await wrapper.get('#ci-add-task').setValue('99999')
    await wrapper.get('#ci-add-task').trigger('keydown.enter')
    expect(wrapper.get('[role="alert"]').text()).toContain('没有')
    await wrapper.get('#ci-add-task').setValue('17')
    await wrapper.get('#ci-add-task').trigger('keydown.enter')
    expect(tasksShown(wrapper)).toEqual(['任务 28 ✕', '任务 17 ✕'])
    expect(wrapper.find('[role="alert"]').exists()).toBe(false)
    wrapper.unmount()
  })

  it('saves the check-in, lets go of the draft and shows the record', async () => {
    const { wrapper, router } = await mountAt('/checkins/new?task=28')
    await wrapper.get('[data-testid="venue-name"]').setValue('  东门市场 ')
    await wrapper.get('[data-testid="outcome-suspected"]').setValue(true)
    await wrapper.get('[data-testid="checkin-form"]').trigger('submit')
    // With no location the form asks once, on the page, before saving.
    await settle()
    expect(await db.checkins.count()).toBe(0)
    expect(wrapper.get('[data-testid="save-confirm"]').text()).toContain('没有位置')
    await wrapper.get('[data-testid="confirm-save"]').trigger('click')
    // Saving hashes the record and the record's page loads on demand: wait for the page to change.
    await vi.waitFor(() => expect(router.currentRoute.value.path).not.toBe('/checkins/new'), { timeout: 5000 })
    const [saved] = await db.checkins.toArray()
    expect(saved?.data).toMatchObject({
      venueName: '东门市场',
      outcome: 'suspected',
      taskNumbers: [28],
      authorId: me.id,
    })
    expect(router.currentRoute.value.path).toBe(`/checkins/${saved!.id}`)
    // A late autosave of the last edit must not bring the draft back: by now it would have.
    await pastAutosave()
    expect(await db.drafts.count()).toBe(0)
    wrapper.unmount()
  })

  it('opened from a campaign checks in under it, with its tasks', async () => {
    await db.campaigns.put(campaign)
    const { wrapper } = await mountAt(`/checkins/new?campaign=${campaign.id}`)
    expect((wrapper.get('[data-testid="campaign"]').element as HTMLSelectElement).value).toBe(campaign.id)
    expect(tasksShown(wrapper)).toEqual(['任务 28 ✕', '任务 40 ✕'])
    wrapper.unmount()
  })

  describe('opened from a task’s page', () => {
    const other = (extra: Partial<Campaign>): Campaign => ({
      ...campaign,
      id: '01900000-0000-7000-8000-0000000000cd',
      name: '春季市场专项',
      ...extra,
    })
    type Wrapper = Awaited<ReturnType<typeof mountAt>>['wrapper']
    /** The campaign the form shows chosen, by name. */
    const campaignChosen = (w: Wrapper) =>
      (w.get('[data-testid="campaign"]').element as HTMLSelectElement).selectedOptions[0]?.textContent?.trim()
    /** Chooses 不属于专项行动, as the inspector does. */
    async function chooseNone(w: Wrapper) {
      const select = w.get('[data-testid="campaign"]')
      ;(select.element as HTMLSelectElement).selectedIndex = 0
      await select.trigger('change')
    }

    it('is under the one running campaign of the inspector’s with that task, and says so; it can be undone', async () => {
      // Another running campaign without the task, and one with it that has ended, change nothing.
      await db.campaigns.bulkPut([
        campaign,
        other({ taskNumbers: [40] }),
        other({ id: '01900000-0000-7000-8000-0000000000ce', endDate: '2020-12-31' }),
      ])
      const { wrapper, router } = await mountAt('/checkins/new?task=28')
      await settle()
      expect(campaignChosen(wrapper)).toBe('广交会专项')
      // Only the task it was opened from: the campaign's other tasks are not brought in.
      expect(tasksShown(wrapper)).toEqual(['任务 28 ✕'])
      const hint = wrapper.get('[data-testid="campaign-preselected"]')
      expect(hint.text()).toContain('不属于专项行动')
      expect(wrapper.get('[data-testid="campaign"]').attributes('aria-describedby')).toBe(hint.attributes('id'))

      // Not part of it after all: one choice, and the hint goes.
      await chooseNone(wrapper)
      await settle()
      expect(wrapper.find('[data-testid="campaign-preselected"]').exists()).toBe(false)
      await wrapper.get('[data-testid="venue-name"]').setValue('东门市场')
      await wrapper.get('[data-testid="checkin-form"]').trigger('submit')
      await settle()
      await wrapper.get('[data-testid="confirm-save"]').trigger('click')
      await vi.waitFor(() => expect(router.currentRoute.value.path).not.toBe('/checkins/new'), { timeout: 5000 })
      const [saved] = await db.checkins.toArray()
      expect(saved?.data).toMatchObject({ campaignId: null, taskNumbers: [28] })
      wrapper.unmount()
    })

    it('is under no campaign when two running ones have the task, or none of the inspector’s is on the phone', async () => {
      await db.campaigns.bulkPut([campaign, other({ taskNumbers: [28] })])
      const two = await mountAt('/checkins/new?task=28')
      await settle()
      expect(campaignChosen(two.wrapper)).toBe('不属于专项行动')
      expect(two.wrapper.find('[data-testid="campaign-preselected"]').exists()).toBe(false)
      two.wrapper.unmount()

      await db.campaigns.clear()
      const none = await mountAt('/checkins/new?task=28')
      await settle()
      expect(campaignChosen(none.wrapper)).toBe('不属于专项行动')
      expect(none.wrapper.find('[data-testid="campaign-preselected"]').exists()).toBe(false)
      expect(none.wrapper.text()).toContain('本机还没有你参加的专项行动')
      none.wrapper.unmount()
    })

    it('keeps the campaign of a draft brought back, and says nothing of choosing', async () => {
      await db.campaigns.put(campaign)
      const { wrapper } = await mountAt('/checkins/new?task=28')
      await settle()
      await chooseNone(wrapper)
      await untilSaved(async () =>
        expect((await db.drafts.get('checkin:new'))?.data).toMatchObject({ campaignId: null }),
      )
      wrapper.unmount()
      await settle()
      const again = await mountAt('/checkins/new?task=28')
      await settle()
      expect(campaignChosen(again.wrapper)).toBe('不属于专项行动')
      expect(again.wrapper.find('[data-testid="campaign-preselected"]').exists()).toBe(false)
      again.wrapper.unmount()
    })
  })

  it('corrects a check-in from its content, under its own draft', async () => {
    const original = makeCheckIn({ authorId: me.id, venueName: '黄埔海关查验场', taskNumbers: [17] })
    await saveCheckIn(db, original)
    const { wrapper } = await mountAt(`/checkins/new?correct=${original.id}`)
    expect(wrapper.get('h1').text()).toBe('更正巡查登记')
    expect((wrapper.get('[data-testid="venue-name"]').element as HTMLInputElement).value).toBe('黄埔海关查验场')
    await wrapper.get('[data-testid="checkin-note"]').setValue('更正：数量有误。')
    await untilSaved(async () => expect(await db.drafts.get(`checkin:correct:${original.id}`)).toBeDefined())
    expect(await db.drafts.get('checkin:new')).toBeUndefined()
    wrapper.unmount()
  })
})
