// @vitest-environment happy-dom
/**
 * The check-in form's party picker and co-inspector picker, offline from what the phone keeps: a party found
 * by pinyin initials with its earlier inspections counted, a new party made inline (its credit code checked
 * as typed), co-inspectors with their certificates judged at the check-in's time, and the warning when a
 * campaign needs two certified inspectors. The check-in saves the party and co-inspectors with it.
 */
import 'fake-indexeddb/auto'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { db, type Colleague, type LocalParty } from '../../src/db/db'
import { startSession } from '../../src/db/session'
import type { Campaign } from '../../src/kernel/campaign-schema'
import { mountAt, settle } from '../helpers/mount'

const me = {
  id: '01900000-0000-7000-8000-0000000000aa',
  username: 'chen',
  displayName: '陈巡查',
  department: '省知识产权局',
  role: 'inspector',
  certificateNumber: '粤执 0001',
  certificateExpiry: '2099-12-31',
} as const
const campaign: Campaign = {
  id: '01900000-0000-7000-8000-0000000000cc',
  name: '广交会专项',
  description: '',
  taskNumbers: [28],
  departments: ['省知识产权局'],
  inspectorIds: [],
  startDate: '2026-01-01',
  endDate: '2099-12-31',
  venues: [],
  ownerDepartment: '省知识产权局',
  createdBy: me.id,
  version: 1,
  createdAt: '2026-01-01T00:00:00Z',
  updatedAt: '2026-01-01T00:00:00Z',
  requireTwoCertified: true,
}
const party = (id: string, name: string, extra: Partial<LocalParty> = {}): LocalParty => ({
  id,
  name,
  creditCode: null,
  address: '广州市越秀区',
  personPresent: '',
  personRole: '',
  phone: '',
  department: '省知识产权局',
  initials: '',
  visits: [],
  state: 'synced',
  savedAt: 1,
  ...extra,
})
const HOSTILE = '<img src=x onerror=alert(1)>商行'
const colleague = (n: string, name: string, certificateNumber: string | null, certificateExpiry: string | null) =>
  ({
    userId: `01900000-0000-7000-8000-0000000000${n}`,
    name,
    department: '省知识产权局',
    certificateNumber,
    certificateExpiry,
  }) satisfies Colleague

const valid = colleague('b1', '李有效', '粤执 0002', '2099-12-31')
const expired = colleague('b2', '王过期', '粤执 0003', '2020-01-31')
const none = colleague('b3', '赵无证', null, null)

