import { computed, toValue, type MaybeRefOrGetter } from 'vue'
import { getCampaign } from '@/db/campaigns'
import { correctionsOf, getCheckIn, myCheckInCountForTask } from '@/db/checkins'
import { db } from '@/db/db'
import { getPhotos } from '@/db/photos'
import type { PhotoRef } from '@/kernel/sync-schema'
import { tryOnScopeDispose } from './scope'
import { useLiveQuery } from './useLiveQuery'

/** One check-in as this phone has it, the corrections made of it, and the campaign it was made under. */
export function useCheckIn(id: MaybeRefOrGetter<string>) {
  const deps = () => toValue(id)
  const { value: checkIn, loaded } = useLiveQuery(() => getCheckIn(db, toValue(id)), deps)
  const { value: corrections } = useLiveQuery(() => correctionsOf(db, toValue(id)), deps)
  const { value: campaign } = useLiveQuery(async () => {
    const campaignId = (await getCheckIn(db, toValue(id)))?.data.campaignId
    return campaignId ? getCampaign(db, campaignId) : undefined
  }, deps)
  return { checkIn, loaded, corrections, campaign }
}

/** How many of the inspector's own check-ins (made here or elsewhere) name the task: what its "my records" lists. */
export function useTaskCheckInCount(taskNumber: MaybeRefOrGetter<number>) {
  const { value: count } = useLiveQuery(
    () => myCheckInCountForTask(db, toValue(taskNumber)),
    () => toValue(taskNumber),
  )
  return { count }
}

export interface CheckInPhotoSource {
  sha256: string
  src: string
  /** The server has every byte and checked the hash. */
  verified: boolean
}

/** A check-in's photos to show: the phone's own copy where it has one; otherwise the server's, which the browser fetches when online. */
export function useCheckInPhotos(photos: MaybeRefOrGetter<readonly PhotoRef[]>) {
  const key = () =>
    toValue(photos)
      .map((p) => p.sha256)
      .join(',')
  // Live: a photo's state changes on its own (uploaded and checked by the server) while the page shows it.
  const { value: read } = useLiveQuery(async () => {
    const list = toValue(photos)
    const rows = await getPhotos(
      db,
      list.map((p) => p.sha256),
    )
    return { key: list.map((p) => p.sha256).join(','), rows }
  }, key)
  // One object URL per photo for as long as the page lives, however often its state is read again.
  const urls = new Map<string, string>()
  const sources = computed<CheckInPhotoSource[]>(() => {
    const list = toValue(photos)
    const now = read.value
    // Until the read of these very photos is in: nothing, rather than another list's or a wrong state.
    if (!now || now.key !== list.map((p) => p.sha256).join(',')) return []
    return list.map((p, i) => {
      const local = now.rows[i]
      if (!local) return { sha256: p.sha256, src: `/api/photos/${p.sha256}`, verified: true }
      let src = urls.get(p.sha256)
      if (!src) {
        src = URL.createObjectURL(new Blob([local.bytes], { type: local.type }))
        urls.set(p.sha256, src)
      }
      return { sha256: p.sha256, src, verified: local.state === 'verified' }
    })
  })
  tryOnScopeDispose(() => urls.forEach((u) => URL.revokeObjectURL(u)))
  return { sources }
}
