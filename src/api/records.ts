import type { CheckInRelated, MyCheckInsPage, ServerCheckIn, ServerInspection } from '@/kernel/retention'
import { apiJson } from './http'

/** The signed-in user's own check-ins on the server, newest first, before `before` (and `beforeId` at that moment). */
export function fetchMyCheckIns(query: {
  before?: string
  beforeId?: string
  task?: number
  limit?: number
}): Promise<MyCheckInsPage> {
  const params = new URLSearchParams()
  if (query.before !== undefined) params.set('before', query.before)
  if (query.beforeId !== undefined) params.set('beforeId', query.beforeId)
  if (query.task !== undefined) params.set('task', String(query.task))
  if (query.limit !== undefined) params.set('limit', String(query.limit))
  return apiJson<MyCheckInsPage>(`/api/records/mine?${params}`)
}

/**
 * One check-in the user may read, as the server holds it, with its review, inspection record and corrections
 * (`related`: absent from a server before it): for one this phone does not keep.
 */
export const fetchCheckIn = async (id: string): Promise<ServerCheckIn & { related?: CheckInRelated }> => {
  const answer = await apiJson<{ checkIn: ServerCheckIn; related?: CheckInRelated }>(
    `/api/checkins/${encodeURIComponent(id)}`,
  )
  return { ...answer.checkIn, related: answer.related }
}

/**
 * One inspection record the user may read, as the server holds it, with the records that correct it
 * (`corrections`: absent from a server before it): for one this phone does not hold.
 */
export const fetchInspection = async (id: string): Promise<ServerInspection & { corrections?: ServerInspection[] }> => {
  const answer = await apiJson<{ inspection: ServerInspection; corrections?: ServerInspection[] }>(
    `/api/inspections/${encodeURIComponent(id)}`,
  )
  return { ...answer.inspection, corrections: answer.corrections }
}
