import type { MyCheckInsPage, ServerCheckIn, ServerInspection } from '@/kernel/retention'
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

/** One check-in the user may read, as the server holds it: for one this phone does not keep. */
export const fetchCheckIn = async (id: string): Promise<ServerCheckIn> =>
  (await apiJson<{ checkIn: ServerCheckIn }>(`/api/checkins/${encodeURIComponent(id)}`)).checkIn

/** One inspection record the user may read, as the server holds it: for one this phone does not hold. */
export const fetchInspection = async (id: string): Promise<ServerInspection> =>
  (await apiJson<{ inspection: ServerInspection }>(`/api/inspections/${encodeURIComponent(id)}`)).inspection
