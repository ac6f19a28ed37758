/**
 * The one schema module for what travels between phone and server. The phone validates a record before
 * saving it; the server validates every payload again and never trusts the phone.
 */
import * as v from 'valibot'
import type { SignatureStatus } from './signature'

export const LIMITS = {
  venueName: 200,
  checkInNote: 5000,
  noteText: 10000,
  taskNumbersPerCheckIn: 20,
  photosPerCheckIn: 10,
  /** After compression on the phone; the server refuses larger uploads before reading them. */
  photoBytes: 3 * 1024 * 1024,
  photoChunkBytes: 256 * 1024,
  mutationsPerPush: 200,
  pushBodyBytes: 2 * 1024 * 1024,
  count: 1_000_000,
  pullPage: 500,
  coInspectors: 5,
  findings: 10000,
  inspectionItems: 50,
  itemUnit: 20,
  signatures: 12,
  refusalReason: 1000,
} as const

export type Limits = typeof LIMITS

export const VENUE_TYPES = ['market', 'trade_fair', 'port', 'online', 'enterprise', 'other'] as const
export const OUTCOMES = ['no_problem', 'suspected', 'case_opened', 'referred'] as const
export const PHOTO_TYPES = ['image/jpeg', 'image/webp', 'image/png'] as const
/**
 * The work plans records may name tasks of, by the plan's document number. Today there is one, and records
 * name its tasks by number alone; a record may name the plan beside its task numbers (`planId`), so next
 * year's plan can sit beside this one without old records being rewritten: a record without one means this plan.
 */
export const WORK_PLANS = ['粤府知办〔2016〕17号'] as const

/** Which button a photo came from: taken with the camera just now, or chosen from the phone's gallery. */
export const PHOTO_SOURCES = ['camera', 'gallery'] as const
export type VenueType = (typeof VENUE_TYPES)[number]
export type Outcome = (typeof OUTCOMES)[number]

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
export const IdSchema = v.pipe(v.string(), v.regex(UUID_RE, 'must be a UUID'))
export const Sha256Schema = v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/, 'must be a SHA-256 in hex'))
const Timestamp = v.pipe(v.string(), v.isoTimestamp())
const Count = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(LIMITS.count))
const TaskNumber = v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(100_000))
const Text = (max: number) => v.pipe(v.string(), v.maxLength(max))
// eslint-disable-next-line no-control-regex
const ONE_LINE = /^[^\u0000-\u001f\u007f]*$/
/** One line of text (a name, a place): trimmed, no control characters. */
const Line = (max: number) =>
  v.pipe(v.string(), v.trim(), v.maxLength(max), v.regex(ONE_LINE, 'must not contain control characters'))

/**
 * Where a record stands in the chain of records its creating client made (tamper evidence): the client's id,
 * the record's sequence number there (1, 2, 3… with no gaps, counted over every record that client made,
 * whatever became of it on the server), and the `recordHash` of that client's previous record (null for
 * its first). Inside the record, so the record's signature covers it. Records from phones before chains
 * have none: they still sync, flagged as unchained.
 */
export const ChainLinkSchema = v.strictObject({
  clientId: v.pipe(v.string(), v.regex(/^[A-Za-z0-9-]{8,64}$/, 'must be 8 to 64 letters, digits or dashes')),
  seq: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(2_147_483_647)),
  prev: v.nullable(v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/, 'must be a SHA-256 in hex'))),
})
export type ChainLink = v.InferOutput<typeof ChainLinkSchema>

/**
 * A person of the inspection as the phone recorded them (a colleague picked offline): the account, the name
 * and certificate number shown then. The server judges certificates from its own accounts, not from this.
 */
export const InspectorRefSchema = v.strictObject({
  userId: IdSchema,
  name: Line(100),
  certificateNumber: v.nullable(Line(40)),
})
export type InspectorRef = v.InferOutput<typeof InspectorRefSchema>

