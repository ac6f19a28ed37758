import type { Party, PartyCheckIn, PartyForPhone, PartyInput } from '@/kernel/party'
import { apiJson } from './http'

/** The parties of the signed-in user's department and campaigns, with pinyin initials and earlier inspections in short. */
export const fetchMyParties = async () => (await apiJson<{ parties: PartyForPhone[] }>('/api/parties/mine')).parties

/** Creates a party (201), or answers the one it is (200: `merged` by the same id, or by its credit code). */
export const postParty = (input: PartyInput) =>
  apiJson<{ party: Party; merged?: 'id' | 'creditCode' }>('/api/parties', 'POST', input)

/** A party's earlier inspections in full, those the user may read, and how many more there are. */
export const fetchPartyInspections = (id: string) =>
  apiJson<{ party: Party; checkIns: PartyCheckIn[]; total: number; hidden: number }>(
    `/api/parties/${encodeURIComponent(id)}/inspections`,
  )
