import { describe, expect, it } from 'vitest'
import { certificateNumberProblem, certificateValidAt, isCalendarDay } from '../../src/kernel/certificate'

const holder = { certificateNumber: '粤执法 44010020001', certificateExpiry: '2026-11-30' }

describe('certificateValidAt', () => {
  it('counts the whole expiry day in Guangdong time, and not a moment after', () => {
    // 2026-11-30 23:59 in Guangdong is 15:59 UTC; 16:00 UTC is already 1 December there.
    expect(certificateValidAt(holder, '2026-11-30T15:59:59.999Z')).toBe(true)
    expect(certificateValidAt(holder, '2026-11-30T16:00:00.000Z')).toBe(false)
    // 2026-11-30 00:00 in Guangdong is 29 November 16:00 UTC: a phone set to UTC still counts it as the 30th there.
    expect(certificateValidAt(holder, '2026-11-29T16:00:00.000Z')).toBe(true)
    expect(certificateValidAt(holder, '2020-01-01T00:00:00+08:00')).toBe(true)
    expect(certificateValidAt(holder, '2026-12-01T00:00:00+08:00')).toBe(false)
  })

  it('is false without a number, without an expiry, or with one that is no date', () => {
    const at = '2026-06-01T00:00:00Z'
    expect(certificateValidAt({}, at)).toBe(false)
    expect(certificateValidAt({ certificateNumber: null, certificateExpiry: '2099-01-01' }, at)).toBe(false)
    expect(certificateValidAt({ certificateNumber: '   ', certificateExpiry: '2099-01-01' }, at)).toBe(false)
    expect(certificateValidAt({ certificateNumber: 'A1', certificateExpiry: null }, at)).toBe(false)
    expect(certificateValidAt({ certificateNumber: 'A1', certificateExpiry: '2099-02-30' }, at)).toBe(false)
    expect(certificateValidAt({ certificateNumber: 'A1', certificateExpiry: 'soon' }, at)).toBe(false)
    expect(certificateValidAt(holder, 'not a time')).toBe(false)
  })
})

describe('certificate fields', () => {
  it('knows calendar days', () => {
    expect(isCalendarDay('2028-02-29')).toBe(true)
    expect(isCalendarDay('2027-02-29')).toBe(false)
    expect(isCalendarDay('2027-13-01')).toBe(false)
    expect(isCalendarDay('2027-1-01')).toBe(false)
  })

  it('takes a number of one line up to 40 characters', () => {
    expect(certificateNumberProblem('44010020001')).toBeUndefined()
    expect(certificateNumberProblem('  ')).toBe('empty')
    expect(certificateNumberProblem('证'.repeat(41))).toBe('too_long')
    expect(certificateNumberProblem('证'.repeat(40))).toBeUndefined()
    expect(certificateNumberProblem('A\nB')).toBe('control')
  })
})
