import type { Campaign } from '@/kernel/campaign-schema'
import type { SessionUser } from '@/kernel/users'
import { Dexie, type Table } from 'dexie'
import type { Department, DocumentInfo, Section, Task } from '@/kernel/dataset'
import type { PublicKeyJwk, RecordSignature, SignatureStatus } from '@/kernel/signature'
import type {
  CheckIn,
  FieldNote,
  Inspection,
  MutationArgs,
  MutationName,
  Outcome,
  PhotoRef,
  ReasonCode,
} from '@/kernel/sync-schema'

/** The one row that says which dataset the tables hold. */
export interface DatasetMeta {
  key: 'dataset'
  version: string
  document: DocumentInfo
  importedAt: number
  /** When the server last confirmed (or replaced) this dataset; absent until a check worked. */
  checkedAt?: number
  /** The dataset's reading table, for pinyin search (absent from datasets stored before it). */
  readings?: string
}

export interface Bookmark {
  taskNumber: number
  createdAt: number
}

/**
 * Where a record is on its way to the server, as the inspector sees it:
 * waiting (only on this phone), sent (the server acknowledged it), verified (the server's copy came back
 * with the same hash, photos checked), rejected (the server can never accept it: see reason),
 * conflict (someone changed the note first; this edit was kept beside it), mismatch (the server's copy of a
 * check-in came back with another hash than this phone's: see detail, the server's hash).
 */
export type RecordState = 'waiting' | 'sent' | 'verified' | 'rejected' | 'conflict' | 'mismatch'

/** Why a record is where it is: the server's reason codes, and the phone's own finding of a mismatch. */
export type RecordCode = ReasonCode | 'mismatch'

/**
 * What is known of a record's signature beside the signature itself (kept with the record and its outbox
 * entry; none on records saved before phones signed, which show as unsigned).
 */
export interface RecordSigning {
  signature?: RecordSignature
  /** Taken in from a file, offline, under a key the server has not yet said is the inspector's. */
  keyUnconfirmed?: true
  /** What the server found of the signature when it took the record. */
  serverSignature?: SignatureStatus
}

export interface LocalCheckIn extends RecordSigning {
  id: string
  data: CheckIn
  taskNumbers: number[]
  hash: string
  state: RecordState
  reason?: string
  code?: RecordCode
  detail?: string
  serverVersion?: number
  /** Made on this phone, or pulled from the server. */
  origin: 'mine' | 'server'
  savedAt: number
  /**
   * [author, task, savedAt] for each task the check-in names: the index that lists and counts an author's
   * check-ins of a task a page at a time. The database writes it on every add and put (see ZhixunDB).
   */
  authorTasks?: AuthorTaskKey[]
}

export type AuthorTaskKey = [authorId: string, taskNumber: number, savedAt: number]

/** The keys a check-in is indexed under by author and task, from what it is. */
export function authorTasksOf(c: Pick<LocalCheckIn, 'data' | 'taskNumbers' | 'savedAt'>): AuthorTaskKey[] {
  return c.taskNumbers.map((n) => [c.data.authorId, n, c.savedAt])
}

export interface LocalNote extends RecordSigning {
  id: string
  taskNumber: number
  data: FieldNote & { conflictOf?: string | null }
  hash: string
  state: RecordState
  reason?: string
  code?: RecordCode
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
  /** The record's signature, sent with it; none on entries queued before phones signed. */
  signature?: RecordSignature
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
  /**
   * This client id's record chain (tamper evidence, src/kernel/sync-schema.ts ChainLink): the sequence number
   * of the last record it made, and that record's hash. Absent before its first chained record.
   */
  chainSeq?: number
  chainHead?: string
  lastSyncAt?: number
  lastError?: string
  /** When the campaign list (the campaigns table) last came down from the server. */
  campaignsUpdatedAt?: number
}

/**
 * A signing key: this phone's own (one per client id, with its private key, which cannot be exported), or
 * another phone's public key that came with an imported file.
 */
export interface SigningKeyRow {
  keyId: string
  clientId: string
  userId: string
  publicKey: PublicKeyJwk
  /** Only this phone's own keys have one; non-extractable, so no script can copy it off the phone. */
  privateKey?: CryptoKey
  /** When the server took this key as the user's (own keys: registered; others: confirmed on import). */
  confirmedAt?: number
  createdAt: number
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
  /** Their signed inspection records (absent from rows parked before them). */
  inspections?: LocalInspection[]
  /** Their client id's record chain, so it goes on where it stopped (absent before chains). */
  chainSeq?: number
  chainHead?: string
}

