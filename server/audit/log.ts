/**
 * The audit trail: every server action on records, parties and campaigns, who asked for it, when, and from
 * which phone client. Entries are only appended — nothing here or anywhere updates or deletes one, and the
 * database refuses it too (migration 0010) — so what an administrative review reads is what happened.
 */
import type { Kysely } from 'kysely'
import type { RecordKind } from '../../src/kernel/sync-schema'
import { nowIso, type AuditLogTable, type Database, type RecordsTable } from '../db/database'

export const AUDIT_ACTIONS = [
  'checkin.create',
  'checkin.correct',
  'inspection.sign',
  'inspection.correct',
  'review.reviewed',
  'review.returned',
  'evidence.export',
  'party.create',
  'party.merge',
  'campaign.create',
  'campaign.update',
] as const
export type AuditAction = (typeof AUDIT_ACTIONS)[number]

export type AuditTargetKind = RecordKind | 'party' | 'campaign'

/** One thing the server did, as its caller says it. */
export interface AuditInput {
  actorId: string | null
  clientId?: string | null
  action: AuditAction
  targetKind: AuditTargetKind
  targetId: string
  detail?: Record<string, unknown>
}

/** An entry as the API and the evidence package give it. */
export interface AuditEntry {
  id: number
  at: string
  actorId: string | null
  actorName: string | null
  clientId: string | null
  action: string
  targetKind: string
  targetId: string
  detail: unknown
}

/** Appends entries, in order, in the caller's transaction when it passes one: they commit with what they record. */
export async function appendAudit(db: Kysely<Database>, entries: readonly AuditInput[]): Promise<void> {
  if (entries.length === 0) return
  const at = nowIso()
  const rows = entries.map((e): Omit<AuditLogTable, 'id'> => ({
    at,
    actor_id: e.actorId,
    client_id: e.clientId ?? null,
    action: e.action,
    target_kind: e.targetKind,
    target_id: e.targetId,
    detail: JSON.stringify(e.detail ?? {}),
  }))
  for (let i = 0; i < rows.length; i += 100)
    await db
      .insertInto('audit_log')
      .values(rows.slice(i, i + 100))
      .execute()
}

/** What a push wrote that the audit log names: each new check-in and inspection record, signed or corrected. */
export function pushAuditEntries(
  rows: Iterable<Pick<RecordsTable, 'id' | 'kind' | 'data' | 'hash' | 'deleted' | 'signature_status'>>,
  actorId: string,
  clientId: string,
): AuditInput[] {
  const entries: AuditInput[] = []
  for (const row of rows) {
    if (row.deleted || row.data === null || (row.kind !== 'checkin' && row.kind !== 'inspection')) continue
    const data = JSON.parse(row.data) as { correctionOf?: string | null; checkInId?: string }
    const correctionOf = data.correctionOf ?? null
    const action: AuditAction =
      row.kind === 'checkin'
        ? correctionOf
          ? 'checkin.correct'
          : 'checkin.create'
        : correctionOf
          ? 'inspection.correct'
          : 'inspection.sign'
    entries.push({
      actorId,
      clientId,
      action,
      targetKind: row.kind,
      targetId: row.id,
      detail: {
        hash: row.hash,
        signature: row.signature_status,
        ...(correctionOf ? { correctionOf } : {}),
        ...(row.kind === 'inspection' && data.checkInId ? { checkInId: data.checkInId } : {}),
      },
    })
  }
  return entries
}

/** At most this many entries in one answer: the newest, so a busy person's latest work is always there. */
export const AUDIT_PAGE = 5000

/**
 * The entries about any of `targetIds`, or made by `actorId`, with the actor's name: the newest `limit` of
 * them, oldest first, and whether there are older ones.
 */
export async function readAudit(
  db: Kysely<Database>,
  filter: { targetIds?: readonly string[]; actorId?: string },
  limit = AUDIT_PAGE,
): Promise<{ entries: AuditEntry[]; more: boolean }> {
  let q = db
    .selectFrom('audit_log')
    .leftJoin('users', 'users.id', 'audit_log.actor_id')
    .select([
      'audit_log.id',
      'audit_log.at',
      'audit_log.actor_id',
      'users.display_name',
      'audit_log.client_id',
      'audit_log.action',
      'audit_log.target_kind',
      'audit_log.target_id',
      'audit_log.detail',
    ])
  if (filter.targetIds !== undefined) {
    if (filter.targetIds.length === 0) return { entries: [], more: false }
    q = q.where('audit_log.target_id', 'in', [...new Set(filter.targetIds)])
  }
  if (filter.actorId !== undefined) q = q.where('audit_log.actor_id', '=', filter.actorId)
  const rows = await q
    .orderBy('audit_log.id', 'desc')
    .limit(limit + 1)
    .execute()
  const entries = rows.slice(0, limit).reverse()
  return {
    more: rows.length > limit,
    entries: entries.map((r) => ({
      id: r.id,
      at: r.at,
      actorId: r.actor_id,
      actorName: r.display_name,
      clientId: r.client_id,
      action: r.action,
      targetKind: r.target_kind,
      targetId: r.target_id,
      detail: JSON.parse(r.detail) as unknown,
    })),
  }
}
