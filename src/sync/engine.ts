import { ApiError } from '@/api/http'
import { recordHash } from '@/kernel/canonical'
import { retentionCutoff } from '@/kernel/retention'
import { ZhixunError } from '@/kernel/errors'
import type {
  LocalCheckIn,
  LocalInspection,
  LocalNote,
  LocalPhoto,
  LocalReview,
  OutboxEntry,
  RecordSigning,
  RecordState,
} from '@/db/db'
import {
  LIMITS,
  type Change,
  type CheckIn,
  type FieldNote,
  type Inspection,
  type MutationResult,
  type PushResponse,
  type Review,
} from '../kernel/sync-schema'
import type { Acknowledged, LocalRecords, NoteWrite, RecordWrites, SyncStorage } from './storage'
import type { SyncTransport } from './transport'

export interface SyncReport {
  pushed: number
  pulled: number
  photosUploaded: number
}

/** How far one photo of the batch being sent has gone up: `sent` of its `size` bytes the server has. */
export interface PhotoUploadProgress {
  sha256: string
  size: number
  sent: number
}

export interface SyncEngineOptions {
  batchSize?: number
  chunkBytes?: number
  pullPage?: number
  now?: () => number
  /**
   * Told, after every chunk the server took, how far each photo still to send in this batch has gone; an
   * empty list once the uploads are over, done or failed.
   */
  onPhotoProgress?: (photos: readonly PhotoUploadProgress[]) => void
}

/** A failure the inspector should see, by a message key, beside the error itself. */
export class SyncFailure extends ZhixunError<
  'seq_gap' | 'seq_conflict' | 'hash_mismatch' | 'photo_missing_local' | 'signed_out'
> {
  constructor(code: SyncFailure['code'], message: string) {
    super(code, message)
    this.name = 'SyncFailure'
  }
}

const stateFor = (r: MutationResult): RecordState =>
  r.status === 'applied' ? 'sent' : r.status === 'rejected' ? 'rejected' : 'conflict'

/** What the server found of the record's signature; a valid one confirms the key a file brought. */
const signingChanges = (r: MutationResult): Partial<RecordSigning> =>
  r.signature ? { serverSignature: r.signature, ...(r.signature === 'valid' ? { keyUnconfirmed: undefined } : {}) } : {}

/** A record's signature and what is known of it, to keep when the server's copy replaces the row. */
const signingOf = ({ signature, keyUnconfirmed, serverSignature }: RecordSigning): RecordSigning => ({
  ...(signature ? { signature } : {}),
  ...(keyUnconfirmed ? { keyUnconfirmed } : {}),
  ...(serverSignature ? { serverSignature } : {}),
})

/** States in which the server has taken a check-in, so its copy must be this phone's. */
const SERVER_HAS_IT: ReadonlySet<RecordState> = new Set(['sent', 'verified', 'mismatch'])

/** A check-in whose copy on the server came back with another hash: this phone's copy is kept as it is. */
const mismatch = (change: Pick<Change, 'hash' | 'version'>) =>
  ({
    state: 'mismatch',
    code: 'mismatch',
    detail: change.hash ?? '',
    reason: change.hash
      ? `the server's copy has hash ${change.hash}, not this phone's`
      : `the server's copy has no content`,
    serverVersion: change.version,
  }) as const

/**
 * Moves records between this phone and the server: photos first, then the outbox in order, then the
 * server's changes. Every step is written to IndexedDB before the next network call, so a reload, a killed
 * tab or a lost answer at any point leaves nothing lost and nothing twice: the server's sequence numbers
 * make a repeated push harmless, and outbox entries go only once the server says it has them.
 */
export class SyncEngine {
  private readonly batchSize: number
  private readonly chunkBytes: number
  private readonly pullPage: number
  private readonly now: () => number
  private readonly onPhotoProgress: (photos: readonly PhotoUploadProgress[]) => void

  constructor(
    private readonly storage: SyncStorage,
    private readonly transport: SyncTransport,
    options: SyncEngineOptions = {},
  ) {
    this.batchSize = options.batchSize ?? LIMITS.mutationsPerPush
    this.chunkBytes = options.chunkBytes ?? LIMITS.photoChunkBytes
    this.pullPage = options.pullPage ?? LIMITS.pullPage
    this.now = options.now ?? Date.now
    this.onPhotoProgress = options.onPhotoProgress ?? (() => {})
  }

