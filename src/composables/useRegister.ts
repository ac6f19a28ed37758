/**
 * The party register and the colleagues as kept on the phone, for pages and components: read live (they
 * change when a sync brings new lists, or a party made here is sent), and parties made or corrected here.
 */
import { toValue, type MaybeRefOrGetter } from 'vue'
import { useLiveQuery } from './useLiveQuery'
import { certifiedCount, inspectorRefOf } from '@/db/colleagues'
import { db, type LocalParty } from '@/db/db'
import { createLocalParty, editLocalParty, getParty, keepServerMerge, type NewParty } from '@/db/parties'
import type { Party } from '@/kernel/party'

export { certifiedCount, inspectorRefOf }
export { matchParties, PartyInvalidError, type NewParty } from '@/db/parties'

/** Every party on the phone (ids merged into others included: `matchParties` leaves those out). */
export const useParties = () => useLiveQuery(() => db.parties.toArray())

/** One party, following a merge to the party it became; undefined when the phone has none by that id. */
export const useParty = (id: MaybeRefOrGetter<string | null | undefined>) =>
  useLiveQuery(
    () => {
      const wanted = toValue(id)
      return wanted ? getParty(db, wanted) : undefined
    },
    () => toValue(id),
  )

/** The colleagues an inspector may name as co-inspectors, as the last sync listed them. */
export const useColleagues = () => useLiveQuery(() => db.colleagues.toArray())

/** Keeps a party made here (waiting until the next sync sends it); refuses a wrong credit code at once. */
export const saveNewParty = (typed: NewParty, by: { department: string }, campaignId?: string | null) =>
  createLocalParty(db, typed, by, campaignId)

/** Corrects a party made here that the server has not taken; it is sent again. */
export const saveCorrectedParty = (id: string, typed: NewParty): Promise<LocalParty> => editLocalParty(db, id, typed)

/** After a supervisor's merge on the server: the merged party here opens the party it went into. */
export const keepMergedParty = (fromId: string, into: Party) => keepServerMerge(db, fromId, into)
