import type {
  LocalCheckIn,
  LocalInspection,
  LocalNote,
  LocalPhoto,
  LocalReview,
  OutboxEntry,
  SyncMeta,
  ZhixunDB,
} from './db'
import { syncMeta } from './outbox'
import { markSessionExpired } from './session'

/** One write to a note: the whole row, or changes to a row that may not be there (then nothing happens). */
export type NoteWrite = { put: LocalNote } | { id: string; changes: Partial<LocalNote> }

/** What the sync engine decided to write to the records, all in the transaction that asked it. */
export interface RecordWrites {
  /** Changes to check-ins already on this phone (missing ones are skipped). */
  checkIns: { key: string; changes: Partial<LocalCheckIn> }[]
  newCheckIns: LocalCheckIn[]
  /** Written in this order: one note may be written more than once and the last write counts. */
  notes: NoteWrite[]
  /** Changes to inspection records already on this phone (missing ones are skipped). */
  inspections?: { key: string; changes: Partial<LocalInspection> }[]
  newInspections?: LocalInspection[]
  /** Reviews pulled from the server (they only ever arrive whole). */
  reviews?: LocalReview[]
}

/** This phone's copies of the records a pulled page names, read in the transaction that writes the page. */
/** What acknowledging a push writes; `pulledThrough`: versions the phone need not pull back (src/sync/storage.ts). */
export type Acknowledged = RecordWrites & { pulledThrough?: { from: number; to: number } }

export interface LocalRecords {
  checkIns: ReadonlyMap<string, LocalCheckIn>
  notes: ReadonlyMap<string, LocalNote>
  inspections?: ReadonlyMap<string, LocalInspection>
  /** Records with an entry still in the outbox. */
  queued: ReadonlySet<string>
}

/** Everything the sync engine stores, over Dexie; `SyncStorage` in src/sync/storage.ts is what it must be. */
export function dexieSyncStorage(db: ZhixunDB) {
  async function write(w: RecordWrites): Promise<void> {
    if (w.checkIns.length) await db.checkins.bulkUpdate(w.checkIns)
    if (w.newCheckIns.length) await db.checkins.bulkPut(w.newCheckIns)
    for (const n of w.notes) await ('put' in n ? db.notes.put(n.put) : db.notes.update(n.id, n.changes))
    if (w.inspections?.length) await db.inspections.bulkUpdate(w.inspections)
    if (w.newInspections?.length) await db.inspections.bulkPut(w.newInspections)
    if (w.reviews?.length) await db.reviews.bulkPut(w.reviews)
  }

  return {
    syncMeta: (): Promise<SyncMeta> => syncMeta(db),

    async updateSyncMeta(changes: Pick<SyncMeta, 'lastSyncAt' | 'lastError'>): Promise<void> {
      await db.syncMeta.update('sync', changes)
    },

    markSessionExpired: (): Promise<void> => markSessionExpired(db),

    nextOutboxBatch: (limit: number): Promise<OutboxEntry[]> => db.outbox.orderBy('seq').limit(limit).toArray(),

    photo: (sha256: string): Promise<LocalPhoto | undefined> => db.photos.get(sha256),

    async setPhotoState(sha256s: readonly string[], state: LocalPhoto['state']): Promise<void> {
      await db.photos.where('sha256').anyOf(sha256s).modify({ state })
    },

    async acknowledge(
      done: readonly OutboxEntry[],
      decide: (stillQueued: ReadonlySet<string>) => Acknowledged,
    ): Promise<void> {
      await db.transaction(
        'rw',
        [db.outbox, db.checkins, db.notes, db.inspections, db.reviews, db.syncMeta],
        async () => {
          await db.outbox.bulkDelete(done.map((e) => e.seq!))
          const stillQueued = await db.outbox
            .where('recordId')
            .anyOf(done.map((e) => e.recordId))
            .keys()
          const writes = decide(new Set(stillQueued as string[]))
          await write(writes)
          const through = writes.pulledThrough
          if (through && (await db.syncMeta.get('sync'))?.pullCursor === through.from - 1)
            await db.syncMeta.update('sync', { pullCursor: through.to })
        },
      )
    },

    async applyPulled(
      ids: { checkIns: string[]; notes: string[]; inspections?: string[] },
      decide: (local: LocalRecords) => RecordWrites & { pullCursor: number },
    ): Promise<number> {
      const tables = [db.checkins, db.notes, db.inspections, db.reviews, db.outbox, db.syncMeta]
      return db.transaction('rw', tables, async () => {
        const [checkIns, notes, inspections, queued] = await Promise.all([
          db.checkins.bulkGet(ids.checkIns),
          db.notes.bulkGet(ids.notes),
          db.inspections.bulkGet(ids.inspections ?? []),
          db.outbox.where('recordId').anyOf(ids.notes).keys(),
        ])
        const writes = decide({
          checkIns: new Map(checkIns.flatMap((c) => (c ? [[c.id, c]] : []))),
          notes: new Map(notes.flatMap((n) => (n ? [[n.id, n]] : []))),
          inspections: new Map(inspections.flatMap((r) => (r ? [[r.id, r]] : []))),
          queued: new Set(queued as string[]),
        })
        await write(writes)
        await db.syncMeta.update('sync', { pullCursor: writes.pullCursor })
        return writes.pullCursor
      })
    },
  }
}