  async sync(): Promise<SyncReport> {
    const report: SyncReport = { pushed: 0, pulled: 0, photosUploaded: 0 }
    try {
      await this.pushAll(report)
      report.pulled = await this.pullAll()
      await this.storage.updateSyncMeta({ lastSyncAt: this.now(), lastError: undefined })
    } catch (caught) {
      let err = caught
      if (caught instanceof ApiError && caught.status === 401) {
        // The session is over: nothing is touched; sync resumes once the inspector signs in again.
        await this.storage.markSessionExpired()
        err = new SyncFailure('signed_out', 'signed out')
      }
      await this.storage.updateSyncMeta({ lastError: err instanceof Error ? err.message : String(err) })
      throw err
    }
    return report
  }

  private async pushAll(report: SyncReport): Promise<void> {
    const { clientId } = await this.storage.syncMeta()
    for (;;) {
      const batch = await this.storage.nextOutboxBatch(this.batchSize)
      if (batch.length === 0) return
      report.photosUploaded += await this.uploadPhotos(batch)
      let res: PushResponse
      try {
        res = await this.transport.push({
          clientId,
          // The phone's clock as it sends: the server keeps how far it is from its own.
          clientTime: new Date(this.now()).toISOString(),
          mutations: batch.map((e) => ({
            seq: e.wireSeq,
            name: e.name,
            args: e.args,
            ...(e.signature ? { signature: e.signature } : {}),
          })),
        })
      } catch (err) {
        if (err instanceof ApiError && err.status === 409 && err.body.error === 'photo_missing') {
          // The server lost photos it had verified (restored from a backup?): send them again.
          const missing = (err.body.missing as string[] | undefined) ?? []
          await this.storage.setPhotoState(missing, 'local')
          continue
        }
        if (
          err instanceof ApiError &&
          err.status === 409 &&
          (err.body.error === 'seq_gap' || err.body.error === 'seq_conflict')
        ) {
          throw new SyncFailure(err.body.error, err.message)
        }
        throw err
      }
      await this.acknowledge(batch, res)
      report.pushed += res.results.length
      if (res.lastProcessedSeq < batch.at(-1)!.wireSeq) throw new Error(`server stopped at ${res.lastProcessedSeq}`)
    }
  }

  /**
   * Uploads, resumably, every photo the batch refers to that the server has not verified yet: a check-in's
   * photos, and an inspection record's photos and drawn signatures (PNG images that travel as photos do).
   */
  private async uploadPhotos(batch: OutboxEntry[]): Promise<number> {
    const shas = new Set<string>()
    for (const e of batch) {
      if (e.name === 'checkin.create') for (const p of (e.args as CheckIn).photos) shas.add(p.sha256)
      if (e.name === 'inspection.create') {
        const inspection = e.args as Inspection
        for (const p of inspection.photos) shas.add(p.sha256)
        for (const s of inspection.signatures) shas.add(s.sha256)
      }
    }
    const pending: LocalPhoto[] = []
    for (const sha of shas) {
      const photo = await this.storage.photo(sha)
      if (!photo) throw new SyncFailure('photo_missing_local', `photo ${sha} is not on this phone`)
      if (photo.state !== 'verified') pending.push(photo)
    }
    if (pending.length === 0) return 0
    const progress = pending.map((p) => ({ sha256: p.sha256, size: p.size, sent: 0 }))
    const tell = (i: number, sent: number) => {
      progress[i] = { ...progress[i]!, sent }
      this.onPhotoProgress([...progress])
    }
    this.onPhotoProgress([...progress])
    try {
      for (const [i, photo] of pending.entries()) {
        const sha = photo.sha256
        let state = await this.transport.startPhoto({ sha256: sha, size: photo.size, type: photo.type })
        tell(i, state.complete ? photo.size : state.offset)
        while (!state.complete) {
          const chunk = new Uint8Array(photo.bytes, state.offset, Math.min(this.chunkBytes, photo.size - state.offset))
          try {
            state = await this.transport.sendPhotoChunk(sha, state.offset, chunk)
          } catch (err) {
            if (err instanceof ApiError && err.status === 409 && typeof err.body.offset === 'number') {
              state = { offset: err.body.offset, complete: false } // the server had more (or less) than we thought
              continue
            }
            if (err instanceof ApiError && err.status === 422)
              throw new SyncFailure('hash_mismatch', `photo ${sha} does not match its hash`)
            throw err
          }
          tell(i, state.complete ? photo.size : state.offset)
        }
        await this.storage.setPhotoState([sha], 'verified')
      }
    } finally {
      this.onPhotoProgress([])
    }
    return pending.length
  }

