/**
 * Applying a push's new mutations to an in-memory picture of what it will write. Nothing here writes: the
 * push writes the picture in a few statements once every mutation has been applied.
 */
import type { Kysely } from 'kysely'
import { canonicalJson } from '../../src/kernel/canonical'
import { recordHash, sha256Hex } from './hash'
import {
  isMutationName,
  parseArgs,
  type CheckIn,
  type FieldNote,
  type Inspection,
  type MutationResult,
  WORK_PLANS,
} from '../../src/kernel/sync-schema'
import { guangdongDay } from '../../src/kernel/guangdong-time'
import { regionOf } from '../../src/kernel/regions'
import { uuidv7 } from '../../src/kernel/uuid'
import type { SessionUser } from '../../src/kernel/users'
import { nowIso, type Database, type MutationsTable, type RecordPhotosTable, type RecordsTable } from '../db/database'
import { ApiRefusal } from '../http/errors'
import { Certificates } from './certified'
import { ChainBook, chainClaimOf, type LinkClaim } from './chain'
import { mutationRow, resultOf, type HashedMutation, type MutationOutcome } from './push-batch'
import { UNSIGNED, type RecordSigning } from './signatures'

/** The columns of a record row that only some records have; a row written without them has none. */
type RecordExtras =
  | 'party_id'
  | 'chain_client'
  | 'chain_seq'
  | 'chain_status'
  | 'clock_skew_ms'
  | 'certified_count'
  | 'two_certified'
  | 'check_in_id'

/**
 * A record row as a mutation writes it: its signing and the push's clock difference are the push's to add;
 * the chain columns are filled once the mutation has been applied (server/sync/chain.ts).
 */
export type RecordRow = Omit<RecordsTable, keyof RecordSigning | RecordExtras> &
  Partial<Pick<RecordsTable, Exclude<RecordExtras, 'clock_skew_ms'>>>

/** Where a push starts from: the version counter and the client's last processed sequence number. */
export interface PushStart {
  version: number
  lastSeq: number
}

/** What one push writes, gathered first and written together, so a large batch costs few statements. */
export class PushWork {
  readonly records = new Map<string, RecordsTable>()
  readonly mutations: MutationsTable[] = []
  /** Which new check-ins refer to which photos (record_photos). */
  readonly recordPhotos: RecordPhotosTable[] = []
  private readonly photosChecked = new Set<string>()
  private readonly photosOwned = new Set<string>()
  private readonly stored = new Map<string, RecordsTable | undefined>()
  private version: number
  private seq: number
  /** What each mutation's signature was found to be, by sequence number (server/sync/signatures.ts). */
  signings: ReadonlyMap<number, RecordSigning> = new Map()
  /** The signing of the mutation being applied: every record it writes carries it. */
  private signing: RecordSigning = UNSIGNED
  private wrote = false
  /** The ids of the records the mutation being applied wrote (not tombstones). */
  private written: string[] = []
  /** The chain link each fresh mutation's record claims, by sequence number. */
  private readonly chainClaims = new Map<number, LinkClaim>()
  readonly chain: ChainBook
  readonly certificates: Certificates

  constructor(
    private readonly db: Kysely<Database>,
    readonly clientId: string,
    readonly user: SessionUser,
    readonly start: PushStart,
    /** The phone's clock minus the server's when the push arrived (ms); null when it sent no time. */
    readonly clockSkewMs: number | null = null,
  ) {
    this.version = start.version
    this.seq = start.lastSeq
    this.chain = new ChainBook(db, user, clientId)
    this.certificates = new Certificates(db)
  }

  /** Reads the chain links the fresh mutations claim, valid or not, and the stored links around them. */
  async prepareChains(fresh: readonly HashedMutation[]): Promise<void> {
    for (const m of fresh) {
      const claim = await chainClaimOf(m)
      if (claim) this.chainClaims.set(m.seq, claim)
    }
    await this.chain.prefetch([...this.chainClaims.values()])
  }

  /**
   * Adds the chain link mutation `seq`'s record claims, whatever became of the mutation, and writes what was
   * found on the records it wrote. A record without a chain is 'unchained', as every record of older phones.
   */
  settleChain(seq: number): void {
    const claim = this.chainClaims.get(seq)
    if (!claim) return
    const status = this.chain.add(claim)
    for (const id of this.written) {
      const row = this.records.get(id)
      if (row) Object.assign(row, { chain_client: claim.clientId, chain_seq: claim.seq, chain_status: status })
    }
  }

