import type { LocationQuery, LocationQueryRaw } from 'vue-router'
import { ROLES, type Role } from '@/kernel/dataset'
import type { TaskFilters } from './search'

export interface SearchState extends TaskFilters {
  q: string
}

const first = (v: LocationQuery[string] | undefined): string | undefined =>
  Array.isArray(v) ? (v[0] ?? undefined) : (v ?? undefined)

/** Reads the search state from the URL, ignoring values that cannot be filters (a hand-edited link). */
export function searchStateFromQuery(query: LocationQuery): SearchState {
  const section = Number(first(query.section))
  const role = first(query.role)
  const dept = first(query.dept)
  return {
    q: first(query.q) ?? '',
    sectionId: Number.isInteger(section) && section > 0 ? section : undefined,
    department: dept || undefined,
    role: ROLES.includes(role as Role) ? (role as Role) : undefined,
  }
}

/** The URL form of a search state; empty parts are left out so shared links stay short. */
export function searchStateToQuery(s: SearchState): LocationQueryRaw {
  const out: LocationQueryRaw = {}
  if (s.q) out.q = s.q
  if (s.sectionId !== undefined) out.section = String(s.sectionId)
  if (s.department) out.dept = s.department
  if (s.role) out.role = s.role
  return out
}
