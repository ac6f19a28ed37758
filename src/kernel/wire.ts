/**
 * The compact push (wire 2): the same records in fewer bytes, for phones that drain a day's queue over a weak
 * signal. Request bodies are never compressed (the server decompresses nothing a client sends); instead:
 *
 * - every key a record, a mutation or a signature has is sent as a short code (WIRE_KEYS: the code of a key is
 *   its place in the list, in base 36, after a `~`, so no code is ever a key of its own);
 * - mutation names likewise (WIRE_NAMES);
 * - what the envelope says once is left out of each mutation: the author (`authorId` of each record), the
 *   phone's client id (`chain.clientId` of each record it made itself) and the signing key (`keyId` of each
 *   signature; the signature is then its value alone).
 * - SHA-256 hashes (`prev`, `sha256`) go as 43 characters of base64url instead of 64 of hex, and the times a
 *   record gives (`createdAt`, `occurredAt` …) as milliseconds since 1970 when that is all they say (the string
 *   is what `toISOString` makes of it).
 *
 * `expandPush` gives back exactly the push the phone would have sent uncompacted: the records, their hashes and
 * their signatures are the same. The lists are only ever added to (a new key gets the next code); a server
 * that does not know wire 2 refuses the envelope, and the phone then sends the push as before.
 */

export const WIRE_VERSION = 2

/** Never reordered, never removed from: a key's code is its place here. */
const WIRE_KEYS = [
  // a mutation and its signature
  'seq',
  'name',
  'args',
  'signature',
  'keyId',
  'value',
  // records
  'id',
  'authorId',
  'venueName',
  'venueType',
  'occurredAt',
  'location',
  'lat',
  'lng',
  'accuracy',
  'outcome',
  'premisesInspected',
  'itemsSeized',
  'note',
  'taskNumbers',
  'planId',
  'campaignId',
  'photos',
  'sha256',
  'size',
  'type',
  'source',
  'correctionOf',
  'createdAt',
  'coInspectors',
  'userId',
  'certificateNumber',
  'partyId',
  'chain',
  'clientId',
  'prev',
  'taskNumber',
  'text',
  'updatedAt',
  'baseVersion',
  'checkInId',
  'startedAt',
  'endedAt',
  'place',
  'party',
  'creditCode',
  'address',
  'personPresent',
  'personRole',
  'phone',
  'inspectors',
  'recorder',
  'findings',
  'items',
  'count',
  'signatures',
  'role',
  'signedAt',
  'refusal',
  'reason',
  'witnessName',
] as const

const WIRE_NAMES = ['checkin.create', 'note.put', 'note.delete', 'inspection.create'] as const

const codeOf = (i: number) => `~${i.toString(36)}`
const KEY_CODE = new Map<string, string>(WIRE_KEYS.map((k, i) => [k, codeOf(i)]))
const CODE_KEY = new Map<string, string>(WIRE_KEYS.map((k, i) => [codeOf(i), k]))
const NAME_CODE = new Map<string, string>(WIRE_NAMES.map((k, i) => [k, codeOf(i)]))
const CODE_NAME = new Map<string, string>(WIRE_NAMES.map((k, i) => [codeOf(i), k]))

type Json = null | boolean | number | string | Json[] | { [key: string]: Json }
type Obj = Record<string, unknown>
const isObject = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x)

const HASH_KEYS = new Set(['prev', 'sha256'])
const TIME_KEYS = new Set(['occurredAt', 'createdAt', 'updatedAt', 'startedAt', 'endedAt', 'signedAt'])
const HEX_64 = /^[0-9a-f]{64}$/
const BASE64URL_43 = /^[A-Za-z0-9_-]{43}$/
const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/

function hexToBase64url(hex: string): string {
  const bytes = String.fromCharCode(...hex.match(/../g)!.map((b) => parseInt(b, 16)))
  return btoa(bytes).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}
function base64urlToHex(b64: string): string {
  const bytes = atob(b64.replace(/-/g, '+').replace(/_/g, '/') + '=')
  return [...bytes].map((c) => c.charCodeAt(0).toString(16).padStart(2, '0')).join('')
}

/** A field's value as it travels: shorter where it can be given back exactly. */
function packValue(key: string, x: unknown): unknown {
  if (typeof x !== 'string') return x
  if (HASH_KEYS.has(key) && HEX_64.test(x)) return hexToBase64url(x)
  if (TIME_KEYS.has(key) && ISO_TIME.test(x) && new Date(x).toISOString() === x) return Date.parse(x)
  return x
}
function unpackValue(key: string, x: unknown): unknown {
  if (HASH_KEYS.has(key) && typeof x === 'string' && BASE64URL_43.test(x)) return base64urlToHex(x)
  if (TIME_KEYS.has(key) && typeof x === 'number' && Number.isSafeInteger(x)) {
    const time = new Date(x)
    if (Number.isFinite(time.getTime()) && time.getUTCFullYear() >= 1000 && time.getUTCFullYear() <= 9999)
      return time.toISOString()
  }
  return x
}