  /**
   * Settled links of records stored before this push, to write once its records are: a filled gap moves the
   * record waiting after it to linked or broken. Those this push wrote are settled in place.
   */
  takeStoredReevaluations(): { recordId: string; clientId: string; seq: number; status: string }[] {
    const out = []
    for (const r of this.chain.reevaluated) {
      const row = this.records.get(r.recordId)
      if (row && row.chain_client === r.clientId && row.chain_seq === r.seq) row.chain_status = r.status
      else out.push(r)
    }
    return out
  }

  nextVersion(): number {
    return ++this.version
  }

  get lastVersion(): number {
    return this.version
  }

  get lastSeq(): number {
    return this.seq
  }

  /** Reads, in one query, the stored rows of every record a push names, so applying it needs no more. */
  async prefetch(ids: string[]): Promise<void> {
    const wanted = [...new Set(ids)].filter((id) => !this.stored.has(id))
    for (let i = 0; i < wanted.length; i += 500) {
      const slice = wanted.slice(i, i + 500)
      const rows = await this.db.selectFrom('records').selectAll().where('id', 'in', slice).execute()
      for (const id of slice) this.stored.set(id, undefined)
      for (const row of rows) this.stored.set(row.id, row)
    }
  }

  /** The record as this push has left it so far, or as stored. */
  async record(id: string): Promise<RecordsTable | undefined> {
    const mine = this.records.get(id)
    if (mine) return mine
    if (!this.stored.has(id)) await this.prefetch([id])
    return this.stored.get(id)
  }

  put(written: RecordRow & { superseded?: number }): void {
    // Not what a push writes: the database keeps it (migration 0017). A row written back from its stored form
    // (a note deleted) would carry it, and in a batch with new rows SQLite's multi-row insert gives those NULL.
    const row: RecordRow = { ...written }
    delete (row as { superseded?: number }).superseded
    this.records.set(row.id, {
      party_id: null,
      chain_client: null,
      chain_seq: null,
      chain_status: 'unchained',
      certified_count: null,
      two_certified: null,
      check_in_id: null,
      ...row,
      clock_skew_ms: this.clockSkewMs,
      ...(row.deleted ? { signature_status: null, signature: null } : this.signing),
    })
    this.wrote = true
    if (!row.deleted) this.written.push(row.id)
  }

  /** Starts applying mutation `seq`: the records it writes carry what was found of its signature. */
  beginMutation(seq: number): void {
    this.signing = this.signings.get(seq) ?? UNSIGNED
    this.wrote = false
    this.written = []
  }

  /** The signature status of the record the mutation just applied wrote, when it wrote one that is not a tombstone. */
  get signatureWritten(): MutationResult['signature'] {
    return this.wrote ? ((this.signing.signature_status ?? undefined) as MutationResult['signature']) : undefined
  }

  /** Reads, in one query per 500, which of the photos a push names this user owns (uploaded every byte of). */
  async prefetchPhotos(sha256s: readonly string[]): Promise<void> {
    const wanted = [...new Set(sha256s)].filter((sha) => !this.photosChecked.has(sha))
    for (let i = 0; i < wanted.length; i += 500) {
      const slice = wanted.slice(i, i + 500)
      const owned = await this.db
        .selectFrom('photo_owners')
        .innerJoin('photos', 'photos.sha256', 'photo_owners.sha256')
        .select('photo_owners.sha256')
        .where('photo_owners.user_id', '=', this.user.id)
        .where('photo_owners.sha256', 'in', slice)
        .execute()
      for (const sha of slice) this.photosChecked.add(sha)
      for (const o of owned) this.photosOwned.add(o.sha256)
    }
  }

  /**
   * The photos of `sha256s` this user has not uploaded (yet): whether or not someone else stored the same
   * bytes, which is not this user's to learn.
   */
  async missingPhotos(sha256s: readonly string[]): Promise<string[]> {
    await this.prefetchPhotos(sha256s)
    return [...new Set(sha256s)].filter((sha) => !this.photosOwned.has(sha))
  }

  /** Notes that record `recordId` refers to these photos (or drawn signatures): who may read it may see them. */
  linkPhotos(recordId: string, sha256s: readonly string[]): void {
    for (const sha256 of new Set(sha256s)) this.recordPhotos.push({ sha256, record_id: recordId })
  }

