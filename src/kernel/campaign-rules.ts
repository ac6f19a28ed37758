/**
 * Plain rules about campaigns, shared by the server and the phone. No validation library here: the phone's
 * first screen and the sync loop import these, and must stay small.
 */
import type { Campaign } from './campaign-schema'
import { regionCovers, regionOf } from './regions'
import type { UserRole } from './users'

/** Running on `today` (a local day, YYYY-MM-DD). */
export const isActive = (c: Pick<Campaign, 'startDate' | 'endDate'>, today: string): boolean =>
  c.startDate <= today && today <= c.endDate

/** Who is asking, as far as campaigns care. */
export interface CampaignUser {
  id: string
  role: UserRole
  department: string
  /** Absent: provincial (sessions kept by earlier versions). */
  region?: string
}

/**
 * Reads: admins every campaign; supervisors those their department runs or joins, in their region (a provincial
 * supervisor's region is the whole province); inspectors those naming them.
 */
export function canRead(user: CampaignUser, c: Campaign): boolean {
  if (user.role === 'admin') return true
  if (user.role === 'supervisor')
    return (
      (c.ownerDepartment === user.department || c.departments.includes(user.department)) &&
      regionCovers(regionOf(user), regionOf(c))
    )
  return c.inspectorIds.includes(user.id)
}

/** Changes: admins, and supervisors of the department that runs it, in their region. */
export const canManage = (user: CampaignUser, c: Pick<Campaign, 'ownerDepartment' | 'region'>): boolean =>
  user.role === 'admin' ||
  (user.role === 'supervisor' && c.ownerDepartment === user.department && regionCovers(regionOf(user), regionOf(c)))
