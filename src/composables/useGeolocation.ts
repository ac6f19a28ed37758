import { onScopeDispose, shallowRef } from 'vue'
import type { GeoLocation } from '@/kernel/sync-schema'

export type GeoProblem = 'unsupported' | 'denied' | 'unavailable' | 'timeout'

/** A GPS fix and when the phone took it (ms since 1970). */
export interface GeoFix extends GeoLocation {
  at: number
}

/** A fix less accurate than this is marked as poor. */
export const GOOD_ACCURACY_M = 100
/** A fix older than this is marked as old, and any newer fix replaces it. */
export const FRESH_MS = 2 * 60_000
/** With no fix after this long, the inspector is told it is slow (the phone keeps trying). */
const SLOW_MS = 30_000

/** How a fix the form holds looks now: worse than 100 m, older than 2 minutes. */
export function fixQuality(fix: { accuracy: number; at?: number | null }, now: number) {
  return {
    poor: fix.accuracy > GOOD_ACCURACY_M,
    stale: fix.at != null && now - fix.at > FRESH_MS,
  }
}

/**
 * Whether a new fix should replace the one held: the best fix of the last two minutes is kept; an older one
 * gives way to anything newer.
 */
export function betterFix(next: GeoFix, held: GeoFix | undefined): boolean {
  if (!held) return true
  if (next.at - held.at > FRESH_MS) return true
  return next.accuracy <= held.accuracy
}

/** Whether the site may use the location without asking: 'granted', 'denied', 'prompt', or unknown. */
async function permissionState(): Promise<PermissionState | undefined> {
  try {
    if (typeof navigator === 'undefined' || !navigator.permissions?.query) return undefined
    return (await navigator.permissions.query({ name: 'geolocation' })).state
  } catch {
    return undefined
  }
}

/**
 * The phone's location while a form is open: `auto()` starts watching when the site was allowed before,
 * `locate()` (a tap) asks and starts watching, each fix goes to `onFix`, and watching stops with `stop()` or
 * when the component that called this is gone. The problem, if any, is a message key.
 */
export function useGeolocation(onFix: (fix: GeoFix) => void) {
  /** Watching and no fix yet. */
  const locating = shallowRef(false)
  const watching = shallowRef(false)
  const problem = shallowRef<GeoProblem>()
  let watchId: number | undefined
  let slowTimer: ReturnType<typeof setTimeout> | undefined
  let disposed = false

  function clearSlow() {
    if (slowTimer !== undefined) clearTimeout(slowTimer)
    slowTimer = undefined
  }

  function stop() {
    if (watchId !== undefined) navigator.geolocation.clearWatch(watchId)
    watchId = undefined
    clearSlow()
    watching.value = false
    locating.value = false
  }

  function watch() {
    problem.value = undefined
    if (typeof navigator === 'undefined' || !navigator.geolocation) {
      problem.value = 'unsupported'
      return
    }
    if (watchId !== undefined) return
    watching.value = true
    locating.value = true
    clearSlow()
    slowTimer = setTimeout(() => {
      if (locating.value) problem.value = 'timeout'
    }, SLOW_MS)
    watchId = navigator.geolocation.watchPosition(
      (pos) => {
        locating.value = false
        problem.value = undefined
        clearSlow()
        onFix({
          lat: pos.coords.latitude,
          lng: pos.coords.longitude,
          accuracy: Math.round(pos.coords.accuracy),
          at: pos.timestamp || Date.now(),
        })
      },
      (err) => {
        if (err.code === err.PERMISSION_DENIED) {
          stop()
          problem.value = 'denied'
        } else if (locating.value) {
          // The phone keeps trying; a later fix clears this.
          problem.value = err.code === err.TIMEOUT ? 'timeout' : 'unavailable'
        }
      },
      { enableHighAccuracy: true, maximumAge: 10_000 },
    )
  }

  /** When the form opens: watches if the site may use the location; says so if it may not. */
  async function auto(): Promise<void> {
    if (typeof navigator === 'undefined' || !navigator.geolocation) return
    const state = await permissionState()
    if (disposed) return
    if (state === 'granted') watch()
    else if (state === 'denied') problem.value = 'denied'
  }

  onScopeDispose(() => {
    disposed = true
    stop()
  })

  return { locating, watching, problem, auto, locate: watch, stop }
}
