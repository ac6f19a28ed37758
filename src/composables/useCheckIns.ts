import { shallowRef, toValue, watch, type MaybeRefOrGetter } from 'vue'
import { getCampaign } from '@/db/campaigns'
import { correctionsOf, getCheckIn, myCheckInCountForTask } from '@/db/checkins'
import { db } from '@/db/db'
import { getPhoto } from '@/db/photos'
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
  const sources = shallowRef<CheckInPhotoSource[]>([])
  const made: string[] = []
  watch(
    () => toValue(photos),
    async (list) => {
      sources.value = await Promise.all(
        list.map(async (p) => {
          const local = await getPhoto(db, p.sha256)
          if (!local) return { sha256: p.sha256, src: `/api/photos/${p.sha256}`, verified: true }
          const src = URL.createObjectURL(new Blob([local.bytes], { type: local.type }))
          made.push(src)
          return { sha256: p.sha256, src, verified: local.state === 'verified' }
        }),
      )
    },
    { immediate: true },
  )
  tryOnScopeDispose(() => made.forEach((u) => URL.revokeObjectURL(u)))
  return { sources }
}
