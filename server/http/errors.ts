import * as v from 'valibot'
import { ZhixunError } from '../../src/kernel/errors'
import { validationReason } from '../../src/kernel/sync-schema'

/**
 * Every reason the API gives for refusing a request: the `error` of the answer's body. The phone names
 * the ones it explains in its locale files (`apiError.<code>`), so a code, once sent, keeps its meaning.
 */
export type RefusalCode =
  // The request itself
  | 'bad_request'
  /** A request no correct client makes: its query, path, headers or sync envelope are wrong. */
  | 'invalid_request'
  /** A form (a campaign, an account) with something for the person filling it in to correct. */
  | 'invalid'
  | 'too_large'
  | 'unsupported_media_type'
  | 'not_found'
  | 'unavailable'
  // Who is asking
  | 'signed_out'
  | 'bad_credentials'
  | 'locked'
  | 'forbidden'
  | 'forged_author'
  | 'forged_campaign'
  | 'forged_client'
  | 'forged_department'
  // Sync
  | 'seq_conflict'
  | 'seq_gap'
  | 'photo_missing'
  // Photo uploads
  | 'no_upload'
  | 'upload_mismatch'
  | 'offset_mismatch'
  | 'empty_chunk'
  | 'hash_mismatch'
  // Accounts
  | 'invalid_username'
  | 'invalid_name'
  | 'invalid_role'
  | 'weak_password'
  | 'username_taken'
  | 'own_account'
  // Campaigns
  | 'unknown_task'
  | 'unknown_department'
  | 'unknown_inspector'
  | 'campaign_changed'

/** A request the server refuses with an HTTP status and a JSON body `{error: code, message, ...details}`; nothing is committed. */
export class ApiRefusal<C extends RefusalCode = RefusalCode> extends ZhixunError<C> {
  constructor(
    readonly status: number,
    code: C,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(code, message)
  }

  /** What the client reads: the code, the message in English, and the details beside them. */
  get body(): Record<string, unknown> {
    return { error: this.code, message: this.message, ...this.details }
  }
}

/** The value `schema` makes of a request part, or a 400 `code` naming the first field that is wrong. */
export function parseOrRefuse<T extends v.GenericSchema>(
  schema: T,
  value: unknown,
  code: 'invalid_request' | 'invalid',
): v.InferOutput<T> {
  const parsed = v.safeParse(schema, value)
  if (!parsed.success)
    throw new ApiRefusal(400, code, validationReason(parsed.issues), { field: v.getDotPath(parsed.issues[0]!) ?? '' })
  return parsed.output
}
