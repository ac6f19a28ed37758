import { computed, nextTick, ref, shallowRef, toValue, watch, type MaybeRefOrGetter } from 'vue'
import { useI18n } from 'vue-i18n'
import { errorMessageKey } from '@/api/http'
import {
  campaignOfTask,
  correctionDraft,
  draftKey,
  draftProblems,
  draftToCheckIn,
  emptyDraft,
  newDraft,
  plainDraft,
  type CheckInDraft,
  type DraftProblem,
} from '@/components/checkin/draft'
import { getCampaign, listCampaigns } from '@/db/campaigns'
import { getCheckIn } from '@/db/checkins'
import { db, type LocalCheckIn } from '@/db/db'
import { RecordInvalidError, saveCheckIn } from '@/db/records'
import { guangdongDay } from '@/kernel/guangdong-time'
import { useDebouncedFn } from './useDebouncedFn'
import { useDraft } from './useDraft'

export interface CheckInDraftOptions {
  /** The id of the check-in being corrected; a new check-in without it. */
  correcting?: string
  /** A new check-in starts with this task (opened from the task's page)… */
  task?: number
  /** …or under this campaign, with its tasks (opened from the campaign's page). */
  campaignId?: string
  /** The task numbers the dataset has: a check-in names only those. */
  knownTasks: MaybeRefOrGetter<ReadonlySet<number>>
  /** After the check-in is saved: where to go next. The form stays busy until it resolves. */
  onSaved?: (record: LocalCheckIn) => unknown
}

/**
 * The check-in being written: its draft, kept on the phone as the inspector types, its problems, and saving
 * it as a record queued for the server. The draft comes back after a reload, a call or a dead battery.
 */
export function useCheckInDraft(options: CheckInDraftOptions) {
  const { t, te } = useI18n()
  const key = draftKey(options.correcting)
  const stored = useDraft<CheckInDraft>(key)
  const draft = ref<CheckInDraft>()
  const showProblems = shallowRef(false)
  const saving = shallowRef(false)
  const saveError = shallowRef<string>()
  /** The campaign chosen for the inspector as the form opened from a task's page, to say so. */
  const preselectedCampaign = shallowRef<string>()
  /** The task of the link the form opened from, added to the draft the inspector was writing, to say so. */
  const addedTask = shallowRef<number>()

  const problems = computed<DraftProblem[]>(() =>
    draft.value ? draftProblems(draft.value, toValue(options.knownTasks)) : [],
  )
  /** The problems the form marks: none until the inspector first tries to save. */
  const shownProblems = computed(() => (showProblems.value ? problems.value : []))

  const autosave = useDebouncedFn(
    (d: CheckInDraft) => stored.save(plainDraft(d)),
    300,
    // The last edit before leaving the page is kept too.
    { onDispose: 'flush' },
  )
  // Nothing is saved as a draft until the inspector changes something: the location the phone takes by
  // itself when the form opens is not an edit, but it is kept with the draft once there is one.
  let touched = false
  let edited = false
  let opened = ''
  const content = (d: CheckInDraft) =>
    JSON.stringify({ ...d, location: null, locatedAt: null, photos: d.photos.map((p) => p.sha256) })
  watch(
    draft,
    (d) => {
      if (!d || !touched) return
      if (!edited && content(d) === opened) return
      edited = true
      autosave(d)
    },
    { deep: true },
  )

  async function load(): Promise<void> {
    const saved = await stored.load()
    if (saved) {
      // Opened from a task's page while a new check-in was being written: that one goes on, with the task linked
      // too (nothing typed is lost, and the form says so).
      const task = options.task
      if (!options.correcting && task !== undefined && !saved.taskNumbers.includes(task)) {
        saved.taskNumbers = [...saved.taskNumbers, task]
        addedTask.value = task
      }
      draft.value = saved
      edited = true
    } else if (options.correcting) {
      const original = await getCheckIn(db, options.correcting)
      draft.value = original ? correctionDraft(original.data) : emptyDraft([])
    } else {
      // From a task's page: under the one running campaign of the inspector's with that task, if there is one
      // (the form says so, and "not part of a campaign" is one tap away); the campaigns as kept on the phone.
      const campaign = options.campaignId
        ? await getCampaign(db, options.campaignId)
        : options.task === undefined
          ? undefined
          : campaignOfTask(await listCampaigns(db), options.task, guangdongDay(new Date().toISOString()))
      if (campaign && !options.campaignId) preselectedCampaign.value = campaign.id
      draft.value = newDraft(options.task, campaign)
    }
    // Filling the form in is not an edit: the watcher has seen it by the next tick.
    await nextTick()
    opened = content(draft.value!)
    touched = true
    // Kept at once: the task added is part of the draft, as if the inspector had added it.
    if (addedTask.value !== undefined) autosave(draft.value!)
  }
  void load()

  /** Saves the check-in when the draft has no problems; otherwise marks them. */
  async function save(authorId: string): Promise<void> {
    if (!draft.value) return
    showProblems.value = true
    saveError.value = undefined
    if (problems.value.length > 0) return
    saving.value = true
    try {
      // Saving the record deletes the draft; a late autosave must not bring it back.
      autosave.cancel()
      const plain = plainDraft(draft.value)
      const record = await saveCheckIn(db, draftToCheckIn(plain, authorId), plain.photos, key)
      await options.onSaved?.(record)
    } catch (err) {
      saveError.value = t(errorMessageKey(err, te, { under: 'checkin.errors', fallback: 'checkin.errors.storage' }), {
        reason: err instanceof RecordInvalidError ? err.detail : '',
      })
    } finally {
      saving.value = false
    }
  }

  return {
    draft,
    draftSavedAt: stored.savedAt,
    problems,
    shownProblems,
    saving,
    saveError,
    save,
    preselectedCampaign,
    addedTask,
  }
}
