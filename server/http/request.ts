/**
 * What a request carries outside its JSON body — query string, path parameters, headers — checked with
 * schemas like the body is, so a handler only ever sees values of the type it expects.
 */
import type { FastifyRequest } from 'fastify'
import * as v from 'valibot'
import { parseOrRefuse } from './errors'

/**
 * A query parameter, path parameter or header as it arrives: one string. A repeated one arrives as a list, and
 * is refused; so is one with a control character (a NUL cannot even be looked up in PostgreSQL).
 */
export const Single = v.pipe(
  v.string('must be given once'),
  // eslint-disable-next-line no-control-regex
  v.regex(/^[^\u0000-\u001f\u007f]*$/, 'must not contain control characters'),
)

/** The largest whole number a database column holds (PostgreSQL's integer): versions, sequence numbers, offsets. */
export const MAX_STORED_INTEGER = 2_147_483_647

/**
 * A whole number ≥ 0 in plain digits, as cursors, limits and offsets are written: no sign, point or exponent,
 * and no larger than a database column holds.
 */
export const WholeNumber = v.pipe(
  Single,
  v.regex(/^\d{1,15}$/, 'must be a whole number ≥ 0'),
  v.transform((digits) => Number(digits)),
  v.maxValue(MAX_STORED_INTEGER, `must be at most ${MAX_STORED_INTEGER}`),
)

/** An optional parameter whose empty value means "not given", as the phone's report filters leave it. */
export const blankIsAbsent = <S extends v.GenericSchema<string, unknown>>(schema: S) =>
  v.optional(
    v.pipe(
      Single,
      v.transform((s) => (s === '' ? undefined : s)),
      v.optional(schema),
    ),
  )

/**
 * A part of a request that no correct client gets wrong (query, path, headers, a sync envelope) as `schema`
 * reads it; otherwise a 400 `invalid_request` naming the first wrong field.
 */
export const readRequest = <T extends v.GenericSchema>(schema: T, part: unknown): v.InferOutput<T> =>
  parseOrRefuse(schema, part, 'invalid_request')

const IdParams = v.object({ id: Single })

/** The `:id` of a route's path. Whether it names anything is for the route to find out (404, not 400). */
export const pathId = (req: FastifyRequest): string => readRequest(IdParams, req.params).id