describe('the check-in form’s party and co-inspectors', () => {
  beforeEach(async () => {
    await startSession(db, me, '2099-01-01T00:00:00Z')
    await db.campaigns.put(campaign)
    await db.parties.bulkPut([
      party('01900000-0000-7000-8000-0000000000d1', '广州市某某商行', {
        initials: 'gzsmmsh',
        creditCode: '914403001922038216',
        visits: [
          { date: '2026-11-20', department: '省工商局', outcome: 'suspected' },
          { date: '2026-10-02', department: '省知识产权局', outcome: 'case_opened' },
          { date: '2026-09-01', department: '省知识产权局', outcome: 'no_problem' },
        ],
      }),
      party('01900000-0000-7000-8000-0000000000d2', HOSTILE, { initials: 'imgsrcxsh' }),
      party('01900000-0000-7000-8000-0000000000d3', '深圳某电子', { initials: 'szmdz' }),
    ])
    await db.colleagues.bulkPut([
      {
        userId: me.id,
        name: me.displayName,
        department: me.department,
        certificateNumber: '粤执 0001',
        certificateExpiry: '2099-12-31',
      },
      valid,
      expired,
      none,
    ])
  })
  afterEach(async () => {
    await Promise.all(db.tables.map((t) => t.clear()))
  })

  it('finds a party by pinyin initials offline, shows its earlier inspections at once, and saves it with the check-in', async () => {
    const { wrapper, router } = await mountAt('/checkins/new?task=28')
    await wrapper.get('[data-testid="party-query"]').setValue('gzsm')
    await settle()
    const results = wrapper.findAll('[data-testid="party-result"]')
    expect(results.map((r) => r.find('.name').text())).toEqual(['广州市某某商行'])
    // Markup in a name is text, never an element.
    await wrapper.get('[data-testid="party-query"]').setValue('<img')
    await settle()
    expect(wrapper.get('[data-testid="party-results"]').text()).toContain(HOSTILE)
    expect(wrapper.find('[data-testid="party-results"] img').exists()).toBe(false)

    await wrapper.get('[data-testid="party-query"]').setValue('GZSM')
    await settle()
    await wrapper.get('[data-testid="party-result"]').trigger('click')
    await settle()
    const chosen = wrapper.get('[data-testid="party-chosen"]')
    expect(chosen.text()).toContain('广州市某某商行')
    expect(chosen.get('[data-testid="party-visit-summary"]').text()).toBe('以往检查 3 次，涉嫌违法 2 次')
    expect(chosen.text()).toContain('多次涉嫌违法')

    // Co-inspectors: the lead is not offered; an expired and a missing certificate are marked.
    const people = wrapper.findAll('[data-testid="co-inspector"]')
    expect(people.map((p) => p.find('.name').text()).sort()).toEqual(['李有效', '王过期', '赵无证'].sort())
    const row = (name: string) => people.find((p) => p.find('.name').text() === name)!
    expect(row('王过期').attributes('data-mark')).toBe('expired')
    expect(row('王过期').text()).toContain('执法证已过期')
    expect(row('赵无证').attributes('data-mark')).toBe('none')
    expect(row('李有效').attributes('data-mark')).toBe('valid')
    expect(row('李有效').text()).toContain('粤执 0002')
    await row('李有效').get('input').setValue(true)
    await settle()

    await wrapper.get('[data-testid="venue-name"]').setValue('东门市场')
    await wrapper.get('[data-testid="checkin-form"]').trigger('submit')
    await settle()
    await wrapper.get('[data-testid="confirm-save"]').trigger('click')
    await vi.waitFor(() => expect(router.currentRoute.value.path).not.toBe('/checkins/new'), { timeout: 5000 })
    const [saved] = await db.checkins.toArray()
    expect(saved?.data).toMatchObject({
      partyId: '01900000-0000-7000-8000-0000000000d1',
      coInspectors: [{ userId: valid.userId, name: '李有效', certificateNumber: '粤执 0002' }],
    })
    wrapper.unmount()
  })

  it('warns when the campaign needs two certified inspectors and fewer are present; saving stays allowed', async () => {
    const { wrapper } = await mountAt(`/checkins/new?campaign=${campaign.id}`)
    await settle()
    const warning = () => wrapper.find('[data-testid="two-certified-warning"]')
    // The lead alone.
    expect(warning().text()).toContain('现在只有 1 名')
    const row = (name: string) => wrapper.findAll('[data-testid="co-inspector"]').find((p) => p.text().includes(name))!
    // An expired certificate does not count; a valid one does.
    await row('王过期').get('input').setValue(true)
    await settle()
    expect(warning().exists()).toBe(true)
    await row('李有效').get('input').setValue(true)
    await settle()
    expect(warning().exists()).toBe(false)
    // The check-in's time decides: in 2020 the expired certificate was still valid, but so was the other.
    await row('李有效').get('input').setValue(false)
    await wrapper.get('#ci-time').setValue('2020-01-15T10:00')
    await settle()
    expect(warning().exists()).toBe(false)
    // Without a campaign that asks it, no warning.
    await wrapper.get('#ci-time').setValue('2026-11-20T10:00')
    await wrapper.get('[data-testid="campaign"]').setValue(null)
    await settle()
    expect(warning().exists()).toBe(false)
    expect(wrapper.get('[data-testid="save-checkin"]').attributes('disabled')).toBeUndefined()
    wrapper.unmount()
  })

  it('makes a new party inline: the credit code is checked as typed, in the user’s language; it waits to be sent', async () => {
    const { wrapper } = await mountAt('/checkins/new?task=28')
    await wrapper.get('[data-testid="party-new"]').trigger('click')
    await settle()
    await wrapper.get('[data-testid="party-code"]').setValue('914403001922038217')
    await settle()
    expect(wrapper.get('[data-testid="party-code-error"]').text()).toBe('信用代码的校验位不对，请与营业执照核对。')
    await wrapper.get('[data-testid="party-code"]').setValue('9144 0300 192')
    await settle()
    // Still being typed: nothing said until the field is left.
    expect(wrapper.find('[data-testid="party-code-error"]').exists()).toBe(false)
    await wrapper.get('[data-testid="party-code"]').trigger('blur')
    await settle()
    expect(wrapper.get('[data-testid="party-code-error"]').text()).toBe('信用代码应为 18 位，现在是 11 位。')
    // Saving with no name and a wrong code saves nothing.
    await wrapper.get('[data-testid="party-form"]').trigger('submit')
    await settle()
    expect(wrapper.text()).toContain('请填写当事人名称。')
    expect(await db.parties.count()).toBe(3)

    await wrapper.get('[data-testid="party-name"]').setValue('<b>夜市</b> 档口')
    await wrapper.get('[data-testid="party-code"]').setValue('')
    await wrapper.get('[data-testid="party-form"]').trigger('submit')
    await vi.waitFor(async () => expect(await db.parties.count()).toBe(4), { timeout: 5000 })
    await settle()
    const made = (await db.parties.toArray()).find((p) => p.state === 'waiting')!
    expect(made).toMatchObject({ name: '<b>夜市</b> 档口', creditCode: null, department: '省知识产权局' })
    const chosen = wrapper.get('[data-testid="party-chosen"]')
    expect(chosen.text()).toContain('<b>夜市</b> 档口')
    expect(chosen.find('b').exists()).toBe(false)
    expect(chosen.get('[data-testid="party-state"]').text()).toBe('仅在本机，待发送')
    wrapper.unmount()
  })
})
