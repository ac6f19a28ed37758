import { describe, expect, it } from 'vitest'
import { betterFix, fixQuality, type GeoFix } from '../../src/composables/useGeolocation'

const t0 = Date.UTC(2026, 10, 20, 1, 0, 0)
const fix = (accuracy: number, at: number): GeoFix => ({ lat: 23.1, lng: 113.3, accuracy, at })

describe('which fix the check-in form keeps', () => {
  it('takes the first fix, and a more accurate one within two minutes', () => {
    expect(betterFix(fix(300, t0), undefined)).toBe(true)
    expect(betterFix(fix(20, t0 + 5_000), fix(300, t0))).toBe(true)
    expect(betterFix(fix(20, t0 + 5_000), fix(20, t0))).toBe(true)
  })

  it('keeps the best of the last two minutes over a newer, worse one', () => {
    expect(betterFix(fix(80, t0 + 60_000), fix(10, t0))).toBe(false)
    expect(betterFix(fix(500, t0 + 119_000), fix(10, t0))).toBe(false)
  })

  it('lets an old fix give way to any newer one', () => {
    expect(betterFix(fix(80, t0 + 121_000), fix(10, t0))).toBe(true)
  })
})

describe('how a fix is marked', () => {
  it('as poor beyond 100 m and old beyond 2 minutes', () => {
    expect(fixQuality({ accuracy: 100, at: t0 }, t0 + 120_000)).toEqual({ poor: false, stale: false })
    expect(fixQuality({ accuracy: 101, at: t0 }, t0 + 120_001)).toEqual({ poor: true, stale: true })
    // A location kept from the check-in being corrected has no time: it is never called old.
    expect(fixQuality({ accuracy: 10 }, t0)).toEqual({ poor: false, stale: false })
  })
})
