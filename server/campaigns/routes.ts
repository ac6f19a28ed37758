import type { FastifyInstance } from 'fastify'
import * as v from 'valibot'
import type { CoverageReport } from '../../src/kernel/campaign-schema'
import { guangdongDay } from '../../src/kernel/guangdong-time'
import { PROVINCE, regionOf } from '../../src/kernel/regions'
import { requireUser } from '../auth/session'
import type { Store } from '../db/database'
import { ApiRefusal } from '../http/errors'
import { blankIsAbsent, pathId, readRequest, WholeNumber } from '../http/request'
import {
  campaignReport,
  checkInPages,
  checkInsCsv,
  coverage,
  CsvLangQuery,
  ReportFilterQuery,
  type CoverageScope,
} from './report'
import { campaignsFor, createCampaign, readableCampaign, updateCampaign } from './store'

export interface CampaignRoutesOptions {
  store: Store
  departments: ReadonlySet<string>
  taskNumbers: readonly number[]
}

const REPORT_LIST = 200

const ReportQuerySchema = v.object({
  ...ReportFilterQuery,
  limit: v.optional(v.pipe(WholeNumber, v.maxValue(5000, 'must be 0 to 5000')), String(REPORT_LIST)),
})
const CsvQuerySchema = v.object({ ...ReportFilterQuery, lang: CsvLangQuery })
/** Whose records coverage counts: a campaign's or a department's; given neither, a supervisor's own department's. */
const CoverageQuerySchema = v.object({ department: blankIsAbsent(v.string()), campaign: blankIsAbsent(v.string()) })

export async function campaignRoutes(app: FastifyInstance, opts: CampaignRoutesOptions): Promise<void> {
  const { db } = opts.store
  const taskSet = new Set(opts.taskNumbers)
  const noStore = { 'Cache-Control': 'private, no-store' }

  /** The campaigns the signed-in user takes part in or runs: what their phone keeps for offline check-ins. */
  app.get('/api/campaigns', async (req, reply) => {
    const user = await requireUser(opts.store, req)
    reply.headers(noStore)
    return { campaigns: await campaignsFor(db, user) }
  })

  app.post('/api/campaigns', async (req, reply) => {
    const user = await requireUser(opts.store, req)
    const campaign = await createCampaign({ db, user, departments: opts.departments, taskNumbers: taskSet }, req.body)
    return reply.code(201).send({ campaign })
  })

  app.get('/api/campaigns/:id', async (req, reply) => {
    const user = await requireUser(opts.store, req)
    reply.headers(noStore)
    return { campaign: await readableCampaign(db, user, pathId(req)) }
  })

  app.put('/api/campaigns/:id', async (req) => {
    const user = await requireUser(opts.store, req)
    return {
      campaign: await updateCampaign(
        { db, user, departments: opts.departments, taskNumbers: taskSet },
        pathId(req),
        req.body,
      ),
    }
  })

  app.get('/api/campaigns/:id/report', async (req, reply) => {
    const user = await requireUser(opts.store, req)
    const campaign = await readableCampaign(db, user, pathId(req))
    const { limit, ...filter } = readRequest(ReportQuerySchema, req.query)
    reply.headers(noStore)
    return campaignReport(db, campaign, filter, limit)
  })

  app.get('/api/campaigns/:id/checkins.csv', async (req, reply) => {
    const user = await requireUser(opts.store, req)
    const campaign = await readableCampaign(db, user, pathId(req))
    const { lang, ...filter } = readRequest(CsvQuerySchema, req.query)
    // Named with the day in Guangdong, as its rows' days are: at 07:30 there, UTC's date is still yesterday's.
    const fileName = `${campaign.name}-${guangdongDay(new Date().toISOString())}.csv`
    // Streamed a page of check-ins at a time (compressed as it goes, server/http/encoding.ts). The first page is
    // read before the answer starts, so a database that fails then is still told as a status, not a cut answer.
    const csv = await checkInsCsv(checkInPages(db, campaign, filter), lang)
    return reply
      .headers(noStore)
      .type('text/csv; charset=utf-8')
      .header(
        'Content-Disposition',
        `attachment; filename="campaign.csv"; filename*=UTF-8''${encodeURIComponent(fileName)}`,
      )
      .send(csv)
  })

  /** Field activity per task. Supervisors see their department's; admins everything, or one department's. */
  app.get('/api/coverage', async (req, reply) => {
    const user = await requireUser(opts.store, req)
    if (user.role === 'inspector') throw new ApiRefusal(403, 'forbidden', 'Task coverage is for supervisors and admins')
    const q = readRequest(CoverageQuerySchema, req.query)
    const scope: CoverageReport['scope'] = {}
    const counted: CoverageScope = {}
    if (q.campaign) {
      const campaign = await readableCampaign(db, user, q.campaign)
      scope.campaignId = campaign.id
      counted.campaignId = campaign.id
    } else {
      const department = q.department ?? (user.role === 'supervisor' ? user.department : undefined)
      if (department !== undefined) {
        if (!opts.departments.has(department))
          throw new ApiRefusal(400, 'unknown_department', `No department named ${department}`)
        if (user.role === 'supervisor' && department !== user.department) {
          throw new ApiRefusal(403, 'forged_department', 'A supervisor sees their own department only')
        }
        scope.department = department
        counted.department = department
      }
      // readableRecords' rule (./store.ts) over the counts kept per department, region and author: an admin reads
      // every record; a supervisor (always asking for their own department here) their department's, only their
      // city's when of a city, and their own wherever written (the records' author_id is their written_by).
      const region = regionOf(user)
      if (user.role === 'supervisor' && region !== PROVINCE) {
        counted.region = region
        counted.orWrittenBy = user.id
      }
    }
    reply.headers(noStore)
    return { scope, tasks: await coverage(db, opts.taskNumbers, counted) } satisfies CoverageReport
  })
}