  /**
   * Keeps what became of a mutation, and moves the client's sequence on past it. The answer is read back from
   * the row kept, so the phone is told now exactly what a replay would tell it.
   */
  settle(m: HashedMutation, outcome: MutationOutcome): MutationResult {
    const row = mutationRow(this.clientId, m, outcome, nowIso())
    this.mutations.push(row)
    this.seq = m.seq
    return resultOf(row)
  }
}

/** A record's data as stored: canonical JSON, and its hash (the phone's `recordHash` of the same value). */
async function storedForm(value: unknown): Promise<{ data: string; hash: string }> {
  const data = canonicalJson(value)
  return { data, hash: await sha256Hex(data) }
}

const ID_TAKEN: MutationOutcome = {
  status: 'rejected',
  code: 'id_taken',
  reason: 'this record id is already used by another record',
}
const unknownTask = (n: number): MutationOutcome => ({
  status: 'rejected',
  code: 'unknown_task',
  detail: String(n),
  reason: `unknown task ${n}`,
})

/** How a refusal names a record of each kind that may be corrected. */
const CORRECTED: Record<'checkin' | 'inspection', string> = {
  checkin: 'a check-in',
  inspection: 'an inspection record',
}

/**
 * Why a record may not correct what it names: only its author's own record of the same kind. One the server
 * does not have (its original was rejected, or is not sent yet) hides nothing, and reports check authors again
 * when they read.
 */
async function correctionRefusal(
  work: PushWork,
  kind: 'checkin' | 'inspection',
  record: { id: string; correctionOf: string | null },
): Promise<MutationOutcome | undefined> {
  if (record.correctionOf === null) return undefined
  if (record.correctionOf === record.id)
    return {
      status: 'rejected',
      code: 'invalid',
      detail: 'correctionOf',
      reason: `${CORRECTED[kind]} cannot correct itself`,
    }
  const original = await work.record(record.correctionOf)
  if (!original || (original.kind === kind && original.author_id === work.user.id)) return undefined
  return {
    status: 'rejected',
    code: 'not_yours',
    detail: 'correctionOf',
    reason: `a correction may only name ${CORRECTED[kind]} of its own author`,
  }
}

/**
 * Refuses the push (409 photo_missing, with the hashes) while any of these images is not the pusher's own upload,
 * whoever else stored the same bytes: the phone uploads it (every byte, as it would a new one) and sends the
 * record again. Nothing says whether it exists.
 */
async function requireOwnUploads(work: PushWork, sha256s: readonly string[], message: string): Promise<void> {
  if (sha256s.length === 0) return
  const missing = await work.missingPhotos(sha256s)
  if (missing.length > 0) throw new ApiRefusal(409, 'photo_missing', message, { missing })
}

async function applyCheckIn(
  work: PushWork,
  taskNumbers: ReadonlySet<number>,
  checkIn: CheckIn,
): Promise<MutationOutcome> {
  if (checkIn.planId !== undefined && !(WORK_PLANS as readonly string[]).includes(checkIn.planId)) {
    const plan = checkIn.planId.slice(0, 64)
    return { status: 'rejected', code: 'unknown_plan', detail: plan, reason: `unknown work plan ${plan}` }
  }
  const unknown = checkIn.taskNumbers.find((n) => !taskNumbers.has(n))
  if (unknown !== undefined) return unknownTask(unknown)
  const { data, hash } = await storedForm(checkIn)
  const existing = await work.record(checkIn.id)
  if (existing) {
    return existing.hash === hash && existing.kind === 'checkin' && existing.author_id === work.user.id
      ? { status: 'applied' }
      : ID_TAKEN
  }
  const refusal = await correctionRefusal(work, 'checkin', checkIn)
  if (refusal) return refusal
  await requireOwnUploads(
    work,
    checkIn.photos.map((p) => p.sha256),
    'Upload the photos before the record that refers to them',
  )
  work.linkPhotos(
    checkIn.id,
    checkIn.photos.map((p) => p.sha256),
  )
  // The author leads; the co-inspectors the phone names are judged by the server's accounts, not by their names.
  const certified = await work.certificates.judge(
    [work.user.id, ...(checkIn.coInspectors ?? []).map((c) => c.userId)],
    checkIn.occurredAt,
    checkIn.campaignId,
  )
  const at = nowIso()
  work.put({
    id: checkIn.id,
    kind: 'checkin',
    version: work.nextVersion(),
    client_id: work.clientId,
    task_number: checkIn.taskNumbers[0] ?? null,
    data,
    hash,
    deleted: 0,
    conflict_of: null,
    author_id: work.user.id,
    department: work.user.department,
    region: regionOf(work.user),
    campaign_id: checkIn.campaignId,
    created_at: at,
    updated_at: at,
    party_id: checkIn.partyId ?? null,
    // The rest of what reports read the database takes from `data` (migration 0013); the day is counted here, by
    // the function reports always counted days with, and a check-in is never rewritten.
    occurred_day: guangdongDay(checkIn.occurredAt),
    ...certified,
  })
  return { status: 'applied' }
}

