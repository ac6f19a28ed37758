import type {
  LocalCheckIn,
  LocalInspection,
  LocalNote,
  LocalPhoto,
  LocalReview,
  OutboxEntry,
  SyncMeta,
} from '../../src/db/db'
import { recordHash } from '../../src/kernel/canonical'
import type { CheckIn, FieldNote, MutationName } from '../../src/kernel/sync-schema'
import { uuidv7 } from '../../src/kernel/uuid'
import type { Acknowledged, LocalRecords, RecordWrites, SyncStorage } from '../../src/sync/storage'

/** Dexie's update: only a row that is there, and a property set to undefined is removed. */
function updated<T extends object>(row: T, changes: Partial<T>): T {
  const next = { ...row, ...changes }
  for (const [k, v] of Object.entries(changes)) if (v === undefined) delete (next as Record<string, unknown>)[k]
  return next
}

/**
 * The sync engine's storage in plain maps, for tests with no IndexedDB. Reads hand out copies, as
 * IndexedDB does. The two transactions are all or nothing: nothing is written until `decide` has returned.
 */
export class MemorySyncStorage implements SyncStorage {
  meta: SyncMeta | undefined
  readonly outbox = new Map<number, OutboxEntry>()
  readonly checkIns = new Map<string, LocalCheckIn>()
  readonly notes = new Map<string, LocalNote>()
  readonly inspections = new Map<string, LocalInspection>()
  readonly reviews = new Map<string, LocalReview>()
  readonly photos = new Map<string, LocalPhoto>()
  /** The signed-in session, as far as sync cares. */
  session: { expired: boolean } | undefined = { expired: false }
  private nextKey = 1

  async syncMeta(): Promise<SyncMeta> {
    this.meta ??= { key: 'sync', clientId: uuidv7(), nextSeq: 1, pullCursor: 0 }
    return structuredClone(this.meta)
  }

  async updateSyncMeta(changes: Pick<SyncMeta, 'lastSyncAt' | 'lastError'>): Promise<void> {
    if (this.meta) this.meta = updated(this.meta, changes)
  }

  async markSessionExpired(): Promise<void> {
    if (this.session) this.session.expired = true
  }

  async nextOutboxBatch(limit: number): Promise<OutboxEntry[]> {
    return structuredClone([...this.outbox.values()].slice(0, limit))
  }

  async photo(sha256: string): Promise<LocalPhoto | undefined> {
    return structuredClone(this.photos.get(sha256))
  }

  async setPhotoState(sha256s: readonly string[], state: LocalPhoto['state']): Promise<void> {
    for (const sha of sha256s) {
      const p = this.photos.get(sha)
      if (p) p.state = state
    }
  }

  async acknowledge(
    done: readonly OutboxEntry[],
    decide: (stillQueued: ReadonlySet<string>) => Acknowledged,
  ): Promise<void> {
    const gone = new Set(done.map((e) => e.seq))
    const recordIds = new Set(done.map((e) => e.recordId))
    const stillQueued = new Set(
      [...this.outbox.values()].filter((e) => !gone.has(e.seq) && recordIds.has(e.recordId)).map((e) => e.recordId),
    )
    const writes = decide(stillQueued)
    for (const seq of gone) this.outbox.delete(seq!)
    this.write(writes)
    const through = writes.pulledThrough
    if (through && this.meta?.pullCursor === through.from - 1) this.meta = { ...this.meta, pullCursor: through.to }
  }

  async applyPulled(
    ids: { checkIns: string[]; notes: string[]; inspections?: string[] },
    decide: (local: LocalRecords) => RecordWrites & { pullCursor: number },
  ): Promise<number> {
    const pick = <T>(map: Map<string, T>, keys: string[]) =>
      new Map(keys.flatMap((k) => (map.has(k) ? [[k, structuredClone(map.get(k)!)] as const] : [])))
    const noteIds = new Set(ids.notes)
    const writes = decide({
      checkIns: pick(this.checkIns, ids.checkIns),
      notes: pick(this.notes, ids.notes),
      inspections: pick(this.inspections, ids.inspections ?? []),
      queued: new Set([...this.outbox.values()].map((e) => e.recordId).filter((id) => noteIds.has(id))),
    })
    this.write(writes)
    if (this.meta) this.meta.pullCursor = writes.pullCursor
    return writes.pullCursor
  }

  private write(w: RecordWrites): void {
    for (const { key, changes } of w.checkIns) {
      const row = this.checkIns.get(key)
      if (row) this.checkIns.set(key, updated(row, changes))
    }
    for (const row of w.newCheckIns) this.checkIns.set(row.id, structuredClone(row))
    for (const n of w.notes) {
      if ('put' in n) this.notes.set(n.put.id, structuredClone(n.put))
      else {
        const row = this.notes.get(n.id)
        if (row) this.notes.set(n.id, updated(row, n.changes))
      }
    }
    for (const { key, changes } of w.inspections ?? []) {
      const row = this.inspections.get(key)
      if (row) this.inspections.set(key, updated(row, changes))
    }
    for (const row of w.newInspections ?? []) this.inspections.set(row.id, structuredClone(row))
    for (const row of w.reviews ?? []) this.reviews.set(row.id, structuredClone(row))
  }

  // What the app's repository functions do when the inspector saves something (no validation here).

  async saveCheckIn(data: CheckIn, photos: Omit<LocalPhoto, 'state' | 'savedAt'>[] = []) {
    const savedAt = Date.now()
    for (const p of photos) this.photos.set(p.sha256, { state: 'local', savedAt, ...p })
    const hash = await recordHash(data)
    this.checkIns.set(data.id, {
      id: data.id,
      data,
      taskNumbers: data.taskNumbers,
      hash,
      state: 'waiting',
      origin: 'mine',
      savedAt,
    })
    await this.enqueue('checkin.create', data, data.id)
  }

  async saveNote(note: FieldNote) {
    const existing = this.notes.get(note.id)
    const record: LocalNote = {
      id: note.id,
      taskNumber: note.taskNumber,
      data: note,
      hash: await recordHash(note),
      state: 'waiting',
      serverVersion: existing?.serverVersion ?? null,
      deleted: 0,
      origin: existing?.origin ?? 'mine',
      savedAt: Date.now(),
    }
    this.notes.set(note.id, record)
    await this.enqueue('note.put', { note, baseVersion: record.serverVersion }, note.id)
  }

  private async enqueue<N extends MutationName>(name: N, args: OutboxEntry<N>['args'], recordId: string) {
    const meta = await this.syncMeta()
    this.meta!.nextSeq = meta.nextSeq + 1
    const seq = this.nextKey++
    this.outbox.set(seq, { seq, wireSeq: meta.nextSeq, name, args, recordId, queuedAt: Date.now() } as OutboxEntry)
  }
}
