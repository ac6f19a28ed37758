/**
 * The colleagues an inspector may name as co-inspectors, kept on the phone to pick offline: the people of
 * their department and campaigns, with names and certificates only, as the server last listed them.
 */
import { certificateValidAt } from '@/kernel/certificate'
import type { InspectorRef } from '@/kernel/sync-schema'
import type { Colleague as ListedColleague } from '@/kernel/users'
import type { Colleague, ZhixunDB } from './db'

/** Keeps exactly the colleagues the server listed, replacing the last list in one step. */
export async function replaceColleagues(db: ZhixunDB, listed: readonly ListedColleague[]): Promise<void> {
  await db.transaction('rw', db.colleagues, async () => {
    await db.colleagues.clear()
    await db.colleagues.bulkPut(
      listed.map((c) => ({
        userId: c.id,
        name: c.displayName,
        department: c.department,
        certificateNumber: c.certificateNumber,
        certificateExpiry: c.certificateExpiry,
      })),
    )
  })
}

/** A colleague as a check-in names them: the account, the name and the certificate number shown then. */
export const inspectorRefOf = (c: Pick<Colleague, 'userId' | 'name' | 'certificateNumber'>): InspectorRef => ({
  userId: c.userId,
  name: c.name,
  certificateNumber: c.certificateNumber,
})

/**
 * How many distinct people of an inspection held a valid certificate at `isoTime`: the lead and the
 * co-inspectors, each judged by their certificate as this phone knows it (`certificates`, by user id).
 */
export function certifiedCount(
  people: readonly string[],
  certificates: ReadonlyMap<string, Pick<Colleague, 'certificateNumber' | 'certificateExpiry'>>,
  isoTime: string,
): number {
  return [...new Set(people)].filter((id) => {
    const holder = certificates.get(id)
    return holder !== undefined && certificateValidAt(holder, isoTime)
  }).length
}
