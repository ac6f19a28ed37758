import * as v from 'valibot'

// Each part on its own: a link with one part mistyped still opens the form, as if that part were not there.
const Text = v.fallback(v.optional(v.pipe(v.string(), v.minLength(1))), undefined)
const TaskNumber = v.fallback(v.optional(v.pipe(v.string(), v.toNumber(), v.integer(), v.minValue(1))), undefined)

/** What a link to the check-in form may ask: correct a check-in, or start from a task or a campaign. */
const CheckInQuerySchema = v.object({ correct: Text, task: TaskNumber, campaign: Text })
export type CheckInQuery = v.InferOutput<typeof CheckInQuerySchema>

/** Reads the route's query (`?correct=<id>`, `?task=28`, `?campaign=<id>`) as the form's starting point. */
export function parseCheckInQuery(query: unknown): CheckInQuery {
  return v.parse(CheckInQuerySchema, query)
}
