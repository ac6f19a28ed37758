import { Dexie } from 'dexie'
import type { MutationName } from '@/kernel/sync-schema'
import { uuidv7 } from '@/kernel/uuid'
import type { OutboxEntry, SyncMeta, ZhixunDB } from './db'

// Kept apart from records.ts (and its schema library) so the app's first screen need not load them.

/** A new client id, numbering from 1 and pulling from the start, for `userId` when one is known. */
export const newSyncMeta = (userId?: string): SyncMeta => ({
  key: 'sync',
  clientId: uuidv7(),
  nextSeq: 1,
  pullCursor: 0,
  ...(userId ? { userId } : {}),
})

/** The phone's identity for sync: made once, kept with the data it numbers. */
export async function syncMeta(db: ZhixunDB): Promise<SyncMeta> {
  return db.transaction('rw', db.syncMeta, async () => {
    const existing = await db.syncMeta.get('sync')
    if (existing) return existing
    const meta = newSyncMeta()
    await db.syncMeta.add(meta)
    return meta
  })
}

/** How many records are only on this phone, and since when the oldest of them has been. */
export async function unsentSummary(db: ZhixunDB): Promise<{ count: number; oldestQueuedAt?: number }> {
  // Counted by index, not read: it runs again on every save, and a phone may have thousands queued. Each record
  // has one entry, but for notes: an edit or a delete queued behind the last one. Only their keys are read.
  return db.transaction('r', db.outbox, async () => {
    const [entries, noteEntries, oldest] = await Promise.all([
      db.outbox.count(),
      db.outbox.where('[name+recordId]').between(['note.', Dexie.minKey], ['note.\uffff', Dexie.maxKey]).keys(),
      db.outbox.orderBy('seq').first(),
    ])
    const notes = new Set(noteEntries.map((k) => (k as unknown as [string, string])[1])).size
    return { count: entries - noteEntries.length + notes, oldestQueuedAt: oldest?.queuedAt }
  })
}

/** The local key of the last entry queued, or 0: what an export made now covers. */
export async function lastQueuedSeq(db: ZhixunDB): Promise<number> {
  return (await db.outbox.orderBy('seq').last())?.seq ?? 0
}

/**
 * Queues a mutation under the next wire sequence number of this phone's client id. Call it inside a
 * transaction over db.outbox and db.syncMeta, with the record it belongs to, so the number, the entry and
 * the record are written together or not at all.
 */
export async function enqueue<N extends MutationName>(
  db: ZhixunDB,
  entry: Omit<OutboxEntry<N>, 'seq' | 'wireSeq'>,
): Promise<void> {
  const meta = await syncMeta(db)
  await db.syncMeta.update('sync', { nextSeq: meta.nextSeq + 1 })
  await db.outbox.add({ ...entry, wireSeq: meta.nextSeq } as OutboxEntry<N>)
}