const LOCKED: MutationOutcome = {
  status: 'rejected',
  code: 'locked',
  reason: 'a signed inspection record cannot be changed; send a correction',
}

/**
 * 现场检查笔录: kept once, exactly as signed. The same record sent again is applied (a retry, an imported
 * export); anything else under its id is refused as `locked`, and a correction is a new record naming it.
 * Its photos and drawn signatures must be the author's uploads, like a check-in's photos.
 */
async function applyInspection(work: PushWork, inspection: Inspection): Promise<MutationOutcome> {
  const { data, hash } = await storedForm(inspection)
  const existing = await work.record(inspection.id)
  if (existing) {
    if (existing.kind !== 'inspection' || existing.author_id !== work.user.id) return ID_TAKEN
    return existing.hash === hash ? { status: 'applied' } : LOCKED
  }
  const refusal = await correctionRefusal(work, 'inspection', inspection)
  if (refusal) return refusal
  // An inspection record goes with its check-in (reports, evidence packages): only with the author's own.
  const checkIn = await work.record(inspection.checkInId)
  if (checkIn && (checkIn.kind !== 'checkin' || checkIn.author_id !== work.user.id)) {
    return {
      status: 'rejected',
      code: 'not_yours',
      detail: 'checkInId',
      reason: 'an inspection record may only be made from a check-in of its own author',
    }
  }
  const images = [...inspection.photos.map((p) => p.sha256), ...inspection.signatures.map((p) => p.sha256)]
  await requireOwnUploads(work, images, 'Upload the photos and signatures before the record that refers to them')
  work.linkPhotos(inspection.id, images)
  const certified = await work.certificates.judge(
    inspection.inspectors.map((i) => i.userId),
    inspection.startedAt,
    inspection.campaignId,
  )
  const at = nowIso()
  work.put({
    id: inspection.id,
    kind: 'inspection',
    version: work.nextVersion(),
    client_id: work.clientId,
    task_number: null,
    data,
    hash,
    deleted: 0,
    conflict_of: null,
    author_id: work.user.id,
    department: work.user.department,
    region: regionOf(work.user),
    campaign_id: inspection.campaignId,
    created_at: at,
    updated_at: at,
    check_in_id: inspection.checkInId,
    ...certified,
  })
  return { status: 'applied' }
}

async function noteRow(
  work: PushWork,
  note: FieldNote,
  conflictOf: string | null,
  createdAt: string,
): Promise<RecordRow> {
  // Only the author writes a note, so the writer is the author.
  return {
    id: note.id,
    kind: 'note',
    version: work.nextVersion(),
    client_id: work.clientId,
    task_number: note.taskNumber,
    ...(await storedForm(conflictOf ? { ...note, conflictOf } : note)),
    deleted: 0,
    conflict_of: conflictOf,
    author_id: work.user.id,
    department: work.user.department,
    region: regionOf(work.user),
    campaign_id: null,
    created_at: createdAt,
    updated_at: nowIso(),
  }
}

