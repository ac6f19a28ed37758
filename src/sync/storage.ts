import type { LocalPhoto, OutboxEntry, SyncMeta } from '@/db/db'
import type { Acknowledged, LocalRecords, RecordWrites } from '@/db/syncStorage'

export type { Acknowledged, LocalRecords, NoteWrite, RecordWrites } from '@/db/syncStorage'

/**
 * What the sync engine needs from the phone's storage (IndexedDB in the app: `dexieSyncStorage` in
 * src/db/syncStorage.ts; memory in tests). The two methods that take a `decide` callback are one
 * transaction each: they read, call `decide` (plain code, no awaiting), and write what it returns, so
 * letting outbox entries go and marking their records, or writing a pulled page and its cursor, happen
 * together or not at all.
 */
export interface SyncStorage {
  /** This phone's client id, next sequence number and pull cursor, made on first use. */
  syncMeta(): Promise<SyncMeta>
  updateSyncMeta(changes: Pick<SyncMeta, 'lastSyncAt' | 'lastError'>): Promise<void>
  /** The server said the session is over: records stay, sync waits for a new sign-in. */
  markSessionExpired(): Promise<void>
  /** The oldest `limit` outbox entries, in the order they were queued. */
  nextOutboxBatch(limit: number): Promise<OutboxEntry[]>
  photo(sha256: string): Promise<LocalPhoto | undefined>
  setPhotoState(sha256s: readonly string[], state: LocalPhoto['state']): Promise<void>
  /**
   * Deletes the `done` outbox entries, then writes what `decide` makes of them, given which of their
   * records still have entries queued. With `pulledThrough`, the server's versions `from`…`to` are all in those
   * writes, verified: a pull cursor standing at `from - 1` moves to `to`, so they are not pulled back.
   */
  acknowledge(done: readonly OutboxEntry[], decide: (stillQueued: ReadonlySet<string>) => Acknowledged): Promise<void>
  /** Reads the local copies of a pulled page's records, writes what `decide` makes of them and its cursor. */
  applyPulled(
    ids: { checkIns: string[]; notes: string[]; inspections?: string[] },
    decide: (local: LocalRecords) => RecordWrites & { pullCursor: number },
  ): Promise<number>
}
