/**
 * Plain rules about campaigns, shared by the server and the phone. No validation library here: the phone's
 * first screen and the sync loop import these, and must stay small.
 */
import type { Campaign } from './campaign-schema'
import type { UserRole } from './users'

/** Running on `today` (a local day, YYYY-MM-DD). */
export const isActive = (c: Pick<Campaign, 'startDate' | 'endDate'>, today: string): boolean =>
  c.startDate <= today && today <= c.endDate

/** Who is asking, as far as campaigns care. */
export interface CampaignUser {
  id: string
  role: UserRole
  department: string
}

/** Reads: admins every campaign; supervisors those their department runs or joins; inspectors those naming them. */
export function canRead(user: CampaignUser, c: Campaign): boolean {
  if (user.role === 'admin') return true
  if (user.role === 'supervisor')
    return c.ownerDepartment === user.department || c.departments.includes(user.department)
  return c.inspectorIds.includes(user.id)
}

/** Changes: admins, and supervisors of the department that runs it. */
export const canManage = (user: CampaignUser, c: Pick<Campaign, 'ownerDepartment'>): boolean =>
  user.role === 'admin' || (user.role === 'supervisor' && c.ownerDepartment === user.department)
