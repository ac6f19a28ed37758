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
} as const

export type Limits = typeof LIMITS

export const VENUE_TYPES = ['market', 'trade_fair', 'port', 'online', 'enterprise', 'other'] as const
export const OUTCOMES = ['no_problem', 'suspected', 'case_opened', 'referred'] as const
export const PHOTO_TYPES = ['image/jpeg', 'image/webp', 'image/png'] as const
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
  campaignId: v.nullable(v.pipe(v.string(), v.minLength(1), v.maxLength(64))),
  photos: v.pipe(v.array(PhotoRefSchema), v.maxLength(LIMITS.photosPerCheckIn)),
  /** A correction names the check-in it corrects; both are kept. */
  correctionOf: v.nullable(IdSchema),
  createdAt: Timestamp,
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

export const MUTATION_ARGS = {
  'checkin.create': CheckInSchema,
  'note.put': NotePutArgsSchema,
  'note.delete': NoteDeleteArgsSchema,
} as const
export type MutationName = keyof typeof MUTATION_ARGS
export type MutationArgs = {
  'checkin.create': CheckIn
  'note.put': v.InferOutput<typeof NotePutArgsSchema>
  'note.delete': v.InferOutput<typeof NoteDeleteArgsSchema>
}

/** The push envelope. Each mutation's args are checked on their own, so one bad record never blocks the rest. */
export const PushRequestSchema = v.strictObject({
  clientId: v.pipe(v.string(), v.regex(/^[A-Za-z0-9-]{8,64}$/, 'must be 8 to 64 letters, digits or dashes')),
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

export type RecordKind = 'checkin' | 'note'
export interface Change {
  version: number
  kind: RecordKind
  id: string
  deleted: boolean
  /** SHA-256 of the canonical JSON of data, so the phone can tell the server holds exactly what it sent. */
  hash: string | null
  data: CheckIn | (FieldNote & { conflictOf?: string | null }) | null
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
