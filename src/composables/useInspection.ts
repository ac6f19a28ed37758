import { computed, shallowRef, toValue, watch, type MaybeRefOrGetter } from 'vue'
import { fetchInspection } from '@/api/records'
import type { ServerInspection } from '@/kernel/retention'
import { db, type LocalInspection } from '@/db/db'
import {
  correctInspection,
  InspectionLockedError,
  inspectionsOfCheckIn,
  saveInspectionDraft,
  signingRules,
  signInspection,
  startInspection,
  type InspectionDraftRow,
  type Me,
  type SignatureImage,
} from '@/db/inspections'
import { RecordInvalidError } from '@/db/records'
import type { InspectionDraft } from '@/kernel/inspection-rules'
import { tryOnScopeDispose } from './scope'
import { useLiveQuery } from './useLiveQuery'
import { useOnline } from './useOnline'

/** An inspection record as this phone has it, its check-in, and the other records of that check-in. */
export function useInspection(id: MaybeRefOrGetter<string>) {
  const { value, loaded } = useLiveQuery(
    async () => {
      const row = await db.inspections.get(toValue(id))
      if (!row) return { row }
      const [checkIn, siblings] = await Promise.all([
        db.checkins.get(row.checkInId),
        inspectionsOfCheckIn(db, row.checkInId),
      ])
      return { row, checkIn, siblings }
    },
    () => toValue(id),
  )
  // Not on this phone (a supervisor's phone holds its own records only; an old one was let go): the server's copy,
  // read when online, shown as a pulled one would be.
  const online = useOnline()
  const missing = computed(() => loaded.value && !value.value?.row)
  const remote = shallowRef<LocalInspection>()
  /** The records that correct the server's copy, as the server told. */
  const remoteCorrections = shallowRef<LocalInspection[]>([])
  /** The inspecting agency of the server's copy, as the server told (the department its author pushed it from). */
  const remoteDepartment = shallowRef<string>()
  const fetching = shallowRef(false)
  watch(
    () => [toValue(id), missing.value, online.value] as const,
    async ([now, isMissing, isOnline]) => {
      if (remote.value && remote.value.id !== now) remote.value = undefined
      if (!now || !isMissing || !isOnline || remote.value || fetching.value) return
      fetching.value = true
      try {
        if (await db.inspections.get(now)) return
        const found = await fetchInspection(now)
        const asPulled = (r: ServerInspection): LocalInspection => ({
          id: r.id,
          checkInId: r.data.checkInId,
          data: r.data,
          hash: r.hash ?? '',
          state: 'verified',
          serverVersion: r.version,
          origin: 'server',
          savedAt: Date.now(),
        })
        if (toValue(id) === now) {
          remote.value = asPulled(found)
          remoteDepartment.value = found.department ?? undefined
          remoteCorrections.value = (found.corrections ?? []).map(asPulled)
        }
      } catch {
        // Not found, or not reachable: the page says it is not on this phone.
      } finally {
        fetching.value = false
      }
    },
    { immediate: true },
  )
  const row = computed(() => value.value?.row ?? (missing.value ? remote.value : undefined))
  const checkIn = computed(() => value.value?.checkIn)
  /** Records that correct this one: on this phone, or as the server told of its copy's. */
  const corrections = computed(() =>
    value.value?.row
      ? (value.value.siblings ?? []).filter((r) => (r.data ?? draftForm(r.draft))?.correctionOf === toValue(id))
      : missing.value && remote.value
        ? remoteCorrections.value
        : [],
  )
  /** The server's copy's agency; undefined for a record on this phone (its agency is its author's department). */
  const department = computed(() => (missing.value && remote.value ? remoteDepartment.value : undefined))
  return { row, checkIn, corrections, department, loaded: computed(() => loaded.value && !fetching.value) }
}

const draftForm = (draft: unknown) => (draft as { form?: { correctionOf: string | null } } | undefined)?.form

/**
 * Where to show photos and drawn signatures from: the phone's own copy (or a draft's drawing not yet saved as a
 * photo) where it has one, the server's otherwise. One object URL per image for as long as the page lives.
 */