/**
 * Walks `value` at every depth: each key is renamed by `names` (a key not in it stays as it is) and each field's
 * value passed through `field`, which is given the field's full name.
 */
function walk(
  value: unknown,
  names: ReadonlyMap<string, string>,
  field: (key: string, x: unknown) => unknown,
  packing: boolean,
  depth = 0,
): unknown {
  // Records are a few levels deep; a deeper value is left for the schema to refuse, not walked.
  if (depth > 16) return value
  if (Array.isArray(value)) return value.map((x) => walk(x, names, field, packing, depth + 1))
  if (!isObject(value)) return value
  return Object.fromEntries(
    Object.entries(value).map(([k, x]) => {
      const renamed = names.get(k) ?? k
      return [renamed, walk(field(packing ? k : renamed, x), names, field, packing, depth + 1)]
    }),
  )
}

/** The record a mutation carries (the args themselves, or the note inside them), if it carries one. */
function recordOf(name: unknown, args: unknown): Obj | undefined {
  if (!isObject(args)) return undefined
  if (name === 'checkin.create' || name === 'inspection.create') return args
  if (name === 'note.put') return isObject(args.note) ? args.note : undefined
  return undefined
}

export interface WirePush {
  wire: typeof WIRE_VERSION
  clientId: string
  clientTime?: string
  authorId?: string
  keyId?: string
  mutations: Json[]
}

interface PlainPush {
  clientId: string
  clientTime?: string
  mutations: readonly { seq: number; name: string; args: unknown; signature?: unknown }[]
}

/** The phone's side: the push as wire 2. */
export function compactPush(req: PlainPush): WirePush {
  const first = req.mutations[0]
  const authorId = recordOf(first?.name, first?.args)?.authorId
  const signature = req.mutations.find((m) => isObject(m.signature))?.signature as Obj | undefined
  const keyId = typeof signature?.keyId === 'string' ? signature.keyId : undefined
  const mutations = req.mutations.map((m) => {
    const args = structuredClone(m.args)
    const record = recordOf(m.name, args)
    if (record && typeof authorId === 'string' && record.authorId === authorId) delete record.authorId
    const chain = record?.chain
    if (isObject(chain) && chain.clientId === req.clientId) delete chain.clientId
    const sig =
      isObject(m.signature) && keyId !== undefined && m.signature.keyId === keyId ? m.signature.value : m.signature
    return walk(
      { seq: m.seq, name: NAME_CODE.get(m.name) ?? m.name, args, ...(sig !== undefined ? { signature: sig } : {}) },
      KEY_CODE,
      packValue,
      true,
    ) as Json
  })
  return {
    wire: WIRE_VERSION,
    clientId: req.clientId,
    ...(req.clientTime !== undefined ? { clientTime: req.clientTime } : {}),
    ...(typeof authorId === 'string' ? { authorId } : {}),
    ...(keyId !== undefined ? { keyId } : {}),
    mutations,
  }
}

/**
 * The server's side: a wire 2 push as the phone would have sent it uncompacted; anything else as it came (a
 * phone before wire 2, or a body the push's schema will refuse). Nothing here refuses: the schema does, after.
 */
export function expandPush(body: unknown): unknown {
  if (!isObject(body) || body.wire !== WIRE_VERSION || !Array.isArray(body.mutations)) return body
  const { authorId, keyId, mutations, ...rest } = body
  const envelope = Object.fromEntries(Object.entries(rest).filter(([k]) => k !== 'wire'))
  return {
    ...envelope,
    mutations: mutations.map((compact) => {
      const m = walk(compact, CODE_KEY, unpackValue, false)
      if (!isObject(m)) return m
      const name = typeof m.name === 'string' ? (CODE_NAME.get(m.name) ?? m.name) : m.name
      const record = recordOf(name, m.args)
      if (record && !('authorId' in record) && authorId !== undefined) record.authorId = authorId
      if (record && isObject(record.chain) && !('clientId' in record.chain)) record.chain.clientId = envelope.clientId
      const signature = typeof m.signature === 'string' ? { keyId, value: m.signature } : m.signature
      return { ...m, name, ...(signature !== undefined ? { signature } : {}) }
    }),
  }
}