export const PhotoRefSchema = v.strictObject({
  sha256: Sha256Schema,
  size: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(LIMITS.photoBytes)),
  type: v.picklist(PHOTO_TYPES),
  /** Optional: phones before the gallery button sent no source, and their records still sync. */
  source: v.optional(v.picklist(PHOTO_SOURCES)),
})

export const LocationSchema = v.strictObject({
  lat: v.pipe(v.number(), v.minValue(-90), v.maxValue(90)),
  lng: v.pipe(v.number(), v.minValue(-180), v.maxValue(180)),
  accuracy: v.pipe(v.number(), v.minValue(0), v.maxValue(100_000)),
})

export const CheckInSchema = v.strictObject({
  id: IdSchema,
  /** The signed-in inspector who recorded it; the server refuses a push that names anyone else. */
  authorId: IdSchema,
  venueName: v.pipe(v.string(), v.trim(), v.minLength(1, 'venue name is required'), v.maxLength(LIMITS.venueName)),
  venueType: v.picklist(VENUE_TYPES),
  occurredAt: Timestamp,
  location: v.nullable(LocationSchema),
  outcome: v.picklist(OUTCOMES),
  premisesInspected: Count,
  itemsSeized: Count,
  note: Text(LIMITS.checkInNote),
  taskNumbers: v.pipe(
    v.array(TaskNumber),
    v.minLength(1, 'at least one task'),
    v.maxLength(LIMITS.taskNumbersPerCheckIn),
  ),
  /** The work plan whose tasks `taskNumbers` are (WORK_PLANS); absent on every record so far: the 2016 plan. */
  planId: v.optional(Line(64)),
  campaignId: v.nullable(v.pipe(v.string(), v.minLength(1), v.maxLength(64))),
  photos: v.pipe(v.array(PhotoRefSchema), v.maxLength(LIMITS.photosPerCheckIn)),
  /** A correction names the check-in it corrects; both are kept. */
  correctionOf: v.nullable(IdSchema),
  createdAt: Timestamp,
  /** The co-inspectors present (the author is the lead). Absent on records of phones before them. */
  coInspectors: v.optional(v.pipe(v.array(InspectorRefSchema), v.maxLength(LIMITS.coInspectors))),
  /** The inspected party, from the register (src/kernel/party.ts). */
  partyId: v.optional(v.nullable(IdSchema)),
  chain: v.optional(ChainLinkSchema),
})
export type CheckIn = v.InferOutput<typeof CheckInSchema>
export type PhotoRef = v.InferOutput<typeof PhotoRefSchema>
export type PhotoSource = (typeof PHOTO_SOURCES)[number]
export type GeoLocation = v.InferOutput<typeof LocationSchema>

export const FieldNoteSchema = v.strictObject({
  id: IdSchema,
  authorId: IdSchema,
  taskNumber: TaskNumber,
  text: v.pipe(v.string(), v.trim(), v.minLength(1, 'note text is required'), v.maxLength(LIMITS.noteText)),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  chain: v.optional(ChainLinkSchema),
})
export type FieldNote = v.InferOutput<typeof FieldNoteSchema>

/**
 * A note edit names the server version it was made from (null before the phone has seen one), so a change
 * another phone made in between is caught, not overwritten. A phone's own queued edits follow each other.
 */
export const NotePutArgsSchema = v.strictObject({
  note: FieldNoteSchema,
  baseVersion: v.nullable(v.pipe(v.number(), v.integer(), v.minValue(0))),
})
export const NoteDeleteArgsSchema = v.strictObject({
  id: IdSchema,
  baseVersion: v.nullable(v.pipe(v.number(), v.integer(), v.minValue(0))),
})

/** Who signed an on-site inspection record, as a drawn image kept with the record (uploaded like a photo). */
export const SIGNATURE_ROLES = ['inspector', 'party', 'witness'] as const
export const InspectionSignatureSchema = v.strictObject({
  role: v.picklist(SIGNATURE_ROLES),
  /** The signer's name as written beside the signature. */
  name: v.pipe(Line(100), v.minLength(1, 'signer name is required')),
  /** An inspector's account; null for the party and a witness. */
  userId: v.nullable(IdSchema),
  /** The drawn signature, a PNG, by its SHA-256 (its bytes travel as a photo does). */
  sha256: Sha256Schema,
  size: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(LIMITS.photoBytes)),
  type: v.literal('image/png'),
  signedAt: Timestamp,
})
export type InspectionSignature = v.InferOutput<typeof InspectionSignatureSchema>