  /** Records what the server said about each mutation, and only then lets go of the outbox entries. */
  private async acknowledge(batch: OutboxEntry[], res: PushResponse): Promise<void> {
    const bySeq = new Map(res.results.map((r) => [r.seq, r]))
    const done = batch.filter((e) => e.wireSeq <= res.lastProcessedSeq)
    // Check-ins the server says it committed, with the hash of the row it stored: this phone's hash of what it
    // sent, to verify them now instead of pulling them back.
    const sentHashes = new Map<number, string>()
    for (const e of done)
      if ((e.name === 'checkin.create' || e.name === 'inspection.create') && bySeq.get(e.wireSeq)?.hash)
        sentHashes.set(e.wireSeq, await recordHash(e.args))
    await this.storage.acknowledge(done, (stillQueued) => {
      const writes: Acknowledged = { checkIns: [], newCheckIns: [], notes: [], inspections: [] }
      const noteUpdates: NoteWrite[] = []
      const verifiedVersions = new Set<number>()
      for (const entry of done) {
        const result = bySeq.get(entry.wireSeq)
        if (!result) continue // answered by an earlier push whose answer was lost: its state is already set
        const state = stillQueued.has(entry.recordId) && result.status === 'applied' ? 'waiting' : stateFor(result)
        const sent = sentHashes.get(entry.wireSeq)
        let verification: Partial<Pick<LocalCheckIn, 'state' | 'serverVersion' | 'code' | 'detail' | 'reason'>> = {}
        if (state === 'sent' && sent !== undefined && result.version !== undefined) {
          if (sent === result.hash) verifiedVersions.add(result.version)
          verification =
            sent === result.hash
              ? { state: 'verified', serverVersion: result.version }
              : mismatch({ hash: result.hash ?? null, version: result.version })
        }
        const changes = {
          state,
          reason: result.reason,
          code: result.code,
          detail: result.detail,
          ...signingChanges(result),
          ...verification,
        }
        if (entry.name === 'checkin.create') writes.checkIns.push({ key: entry.recordId, changes })
        else if (entry.name === 'inspection.create') writes.inspections!.push({ key: entry.recordId, changes })
        else noteUpdates.push({ id: entry.recordId, changes })
        if (result.keptAs && entry.name === 'note.put') {
          // The server kept this edit as a note of its own, beside the one changed first; show it at once.
          const note = (entry as OutboxEntry<'note.put'>).args.note
          writes.notes.push({
            put: {
              id: result.keptAs,
              taskNumber: note.taskNumber,
              data: { ...note, id: result.keptAs, conflictOf: note.id },
              hash: '',
              state: 'conflict',
              reason: result.reason,
              code: result.code,
              serverVersion: null,
              deleted: 0,
              origin: 'mine',
              savedAt: this.now(),
            },
          })
        }
      }
      // One note may have several entries in a batch: the last word counts, so update in order.
      writes.notes.push(...noteUpdates)
      // Every version the push committed is a check-in verified just now: nothing in them to pull back.
      const v = res.versions
      if (v && v.to - v.from + 1 === verifiedVersions.size) {
        let all = true
        for (let n = v.from; n <= v.to && all; n++) all = verifiedVersions.has(n)
        if (all) writes.pulledThrough = v
      }
      return writes
    })
  }

  private async pullAll(): Promise<number> {
    let total = 0
    for (;;) {
      const { pullCursor, clientId } = await this.storage.syncMeta()
      // The check-ins this phone would let go of right after (src/db/retention.ts, by its clock) are not sent.
      const keepFrom = retentionCutoff(this.now())
      const page = await this.transport.pull(pullCursor, this.pullPage, { keepFrom, clientId })
      total += page.changes.length
      const cursor = await this.applyChanges(page.changes, page.cursor)
      if (!page.more || cursor === pullCursor) return total
    }
  }

  /** Writes a page of changes and the new cursor in one transaction. */
  private async applyChanges(changes: Change[], pageCursor: number): Promise<number> {
    const ids = { checkIns: [] as string[], notes: [] as string[], inspections: [] as string[] }
    for (const c of changes) {
      if (c.kind === 'checkin') ids.checkIns.push(c.id)
      else if (c.kind === 'note') ids.notes.push(c.id)
      else if (c.kind === 'inspection') ids.inspections.push(c.id)
    }
    return this.storage.applyPulled(ids, (local) => this.pulledWrites(changes, pageCursor, local))
  }