async function applyNotePut(
  work: PushWork,
  taskNumbers: ReadonlySet<number>,
  { note, baseVersion }: { note: FieldNote; baseVersion: number | null },
): Promise<MutationOutcome> {
  if (!taskNumbers.has(note.taskNumber)) return unknownTask(note.taskNumber)
  const current = await work.record(note.id)
  if (current && current.kind !== 'note') return ID_TAKEN
  if (current && current.author_id !== work.user.id)
    return { status: 'rejected', code: 'not_yours', reason: 'only its author may change a note' }
  if (!current) {
    work.put(await noteRow(work, note, null, nowIso()))
    return { status: 'applied' }
  }
  // The same note, word for word, sent again (from an imported export, say): nothing to change, no conflict.
  if (current.deleted === 0 && current.conflict_of === null && current.hash === (await recordHash(note)))
    return { status: 'applied' }
  if (current.deleted === 0 && (current.version === baseVersion || current.client_id === work.clientId)) {
    work.put(await noteRow(work, note, current.conflict_of, current.created_at))
    return { status: 'applied' }
  }
  // Changed or deleted on the server since this edit's base: keep the edit beside it, overwrite nothing.
  const keptAs = uuidv7()
  work.put(await noteRow(work, { ...note, id: keptAs }, note.id, nowIso()))
  return current.deleted
    ? { status: 'conflict', code: 'deleted', reason: 'deleted on the server', keptAs }
    : { status: 'conflict', code: 'changed', reason: 'changed on the server', keptAs }
}

async function applyNoteDelete(
  work: PushWork,
  args: { id: string; baseVersion: number | null },
): Promise<MutationOutcome> {
  const current = await work.record(args.id)
  if (!current || current.deleted) return { status: 'applied' }
  if (current.kind !== 'note')
    return { status: 'rejected', code: 'not_a_note', reason: 'only field notes can be deleted' }
  if (current.author_id !== work.user.id)
    return { status: 'rejected', code: 'not_yours', reason: 'only its author may delete a note' }
  if (current.version !== args.baseVersion && current.client_id !== work.clientId) {
    return { status: 'conflict', code: 'changed_not_deleted', reason: 'changed on the server; not deleted' }
  }
  work.put({
    ...current,
    client_id: work.clientId,
    version: work.nextVersion(),
    data: null,
    hash: null,
    deleted: 1,
    updated_at: nowIso(),
  })
  return { status: 'applied' }
}

const invalid = (p: { reason: string; field: string }): MutationOutcome => ({
  status: 'rejected',
  code: 'invalid',
  detail: p.field,
  reason: p.reason,
})

/**
 * What one mutation does to the work: applied, rejected for good (with a reason, so the queue moves on) or
 * kept as a conflict. Only a missing photo, which the phone can still upload, refuses the whole push.
 */
export async function applyMutation(
  work: PushWork,
  taskNumbers: ReadonlySet<number>,
  m: { name: string; args: unknown },
): Promise<MutationOutcome> {
  if (!isMutationName(m.name)) {
    const name = m.name.slice(0, 40)
    return { status: 'rejected', code: 'unknown_mutation', detail: name, reason: `unknown mutation ${name}` }
  }
  switch (m.name) {
    case 'checkin.create': {
      const parsed = parseArgs('checkin.create', m.args)
      return parsed.ok ? applyCheckIn(work, taskNumbers, parsed.value) : invalid(parsed)
    }
    case 'note.put': {
      const parsed = parseArgs('note.put', m.args)
      return parsed.ok ? applyNotePut(work, taskNumbers, parsed.value) : invalid(parsed)
    }
    case 'note.delete': {
      const parsed = parseArgs('note.delete', m.args)
      return parsed.ok ? applyNoteDelete(work, parsed.value) : invalid(parsed)
    }
    case 'inspection.create': {
      const parsed = parseArgs('inspection.create', m.args)
      return parsed.ok ? applyInspection(work, parsed.value) : invalid(parsed)
    }
  }
}

/** Applies the new mutations one after another; each must follow the last processed one, with no gap. */
export async function applyInOrder(
  work: PushWork,
  taskNumbers: ReadonlySet<number>,
  fresh: readonly HashedMutation[],
): Promise<MutationResult[]> {
  const results: MutationResult[] = []
  for (const m of fresh) {
    if (m.seq !== work.lastSeq + 1) {
      throw new ApiRefusal(409, 'seq_gap', `expected sequence number ${work.lastSeq + 1}, got ${m.seq}`, {
        expected: work.lastSeq + 1,
        lastProcessedSeq: work.start.lastSeq,
      })
    }
    work.beginMutation(m.seq)
    const result = work.settle(m, await applyMutation(work, taskNumbers, m))
    // Rejected or applied, the record is a member of its client's chain.
    work.settleChain(m.seq)
    // Said only to phones that sign: a phone from before signatures gets the answer it always got.
    const signature = m.signature === undefined || m.name === 'note.delete' ? undefined : work.signatureWritten
    results.push(signature ? { ...result, signature } : result)
  }
  return results
}
