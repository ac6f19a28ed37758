import { computed, shallowRef, toValue, watch, type MaybeRefOrGetter } from 'vue'
import { useI18n } from 'vue-i18n'
import { errorMessageKey } from '@/api/http'
import { fetchCheckIn } from '@/api/records'
import { getCampaign } from '@/db/campaigns'
import { correctionsOf, getCheckIn } from '@/db/checkins'
import { db } from '@/db/db'
import { getPhotos } from '@/db/photos'
import { holdRecord } from '@/db/retention'
import type { CheckInRelated, ServerCheckIn } from '@/kernel/retention'
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

/** Keeps the record `id` on the phone while the page that shows it lives: pruning after a sync passes it by. */
export function useHeldRecord(id: MaybeRefOrGetter<string | undefined>): void {
  let release: (() => void) | undefined
  watch(
    () => toValue(id),
    (now) => {
      release?.()
      release = now ? holdRecord(now) : undefined
    },
    { immediate: true },
  )
  tryOnScopeDispose(() => release?.())
}

/**
 * A check-in this phone does not hold, read from the server when `wanted` and online (older than the phone keeps,
 * or someone else's the user may read). `problem` is a locale key; `checkIn` stays undefined until it is read.
 */
export function useServerCheckIn(
  id: MaybeRefOrGetter<string>,
  wanted: MaybeRefOrGetter<boolean>,
  online: MaybeRefOrGetter<boolean>,
) {
  const { te } = useI18n()
  const checkIn = shallowRef<ServerCheckIn & { related?: CheckInRelated }>()
  const loading = shallowRef(false)
  const problem = shallowRef<string>()
  let latest = 0
  watch(
    () => [toValue(id), toValue(wanted), toValue(online)] as const,
    async ([now, want, isOnline]) => {
      if (checkIn.value && checkIn.value.id !== now) checkIn.value = undefined
      if (!want || !isOnline || checkIn.value) return
      const call = ++latest
      loading.value = true
      problem.value = undefined
      try {
        // The page's live read may lag a step behind a new id: ask the server only for what the phone lacks.
        if (await getCheckIn(db, now)) return
        const found = await fetchCheckIn(now)
        if (call === latest) checkIn.value = found
      } catch (err) {
        if (call === latest) problem.value = errorMessageKey(err, te)
      } finally {
        if (call === latest) loading.value = false
      }
    },
    { immediate: true },
  )
  return { checkIn, loading, problem }
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
