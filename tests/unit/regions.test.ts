import { describe, expect, it } from 'vitest'
import { canManage, canRead } from '../../src/kernel/campaign-rules'
import type { Campaign } from '../../src/kernel/campaign-schema'
import { isRegion, REGION_IDS, REGIONS, regionCovers, regionOf } from '../../src/kernel/regions'
import { emptyForm, formOf, formToInput, regionChoices } from '../../src/campaigns/form'

const campaign = (overrides: Partial<Campaign> = {}): Campaign => ({
  id: 'c1',
  name: '专项',
  description: '',
  taskNumbers: [28],
  departments: ['省知识产权局'],
  inspectorIds: [],
  startDate: '2026-11-01',
  endDate: '2026-11-30',
  venues: [],
  ownerDepartment: '省知识产权局',
  createdBy: 'u',
  version: 1,
  createdAt: '',
  updatedAt: '',
  ...overrides,
})
const supervisor = (region?: string) => ({ id: 's', role: 'supervisor' as const, department: '省知识产权局', region })

describe('regions', () => {
  it('lists the province and the 21 prefecture-level cities, each once', () => {
    expect(REGIONS).toHaveLength(22)
    expect(new Set(REGION_IDS).size).toBe(22)
    expect(new Set(REGIONS.map((r) => r.name)).size).toBe(22)
    expect(REGIONS.slice(1).every((r) => r.name.endsWith('市'))).toBe(true)
    expect([isRegion('guangzhou'), isRegion('province'), isRegion('Guangzhou'), isRegion(''), isRegion(1)]).toEqual([
      true,
      true,
      false,
      false,
      false,
    ])
  })

  it('treats what has no region as provincial, and lets the province see every city', () => {
    expect(regionOf({})).toBe('province')
    expect(regionOf({ region: null })).toBe('province')
    expect(regionCovers('province', 'shenzhen')).toBe(true)
    expect(regionCovers('guangzhou', 'guangzhou')).toBe(true)
    expect(regionCovers('guangzhou', 'shenzhen')).toBe(false)
    expect(regionCovers('guangzhou', 'province')).toBe(false)
  })

  it("lets a city's supervisor read and manage their city's campaigns of their department only", () => {
    const gz = campaign({ region: 'guangzhou' })
    const old = campaign()
    expect([canRead(supervisor('guangzhou'), gz), canRead(supervisor('guangzhou'), old)]).toEqual([true, false])
    expect([canRead(supervisor('shenzhen'), gz), canRead(supervisor(), gz), canRead(supervisor(), old)]).toEqual([
      false,
      true,
      true,
    ])
    expect([canManage(supervisor('guangzhou'), gz), canManage(supervisor('shenzhen'), gz)]).toEqual([true, false])
  })

  it("offers a city's supervisor their own city only on the campaign form, and keeps a campaign's region", () => {
    expect(regionChoices(supervisor('guangzhou'))).toEqual(['guangzhou'])
    expect(regionChoices(supervisor())).toEqual(REGION_IDS)
    expect(regionChoices({ role: 'admin', region: 'guangzhou' })).toEqual(REGION_IDS)
    expect(emptyForm('省知识产权局', '2026-11-20').region).toBe('province')
    expect(formToInput(emptyForm('省知识产权局', '2026-11-20', 'foshan')).region).toBe('foshan')
    expect(formOf(campaign()).region).toBe('province')
    expect(formOf(campaign({ region: 'zhuhai' })).region).toBe('zhuhai')
  })
})