export function useImageUrls(
  shas: MaybeRefOrGetter<readonly string[]>,
  drawings: MaybeRefOrGetter<readonly SignatureImage[]>,
) {
  const key = () => toValue(shas).join(',')
  const { value: local } = useLiveQuery(async () => {
    const list = toValue(shas)
    const rows = await db.photos.bulkGet([...list])
    return new Map(rows.flatMap((r) => (r ? [[r.sha256, r] as const] : [])))
  }, key)
  const urls = new Map<string, string>()
  const objectUrl = (sha: string, bytes: ArrayBuffer, type: string) => {
    let url = urls.get(sha)
    if (!url) {
      url = URL.createObjectURL(new Blob([bytes], { type }))
      urls.set(sha, url)
    }
    return url
  }
  const url = computed(() => {
    const photos = local.value
    const drawn = new Map(toValue(drawings).map((d) => [d.sha256, d]))
    return (sha: string): string | undefined => {
      const photo = photos?.get(sha)
      if (photo) return objectUrl(sha, photo.bytes, photo.type)
      const drawing = drawn.get(sha)
      if (drawing) return objectUrl(sha, drawing.bytes, 'image/png')
      return /^[0-9a-f]{64}$/.test(sha) ? `/api/photos/${sha}` : undefined
    }
  })
  tryOnScopeDispose(() => urls.forEach((u) => URL.revokeObjectURL(u)))
  return { url }
}

/** The 现场检查笔录 of a check-in: the latest draft of mine to continue, the latest signed one to view. */
export function useCheckInInspections(checkInId: MaybeRefOrGetter<string>) {
  const { value: records } = useLiveQuery(
    () => inspectionsOfCheckIn(db, toValue(checkInId)),
    () => toValue(checkInId),
  )
  const draft = computed(() =>
    [...(records.value ?? [])].reverse().find((r) => r.state === 'draft' && r.origin === 'mine'),
  )
  const signed = computed(() =>
    (records.value ?? [])
      .filter((r) => r.data)
      .sort((a, b) => a.data!.signedAt.localeCompare(b.data!.signedAt))
      .at(-1),
  )
  return { records, draft, signed }
}

/** A supervisor's latest review of a check-in, as pulled. */
export function useCheckInReview(checkInId: MaybeRefOrGetter<string>) {
  const { value: reviews } = useLiveQuery(
    () => db.reviews.where('checkInId').equals(toValue(checkInId)).sortBy('at'),
    () => toValue(checkInId),
  )
  return { review: computed(() => reviews.value?.at(-1)) }
}

/** The rules a draft is signed under (its campaign's, the certificates this phone knows), followed as they change. */
export function useSigningRules(form: MaybeRefOrGetter<InspectionDraft | undefined>) {
  const { value: rules } = useLiveQuery(
    () => {
      const f = toValue(form)
      return f ? signingRules(db, f) : undefined
    },
    () => {
      const f = toValue(form)
      return [f?.campaignId, f?.inspectors.map((i) => i.userId).join(',')]
    },
  )
  return { rules }
}

/** Why an action on an inspection record failed, for the page to say in the inspector's language. */
export type InspectionFailure =
  { code: 'locked' } | { code: 'invalid'; detail: string } | { code: 'not_found' | 'not_yours' | 'storage' }

function failure(err: unknown): InspectionFailure {
  if (err instanceof InspectionLockedError) return { code: 'locked' }
  if (err instanceof RecordInvalidError) return { code: 'invalid', detail: err.detail }
  return { code: 'storage' }
}

/** What the inspection page does to records: start a draft, keep it, sign it, correct a signed one. */
export function useInspectionActions() {
  return {
    /** The draft of the check-in to continue, or a new one; or why there can be none. */
    async start(checkInId: string, me: Me): Promise<{ id: string } | InspectionFailure> {
      const checkIn = await db.checkins.get(checkInId)
      if (!checkIn) return { code: 'not_found' }
      if (checkIn.data.authorId !== me.id) return { code: 'not_yours' }
      return { id: (await startInspection(db, checkIn, me)).id }
    },
    /** Keeps the draft; a record signed in the meantime is left as signed (no failure to show). */
    async saveDraft(id: string, draft: InspectionDraftRow): Promise<InspectionFailure | undefined> {
      try {
        await saveInspectionDraft(db, id, draft)
        return undefined
      } catch (err) {
        return err instanceof InspectionLockedError ? undefined : failure(err)
      }
    },
    async sign(id: string, draft: InspectionDraftRow): Promise<InspectionFailure | undefined> {
      try {
        await signInspection(db, id, draft)
        return undefined
      } catch (err) {
        return failure(err)
      }
    },
    /** A new draft correcting the signed record `id`: its id. */
    async correct(id: string): Promise<string> {
      return (await correctInspection(db, id)).id
    },
  }
}
