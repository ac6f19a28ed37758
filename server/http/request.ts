/**
 * What a request carries outside its JSON body — query string, path parameters, headers — checked with
 * schemas like the body is, so a handler only ever sees values of the type it expects.
 */
import type { FastifyRequest } from 'fastify'
import * as v from 'valibot'
import { parseOrRefuse } from './errors'

/** A query parameter or header as it arrives: one string. A repeated one arrives as a list, and is refused. */
export const Single = v.string('must be given once')

/** A whole number ≥ 0 in plain digits, as cursors, limits and offsets are written: no sign, point or exponent. */
export const WholeNumber = v.pipe(
  Single,
  v.regex(/^\d{1,15}$/, 'must be a whole number ≥ 0'),
  v.transform((digits) => Number(digits)),
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