  /** What a pulled page changes on this phone, and the cursor to read from next. */
  private pulledWrites(
    changes: Change[],
    pageCursor: number,
    local: LocalRecords,
  ): RecordWrites & { pullCursor: number } {
    let cursor = pageCursor
    const writes: RecordWrites = { checkIns: [], newCheckIns: [], notes: [], ...this.pulledInspections(changes, local) }
    for (const change of changes) {
      if (change.kind !== 'checkin') continue
      const mine = local.checkIns.get(change.id)
      const data = change.data as CheckIn | null
      if (mine) {
        if (mine.hash === change.hash) {
          const cleared = mine.state === 'mismatch' ? { reason: undefined, code: undefined, detail: undefined } : {}
          writes.checkIns.push({
            key: change.id,
            changes: { state: 'verified', serverVersion: change.version, ...cleared },
          })
        } else if (mine.origin === 'mine' && SERVER_HAS_IT.has(mine.state)) {
          // Check-ins never change on the server: another copy there is something to see, never to overwrite.
          writes.checkIns.push({ key: change.id, changes: mismatch(change) })
        }
      } else if (data) {
        writes.newCheckIns.push({
          id: change.id,
          data,
          taskNumbers: data.taskNumbers,
          hash: change.hash ?? '',
          state: 'verified',
          serverVersion: change.version,
          origin: 'server',
          savedAt: this.now(),
        })
      }
    }
    // Notes are written one after another, so each change sees what the ones before it in the page wrote.
    const notes = new Map(local.notes)
    for (const change of changes) {
      if (change.kind !== 'note') continue
      const mine = notes.get(change.id)
      if (mine && local.queued.has(change.id)) {
        // An edit of this note is still queued; read this change again once it has been pushed.
        cursor = Math.min(cursor, change.version - 1)
        continue
      }
      if (change.deleted) {
        if (mine) {
          const deleted = {
            deleted: 1,
            state: 'verified',
            serverVersion: change.version,
            reason: undefined,
            code: undefined,
          } satisfies Partial<LocalNote>
          writes.notes.push({ id: change.id, changes: deleted })
          notes.set(change.id, { ...mine, ...deleted })
        }
        continue
      }
      const data = change.data as FieldNote & { conflictOf?: string | null }
      const record: LocalNote = {
        id: change.id,
        taskNumber: data.taskNumber,
        data,
        hash: change.hash ?? '',
        state: 'verified',
        serverVersion: change.version,
        deleted: 0,
        origin: mine?.origin ?? 'server',
        savedAt: mine?.savedAt ?? this.now(),
        ...(data.conflictOf ? { reason: mine?.reason, code: mine?.code } : {}),
        // The server's copy of this phone's note: its signature is still the note's.
        ...(mine && mine.hash === change.hash ? signingOf(mine) : {}),
      }
      writes.notes.push({ put: record })
      notes.set(change.id, record)
    }
    return { ...writes, pullCursor: cursor }
  }

  /**
   * Inspection records and reviews of a pulled page. A signed inspection record never changes: one of this
   * phone's that comes back with its hash is verified, with another hash it is a mismatch to show; one made
   * elsewhere is kept as the server's. Reviews are the server's own, kept as they come.
   */
  private pulledInspections(
    changes: Change[],
    local: LocalRecords,
  ): Required<Pick<RecordWrites, 'inspections' | 'newInspections' | 'reviews'>> {
    const out = {
      inspections: [] as { key: string; changes: Partial<LocalInspection> }[],
      newInspections: [] as LocalInspection[],
      reviews: [] as LocalReview[],
    }
    for (const change of changes) {
      if (change.kind === 'review' && change.data && !change.deleted) {
        const r = change.data as Review
        out.reviews.push({
          id: r.id,
          checkInId: r.checkInId,
          action: r.action,
          comment: r.comment,
          reviewerName: r.reviewerName,
          at: r.at,
        })
      }
      if (change.kind !== 'inspection') continue
      const mine = local.inspections?.get(change.id)
      const data = change.data as Inspection | null
      if (mine && mine.state !== 'draft') {
        if (mine.hash === change.hash) {
          const cleared = mine.state === 'mismatch' ? { reason: undefined, code: undefined, detail: undefined } : {}
          out.inspections.push({
            key: change.id,
            changes: { state: 'verified', serverVersion: change.version, ...cleared },
          })
        } else if (mine.origin === 'mine' && SERVER_HAS_IT.has(mine.state)) {
          out.inspections.push({ key: change.id, changes: mismatch(change) })
        }
      } else if (!mine && data) {
        out.newInspections.push({
          id: change.id,
          checkInId: data.checkInId,
          data,
          hash: change.hash ?? '',
          state: 'verified',
          serverVersion: change.version,
          origin: 'server',
          savedAt: this.now(),
        })
      }
    }
    return out
  }
}
