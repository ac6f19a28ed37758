import type { Campaign } from '@/kernel/campaign-schema'
import type { SessionUser } from '@/kernel/users'
import { Dexie, type Table } from 'dexie'
import type { Department, DocumentInfo, Section, Task } from '@/kernel/dataset'
import type { CheckIn, FieldNote, MutationArgs, MutationName, PhotoRef, ReasonCode } from '@/kernel/sync-schema'

/** The one row that says which dataset the tables hold. */
export interface DatasetMeta {
  key: 'dataset'
  version: string
  document: DocumentInfo
  importedAt: number
}

export interface Bookmark {
  taskNumber: number
  createdAt: number
}

/**
 * Where a record is on its way to the server, as the inspector sees it:
 * waiting (only on this phone), sent (the server acknowledged it), verified (the server's copy came back
 * with the same hash, photos checked), rejected (the server can never accept it: see reason),
 * conflict (someone changed the note first; this edit was kept beside it).
 */
export type RecordState = 'waiting' | 'sent' | 'verified' | 'rejected' | 'conflict'

export interface LocalCheckIn {
  id: string
  data: CheckIn
  taskNumbers: number[]
  hash: string
  state: RecordState
  reason?: string
  code?: ReasonCode
  detail?: string
  serverVersion?: number
  /** Made on this phone, or pulled from the server. */
  origin: 'mine' | 'server'
  savedAt: number
}

export interface LocalNote {
  id: string
  taskNumber: number
  data: FieldNote & { conflictOf?: string | null }
  hash: string
  state: RecordState
  reason?: string
  code?: ReasonCode
  detail?: string
  /** The server version this phone last saw; the base of its next edit. */
  serverVersion: number | null
  deleted: 0 | 1
  origin: 'mine' | 'server'
  savedAt: number
}

export interface OutboxEntry<N extends MutationName = MutationName> {
  /** The local key, in the order entries were queued (IndexedDB's key generator never hands one out twice). */
  seq?: number
  /**
   * The sequence number the server sees: 1, 2, 3… for each client id with no gaps, so a phone that
   * changes hands (and so client id) starts again at 1. Handed out from SyncMeta.nextSeq.
   */
  wireSeq: number
  name: N
  args: MutationArgs[N]
  recordId: string
  queuedAt: number
}

export interface LocalPhoto extends PhotoRef {
  bytes: ArrayBuffer
  /** verified: the server has every byte and checked the hash. */
  state: 'local' | 'verified'
  savedAt: number
}

export interface Draft {
  key: string
  data: unknown
  savedAt: number
}

/** Who is signed in on this phone. The session token itself is an HttpOnly cookie no script can read. */
export interface SessionRow {
  key: 'me'
  user: SessionUser
  expiresAt: string
  /** The server said the session is over; records stay, sync waits for a new sign-in. */
  expired?: boolean
}

export interface SyncMeta {
  key: 'sync'
  clientId: string
  /** The user this phone's client id and sequence numbers belong to. */
  userId?: string
  /** The next wire sequence number of this client id. */
  nextSeq: number
  /** The name of the user, to say whose records are parked when someone else signs in. */
  userName?: string
  /** Outbox entries up to this local key are in an export file the inspector saved. */
  exportedThroughSeq?: number
  exportedAt?: number
  pullCursor: number
  lastSyncAt?: number
  lastError?: string
}

/** A signed-out user's unsent records, exported and set aside while someone else uses the phone. */
export interface ParkedRecords {
  userId: string
  displayName: string
  clientId: string
  nextSeq: number
  outbox: Omit<OutboxEntry, 'seq'>[]
  checkins: LocalCheckIn[]
  notes: LocalNote[]
  photos: LocalPhoto[]
  parkedAt: number
}

export class ZhixunDB extends Dexie {
  meta!: Table<DatasetMeta, string>
  sections!: Table<Section, number>
  tasks!: Table<Task, number>
  departments!: Table<Department, string>
  bookmarks!: Table<Bookmark, number>
  checkins!: Table<LocalCheckIn, string>
  notes!: Table<LocalNote, string>
  outbox!: Table<OutboxEntry, number>
  photos!: Table<LocalPhoto, string>
  drafts!: Table<Draft, string>
  syncMeta!: Table<SyncMeta, string>
  session!: Table<SessionRow, string>
  campaigns!: Table<Campaign, string>
  parked!: Table<ParkedRecords, string>

  constructor(name = 'zhixun') {
    // 'strict' makes Chromium flush to disk before a write reports success: a phone may die right after.
    super(name, { chromeTransactionDurability: 'strict' })
    this.version(1).stores({
      meta: 'key',
      sections: 'id',
      tasks: 'number, sectionId',
      departments: 'name',
      bookmarks: 'taskNumber, createdAt',
    })
    this.version(2).stores({
      checkins: 'id, savedAt, state, *taskNumbers',
      notes: 'id, taskNumber, state, savedAt',
      outbox: '++seq, recordId',
      photos: 'sha256, state',
      drafts: 'key',
      syncMeta: 'key',
    })
    this.version(3).stores({ session: 'key' })
    // The signed-in user's campaigns, as the server last listed them: picked offline when checking in.
    this.version(4).stores({ campaigns: 'id, startDate' })
    // Wire sequence numbers per client id. Until now they were the outbox keys, so existing entries keep
    // theirs, and the next one is the key generator's next value (found by taking one and giving it back).
    this.version(5)
      .stores({})
      .upgrade(async (tx) => {
        const outbox = tx.table('outbox')
        await outbox.toCollection().modify((e: OutboxEntry) => {
          e.wireSeq = e.seq!
        })
        const probe = (await outbox.add({ probe: true })) as number
        await outbox.delete(probe)
        await tx
          .table('syncMeta')
          .toCollection()
          .modify((m: SyncMeta) => {
            m.nextSeq = probe
          })
      })
    this.version(6).stores({ parked: 'userId' })
    // A check-in's page lists the corrections of it; without the index that read every check-in there is.
    this.version(7).stores({ checkins: 'id, savedAt, state, *taskNumbers, data.correctionOf' })
  }
}

export const db = new ZhixunDB()
