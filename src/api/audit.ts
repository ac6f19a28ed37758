import { apiJson } from './http'

/** One entry of the server's append-only audit log, as an admin reads it. */
export interface AuditEntry {
  id: number | string
  at: string
  actorId: string | null
  actorName: string | null
  clientId: string | null
  /** checkin.create, inspection.sign, review.returned, evidence.export, … */
  action: string
  targetKind: string
  targetId: string
  /** What the server noted with it (the correction's original, a review's comment…), as stored. */
  detail: unknown
}

/** The entries about one record, or those of one person. */
export type AuditFilter = { recordId: string } | { userId: string }

export const fetchAudit = async (filter: AuditFilter) =>
  (await apiJson<{ entries: AuditEntry[] }>(`/api/audit?${new URLSearchParams(filter).toString()}`)).entries
