import { shallowRef } from 'vue'
import type { GeoLocation } from '@/kernel/sync-schema'

export type GeoProblem = 'unsupported' | 'denied' | 'unavailable' | 'timeout'

/** One GPS fix on request, with its accuracy; the problem, if any, as a message key. */
export function useGeolocation() {
  const locating = shallowRef(false)
  const problem = shallowRef<GeoProblem>()

  function locate(): Promise<GeoLocation | undefined> {
    problem.value = undefined
    if (typeof navigator === 'undefined' || !navigator.geolocation) {
      problem.value = 'unsupported'
      return Promise.resolve(undefined)
    }
    locating.value = true
    return new Promise((resolve) => {
      navigator.geolocation.getCurrentPosition(
        (pos) => {
          locating.value = false
          resolve({ lat: pos.coords.latitude, lng: pos.coords.longitude, accuracy: Math.round(pos.coords.accuracy) })
        },
        (err) => {
          locating.value = false
          problem.value =
            err.code === err.PERMISSION_DENIED ? 'denied' : err.code === err.TIMEOUT ? 'timeout' : 'unavailable'
          resolve(undefined)
        },
        { enableHighAccuracy: true, timeout: 20_000, maximumAge: 60_000 },
      )
    })
  }

  return { locating, problem, locate }
}
