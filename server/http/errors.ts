import * as v from 'valibot'
import { validationReason } from '../../src/kernel/sync-schema'

/** A request the server refuses with an HTTP status and a JSON body `{error: code, message, ...details}`; nothing is committed. */
export class ApiRefusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message)
    this.name = 'ApiRefusal'
  }
}

/** The value `schema` makes of a request part, or a 400 `code` naming the first field that is wrong. */
export function parseOrRefuse<T extends v.GenericSchema>(schema: T, value: unknown, code: string): v.InferOutput<T> {
  const parsed = v.safeParse(schema, value)
  if (!parsed.success)
    throw new ApiRefusal(400, code, validationReason(parsed.issues), { field: v.getDotPath(parsed.issues[0]!) ?? '' })
  return parsed.output
}
