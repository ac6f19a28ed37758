import type { Party, PartyCheckIn, PartyForPhone, PartyInput } from '@/kernel/party'
import { apiJson } from './http'

/** A party of the user's that a supervisor merged into another, and the party it stands for now. */
export interface PartyMergeNote {
  id: string
  into: string
}

/**
 * The parties of the signed-in user's department and campaigns, with pinyin initials and earlier inspections
 * in short, and those of theirs merged into others (absent from servers before merges).
 */
export const fetchMyRegister = async () => {
  const body = await apiJson<{ parties: PartyForPhone[]; merged?: PartyMergeNote[] }>('/api/parties/mine')
  return { parties: body.parties, merged: body.merged ?? [] }
}

/** The parties of the signed-in user's department and campaigns (see fetchMyRegister). */
export const fetchMyParties = async () => (await fetchMyRegister()).parties

/** A supervisor merges a party without a credit code into another entry of the same party. */
export const mergePartyInto = (id: string, into: string) =>
  apiJson<{ party: Party; mergedFrom: string[] }>(`/api/parties/${encodeURIComponent(id)}/merge`, 'POST', { into })

/** Creates a party (201), or answers the one it is (200: `merged` by the same id, or by its credit code). */
export const postParty = (input: PartyInput) =>
  apiJson<{ party: Party; merged?: 'id' | 'creditCode' }>('/api/parties', 'POST', input)

/** A party's earlier inspections in full, those the user may read, and how many more there are. */
export const fetchPartyInspections = (id: string) =>
  apiJson<{ party: Party; checkIns: PartyCheckIn[]; total: number; hidden: number }>(
    `/api/parties/${encodeURIComponent(id)}/inspections`,
  )