/** The inspected party as the record names it: a copy of the register's entry at the time, so it never changes. */
export const InspectionPartySchema = v.strictObject({
  id: v.nullable(IdSchema),
  name: v.pipe(Line(200), v.minLength(1, 'party name is required')),
  creditCode: v.nullable(v.pipe(v.string(), v.regex(/^[0-9A-Z]{18}$/, 'must be 18 digits or capitals'))),
  address: Line(300),
  personPresent: Line(100),
  personRole: Line(50),
  phone: Line(40),
})
export type InspectionParty = v.InferOutput<typeof InspectionPartySchema>

/**
 * 现场检查笔录: the on-site inspection record, made from a check-in and signed on the lead inspector's phone.
 * Sent once it is signed, and never changed after: the server refuses a different record under the same id
 * (`locked`); a correction is a new record naming the one it corrects.
 */
export const InspectionSchema = v.strictObject({
  id: IdSchema,
  /** The lead inspector, who made the record on their phone. */
  authorId: IdSchema,
  checkInId: IdSchema,
  campaignId: v.nullable(v.pipe(v.string(), v.minLength(1), v.maxLength(64))),
  startedAt: Timestamp,
  endedAt: Timestamp,
  place: v.pipe(Line(300), v.minLength(1, 'place is required')),
  party: InspectionPartySchema,
  /** The inspectors, the lead first; each showed their certificate. */
  inspectors: v.pipe(v.array(InspectorRefSchema), v.minLength(1), v.maxLength(LIMITS.coInspectors + 1)),
  recorder: InspectorRefSchema,
  findings: Text(LIMITS.findings),
  items: v.pipe(
    v.array(
      v.strictObject({
        name: v.pipe(Line(200), v.minLength(1, 'item name is required')),
        count: Count,
        /**
         * What the count counts (件, 箱, boxes), as typed. Optional: absent when none was given, and on every
         * record of phones before it, which still sync and import as they were.
         */
        unit: v.optional(v.pipe(Line(LIMITS.itemUnit), v.minLength(1, 'an item unit, when given, is not empty'))),
      }),
    ),
    v.maxLength(LIMITS.inspectionItems),
  ),
  photos: v.pipe(v.array(PhotoRefSchema), v.maxLength(LIMITS.photosPerCheckIn)),
  signatures: v.pipe(v.array(InspectionSignatureSchema), v.maxLength(LIMITS.signatures)),
  /** The party would not sign: why, as said; a witness then signs (role 'witness'). */
  refusal: v.nullable(
    v.strictObject({
      reason: v.pipe(v.string(), v.trim(), v.minLength(1, 'reason is required'), v.maxLength(LIMITS.refusalReason)),
      witnessName: v.pipe(Line(100), v.minLength(1, 'witness name is required')),
    }),
  ),
  correctionOf: v.nullable(IdSchema),
  signedAt: Timestamp,
  createdAt: Timestamp,
  chain: v.optional(ChainLinkSchema),
})
export type Inspection = v.InferOutput<typeof InspectionSchema>

export const MUTATION_ARGS = {
  'checkin.create': CheckInSchema,
  'note.put': NotePutArgsSchema,
  'note.delete': NoteDeleteArgsSchema,
  'inspection.create': InspectionSchema,
} as const
export type MutationName = keyof typeof MUTATION_ARGS
export type MutationArgs = {
  'checkin.create': CheckIn
  'note.put': v.InferOutput<typeof NotePutArgsSchema>
  'note.delete': v.InferOutput<typeof NoteDeleteArgsSchema>
  'inspection.create': Inspection
}

