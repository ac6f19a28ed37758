import type { FastifyInstance } from 'fastify'
import * as v from 'valibot'
import { PARTY_LIMITS } from '../../src/kernel/party'
import { requireUser } from '../auth/session'
import type { Store } from '../db/database'
import { blankIsAbsent, pathId, readRequest, WholeNumber } from '../http/request'
import {
  createParty,
  mergedForPhone,
  mergeParty,
  partiesForPhone,
  partyInspections,
  readablePartyNow,
  searchParties,
} from './store'

const PARTY_LIST = 100

const SearchQuerySchema = v.object({
  q: blankIsAbsent(v.pipe(v.string(), v.maxLength(PARTY_LIMITS.query))),
  campaign: blankIsAbsent(v.string()),
  department: blankIsAbsent(v.pipe(v.string(), v.maxLength(100))),
  limit: v.optional(
    v.pipe(WholeNumber, v.minValue(1, 'must be 1 to 500'), v.maxValue(500, 'must be 1 to 500')),
    String(PARTY_LIST),
  ),
})

/**
 * The inspected-party register: `POST /api/parties` creates one (201), or answers the party it already is (200,
 * with `merged`: `id` for the same id again, `creditCode` for a code the register holds); `GET /api/parties`
 * lists and searches those the user may read (`q`: name or the start of a credit code; `campaign`,
 * `department`: filed under); `GET /api/parties/:id` reads one (a party merged into another: that one, with
 * `mergedFrom`); `POST /api/parties/:id/merge {into}` merges a party without a credit code into another entry
 * of the same party (supervisors and admins). For phones: `GET /api/parties/mine` (the parties
 * of their department and campaigns, with pinyin initials and earlier inspections in short, and `merged`: the
 * ids of theirs merged into others, each with the party it stands for now), and
 * `GET /api/parties/:id/inspections` (the earlier inspections of one, in full, those the user may read).
 */
export async function partyRoutes(app: FastifyInstance, opts: { store: Store }): Promise<void> {
  const { db } = opts.store
  const noStore = { 'Cache-Control': 'private, no-store' }

  app.post('/api/parties', async (req, reply) => {
    const user = await requireUser(opts.store, req)
    const { party, outcome } = await createParty(db, user, req.body)
    if (outcome === 'created') return reply.code(201).headers(noStore).send({ party })
    return reply
      .code(200)
      .headers(noStore)
      .send({ party, merged: outcome === 'same_id' ? 'id' : 'creditCode' })
  })

  app.get('/api/parties', async (req, reply) => {
    const user = await requireUser(opts.store, req)
    const search = readRequest(SearchQuerySchema, req.query)
    reply.headers(noStore)
    return { parties: await searchParties(db, user, search) }
  })

  app.get('/api/parties/mine', async (req, reply) => {
    const user = await requireUser(opts.store, req)
    reply.headers(noStore)
    return { parties: await partiesForPhone(db, user), merged: await mergedForPhone(db, user) }
  })

  app.get('/api/parties/:id/inspections', async (req, reply) => {
    const user = await requireUser(opts.store, req)
    reply.headers(noStore)
    return partyInspections(db, user, pathId(req))
  })

  app.get('/api/parties/:id', async (req, reply) => {
    const user = await requireUser(opts.store, req)
    reply.headers(noStore)
    const { party, mergedFrom } = await readablePartyNow(db, user, pathId(req))
    return { party, ...(mergedFrom !== undefined ? { mergedFrom } : {}) }
  })

  app.post('/api/parties/:id/merge', async (req, reply) => {
    const user = await requireUser(opts.store, req)
    reply.headers(noStore)
    return mergeParty(db, user, pathId(req), req.body)
  })
}
