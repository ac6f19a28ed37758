import { uuidv7 } from '@/sync/uuid'
import type { SessionRow, ZhixunDB } from './db'

export class UnsentRecordsError extends Error {
  constructor(readonly count: number) {
    super(`${count} records are not on the server yet`)
    this.name = 'UnsentRecordsError'
  }
}

/**
 * Records who signed in. A different user on this phone starts clean — a new client id, nothing of the
 * last user's left to read — and that is refused while any record is still unsent.
 */
export async function startSession(db: ZhixunDB, user: SessionRow['user'], expiresAt: string): Promise<void> {
  await db.transaction('rw', [db.session, db.syncMeta, db.outbox, db.checkins, db.notes, db.photos, db.drafts, db.campaigns], async () => {
    const meta = await db.syncMeta.get('sync')
    if (meta?.userId && meta.userId !== user.id) {
      const unsent = await db.outbox.count()
      if (unsent > 0) throw new UnsentRecordsError(unsent)
      await Promise.all([db.checkins.clear(), db.notes.clear(), db.photos.clear(), db.drafts.clear(), db.campaigns.clear()])
      await db.syncMeta.put({ key: 'sync', clientId: uuidv7(), nextSeq: 1, pullCursor: 0, userId: user.id })
    } else if (meta) {
      await db.syncMeta.update('sync', { userId: user.id })
    } else {
      await db.syncMeta.put({ key: 'sync', clientId: uuidv7(), nextSeq: 1, pullCursor: 0, userId: user.id })
    }
    await db.session.put({ key: 'me', user, expiresAt })
  })
}

/** Signing out is refused while records are only on this phone: they would be stranded. */
export async function endSession(db: ZhixunDB): Promise<void> {
  await db.transaction('rw', [db.session, db.outbox], async () => {
    const unsent = await db.outbox.count()
    if (unsent > 0) throw new UnsentRecordsError(unsent)
    await db.session.delete('me')
  })
}

export async function markSessionExpired(db: ZhixunDB): Promise<void> {
  await db.session.update('me', { expired: true })
}