/** The push envelope. Each mutation's args are checked on their own, so one bad record never blocks the rest. */
export const PushRequestSchema = v.strictObject({
  clientId: v.pipe(v.string(), v.regex(/^[A-Za-z0-9-]{8,64}$/, 'must be 8 to 64 letters, digits or dashes')),
  /**
   * The phone's clock when it sent the push (optional: phones before it sent none). The server keeps the
   * difference from its own and flags the records of a push more than 5 minutes off.
   */
  clientTime: v.optional(Timestamp),
  mutations: v.pipe(
    v.array(
      v.strictObject({
        seq: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(2_147_483_647)),
        name: v.string(),
        args: v.unknown(),
        /**
         * The phone's signature of the record in args (src/kernel/signature.ts); phones before signatures
         * send none. Read by the server on its own: a bad one flags the record, it never refuses the push.
         */
        signature: v.optional(v.unknown()),
      }),
    ),
    v.maxLength(LIMITS.mutationsPerPush),
  ),
})
export type PushRequest = v.InferOutput<typeof PushRequestSchema>
export type PushMutation = PushRequest['mutations'][number]

export type MutationStatus = 'applied' | 'rejected' | 'conflict'
/** Why a record was refused or kept aside, for the phone to explain in the inspector's language. */
export type ReasonCode =
  | 'invalid'
  | 'unknown_task'
  | 'unknown_mutation'
  | 'id_taken'
  | 'not_a_note'
  | 'changed'
  | 'deleted'
  | 'changed_not_deleted'
  | 'not_yours'
  | 'locked'
  | 'unknown_plan'
export interface MutationResult {
  seq: number
  status: MutationStatus
  code?: ReasonCode
  /** What the code is about: the field that failed, the task number that does not exist. */
  detail?: string
  /** The same in English, for logs and people reading the API. */
  reason?: string
  /** The id of the record a note conflict was kept as. */
  keptAs?: string
  /** What the server found of the record's signature, when it applied the record just now. */
  signature?: SignatureStatus
  /**
   * A check-in this push committed: the hash the server computed from the row it stored, and that row's version,
   * so the phone can verify it without pulling it back. (Servers before this say nothing; phones pull as before.)
   */
  hash?: string
  version?: number
}
export interface PushResponse {
  lastProcessedSeq: number
  results: MutationResult[]
  /** The versions this push committed, every one of them: `from` to `to`, with no other push's in between. */
  versions?: { from: number; to: number }
}

export type RecordKind = 'checkin' | 'note' | 'inspection' | 'review'

/**
 * A supervisor's review of a check-in, made on the server and pulled by the check-in's author and the
 * supervisors who read it: reviewed, or returned to the inspector with a comment (answered by a correction).
 */
export interface Review {
  id: string
  checkInId: string
  action: 'reviewed' | 'returned'
  comment: string
  reviewerId: string
  reviewerName: string
  at: string
}
export interface Change {
  version: number
  kind: RecordKind
  id: string
  deleted: boolean
  /** SHA-256 of the canonical JSON of data, so the phone can tell the server holds exactly what it sent. */
  hash: string | null
  data: CheckIn | (FieldNote & { conflictOf?: string | null }) | Inspection | Review | null
}
export interface PullResponse {
  changes: Change[]
  cursor: number
  more: boolean
}

export function validationReason(issues: readonly v.BaseIssue<unknown>[]): string {
  const first = issues[0]
  if (!first) return 'invalid'
  const path = v.getDotPath(first)
  return `invalid ${path ?? 'value'}: ${first.message}`
}

export function parseArgs<N extends MutationName>(
  name: N,
  args: unknown,
): { ok: true; value: MutationArgs[N] } | { ok: false; reason: string; field: string } {
  const result = v.safeParse(MUTATION_ARGS[name], args)
  if (result.success) return { ok: true, value: result.output as MutationArgs[N] }
  return {
    ok: false,
    reason: validationReason(result.issues),
    field: (result.issues[0] && v.getDotPath(result.issues[0])) ?? '',
  }
}

export const isMutationName = (name: string): name is MutationName => Object.hasOwn(MUTATION_ARGS, name)
