import { newSyncMeta } from './outbox'
import { ZhixunError } from '@/kernel/errors'
import type { SessionUser } from '@/kernel/users'
import type { ParkedRecords, ZhixunDB } from './db'

export class UnsentRecordsError extends ZhixunError<'unsent'> {
  constructor(readonly count: number) {
    super('unsent', `${count} records are not on the server yet, nor exported`)
    this.name = 'UnsentRecordsError'
  }
}

/**
 * How many records are only on this phone and not in an export file either. Those hold the phone: nobody
 * signs out and nobody else signs in until they are sent or exported.
 */
export async function unexportedCount(db: ZhixunDB): Promise<number> {
  const through = (await db.syncMeta.get('sync'))?.exportedThroughSeq ?? 0
  // Signed 现场检查笔录 travel in export files too (src/records/export.ts): a file covers them as it does check-ins.
  const recordIds = new Set((await db.outbox.where('seq').above(through).toArray()).map((e) => e.recordId))
  return recordIds.size
}

/** Remembers that everything queued so far is in an export file: from now on it no longer holds the phone. */
export async function markExported(db: ZhixunDB, throughSeq: number, at = Date.now()): Promise<void> {
  await db.syncMeta.update('sync', { exportedThroughSeq: throughSeq, exportedAt: at })
}

/** Puts the signed-out user's unsent (exported) records aside, with their client id, until they are back. */
async function park(db: ZhixunDB, userId: string, displayName: string): Promise<void> {
  const meta = (await db.syncMeta.get('sync'))!
  const outbox = await db.outbox.orderBy('seq').toArray()
  const ids = [...new Set(outbox.map((e) => e.recordId))]
  const checkins = (await db.checkins.bulkGet(ids)).filter((c) => c !== undefined)
  const notes = (await db.notes.bulkGet(ids)).filter((n) => n !== undefined)
  const inspections = (await db.inspections.bulkGet(ids)).filter((r) => r !== undefined)
  // An inspection record's photos and drawn signatures go up as photos do: parked with it.
  const shas = [
    ...new Set([
      ...checkins.flatMap((c) => c.data.photos.map((p) => p.sha256)),
      ...inspections.flatMap((r) => [...(r.data?.photos ?? []), ...(r.data?.signatures ?? [])].map((p) => p.sha256)),
    ]),
  ]
  const photos = (await db.photos.bulkGet(shas)).filter((p) => p !== undefined)
  const row: ParkedRecords = {
    userId,
    displayName,
    clientId: meta.clientId,
    nextSeq: meta.nextSeq,
    outbox: outbox.map(({ seq: _seq, ...e }) => e),
    checkins,
    notes,
    photos,
    parkedAt: Date.now(),
    inspections,
    ...(meta.chainSeq ? { chainSeq: meta.chainSeq, chainHead: meta.chainHead } : {}),
  }
  await db.parked.put(row)
}

/** Brings a returning user's parked records back, numbered as before, so they go to the server as they were. */
async function unpark(db: ZhixunDB, parked: ParkedRecords): Promise<void> {
  await db.outbox.bulkAdd([...parked.outbox].sort((a, b) => a.wireSeq - b.wireSeq))
  await db.checkins.bulkPut(parked.checkins)
  await db.notes.bulkPut(parked.notes)
  await db.inspections.bulkPut(parked.inspections ?? [])
  await db.photos.bulkPut(parked.photos)
  // They were all exported before they were parked, and still are.
  const exportedThroughSeq = (await db.outbox.orderBy('seq').last())?.seq ?? 0
  // Everything else of theirs is on the server: pulled again from the start.
  await db.syncMeta.put({
    key: 'sync',
    clientId: parked.clientId,
    nextSeq: parked.nextSeq,
    pullCursor: 0,
    userId: parked.userId,
    exportedThroughSeq,
    ...(parked.chainSeq ? { chainSeq: parked.chainSeq, chainHead: parked.chainHead } : {}),
  })
  await db.parked.delete(parked.userId)
}

/**
 * Records who signed in. A different user on this phone starts clean — nothing of the last user's left to
 * read — which is refused while the last user has records that are neither sent nor exported. Exported
 * ones are parked, not lost: they come back when their author signs in here again, or are deleted on purpose.
 */
export async function startSession(db: ZhixunDB, user: SessionUser, expiresAt: string): Promise<void> {
  const tables = [
    db.session,
    db.syncMeta,
    db.outbox,
    db.checkins,
    db.notes,
    db.inspections,
    db.reviews,
    db.photos,
    db.drafts,
    db.campaigns,
    db.parked,
    db.parties,
    db.colleagues,
  ]
  await db.transaction('rw', tables, async () => {
    const meta = await db.syncMeta.get('sync')
    if (meta?.userId && meta.userId !== user.id) {
      const unexported = await unexportedCount(db)
      if (unexported > 0) throw new UnsentRecordsError(unexported)
      if ((await db.outbox.count()) > 0) await park(db, meta.userId, meta.userName ?? '')
      await Promise.all([
        db.checkins.clear(),
        db.notes.clear(),
        db.inspections.clear(),
        db.reviews.clear(),
        db.photos.clear(),
        db.drafts.clear(),
        db.campaigns.clear(),
        db.outbox.clear(),
        // The last user's register and colleagues are their department's; parties they made and the server
        // has not taken stay, to go up with the next sync.
        db.colleagues.clear(),
        db.parties.filter((p) => p.state === 'synced').delete(),
      ])
      const parked = await db.parked.get(user.id)
      if (parked) await unpark(db, parked)
      else await db.syncMeta.put(newSyncMeta(user.id))
    } else if (meta) {
      await db.syncMeta.update('sync', { userId: user.id })
    } else {
      await db.syncMeta.put(newSyncMeta(user.id))
    }
    await db.syncMeta.update('sync', { userName: user.displayName })
    await db.session.put({ key: 'me', user, expiresAt })
  })
}

/**
 * Signing out is refused while records are only on this phone and in no export: they would be stranded.
 * Exported ones stay here, queued, and go up when their author signs in again.
 */
export async function endSession(db: ZhixunDB): Promise<{ keptUnsent: number }> {
  return db.transaction('rw', [db.session, db.outbox, db.syncMeta], async () => {
    const unexported = await unexportedCount(db)
    if (unexported > 0) throw new UnsentRecordsError(unexported)
    const keptUnsent = new Set((await db.outbox.toArray()).map((e) => e.recordId)).size
    await db.session.delete('me')
    return { keptUnsent }
  })
}

export async function listParked(db: ZhixunDB): Promise<ParkedRecords[]> {
  return db.parked.toArray()
}

/** Deletes, on purpose, another user's parked records: the last copy on this phone. */
export async function deleteParked(db: ZhixunDB, userId: string): Promise<void> {
  await db.parked.delete(userId)
}

export async function markSessionExpired(db: ZhixunDB): Promise<void> {
  await db.session.update('me', { expired: true })
}