/** One earlier inspection of a party, as a phone may know it offline: when, by which department, with what outcome. */
export interface PartyVisit {
  date: string
  department: string
  outcome: Outcome
}

/**
 * A party of the register as this phone holds it: pulled with the inspector's campaigns and department, or
 * created here offline (`state: 'waiting'` until the server takes it, merged by credit code).
 */
export interface LocalParty {
  id: string
  name: string
  creditCode: string | null
  address: string
  personPresent: string
  personRole: string
  phone: string
  department: string
  /** Pinyin initials of the name, lower case, as the server computed them; '' for a party made here offline. */
  initials: string
  /** Earlier inspections, newest first (date, department and outcome only). */
  visits: PartyVisit[]
  state: 'waiting' | 'synced' | 'rejected'
  reason?: string
  savedAt: number
  /** Made here: the campaign to file it under on the server too (src/db/parties.ts). */
  campaignId?: string
  /**
   * Made here, then merged on the server into the party that already had its credit code: that party's id.
   * Kept so check-ins that named this id still find the party.
   */
  mergedInto?: string
}

/** A colleague an inspector may pick as co-inspector offline: from their department and campaigns. */
export interface Colleague {
  userId: string
  name: string
  department: string
  certificateNumber: string | null
  certificateExpiry: string | null
}

/**
 * An on-site inspection record (现场检查笔录) on this phone: a draft until signed (`draft` holds the form as
 * typed), then the signed record, locked, queued like any other (`data`, `hash`, `state`).
 */
export interface LocalInspection extends RecordSigning {
  id: string
  checkInId: string
  /** The form as typed while it is a draft; dropped once signed. */
  draft?: unknown
  data?: Inspection
  hash?: string
  state: RecordState | 'draft'
  reason?: string
  code?: RecordCode
  detail?: string
  serverVersion?: number
  origin: 'mine' | 'server'
  savedAt: number
}

/** A supervisor's review of a check-in, as pulled: reviewed, or returned to the inspector with a comment. */
export interface LocalReview {
  id: string
  checkInId: string
  action: 'reviewed' | 'returned'
  comment: string
  reviewerName: string
  at: string
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
  signingKeys!: Table<SigningKeyRow, string>
  parties!: Table<LocalParty, string>
  colleagues!: Table<Colleague, string>
  inspections!: Table<LocalInspection, string>
  reviews!: Table<LocalReview, string>

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
    // Signing keys (src/db/signingKeys.ts). Records and outbox entries are left as they are: those saved
    // before have no signature and go to the server unsigned.
    this.version(8).stores({ signingKeys: 'keyId, clientId' })
    // "My records" lists and counts the signed-in inspector's own check-ins, made here or on another phone,
    // newest first and a page at a time, by index: by author and time, and by author, task and time. The
    // outbox by mutation and record: how many records are unsent is counted, not read, on every save.
    this.version(9)
      .stores({
        checkins: 'id, savedAt, state, *taskNumbers, data.correctionOf, [data.authorId+savedAt], *authorTasks',
        outbox: '++seq, recordId, [name+recordId]',
      })
      .upgrade(async (tx) => {
        await tx
          .table('checkins')
          .toCollection()
          .modify((c: LocalCheckIn) => {
            c.authorTasks = authorTasksOf(c)
          })
      })
    // Issue 11: the party register, colleagues to pick as co-inspectors, on-site inspection records and reviews.
    this.version(10).stores({
      parties: 'id, creditCode, name, initials, savedAt',
      colleagues: 'userId',
      inspections: 'id, checkInId, savedAt, state',
      reviews: 'id, checkInId',
    })
    // Every check-in written, by whatever code, carries its authorTasks keys, so the index never goes stale.
    this.use({
      stack: 'dbcore',
      name: 'checkinAuthorTasks',
      create: (down) => ({
        ...down,
        table: (name) => {
          const table = down.table(name)
          if (name !== 'checkins') return table
          return {
            ...table,
            mutate: (req) =>
              table.mutate(
                req.type === 'add' || req.type === 'put'
                  ? { ...req, values: req.values.map((c: LocalCheckIn) => ({ ...c, authorTasks: authorTasksOf(c) })) }
                  : req,
              ),
          }
        },
      }),
    })
  }
}

export const db = new ZhixunDB()
