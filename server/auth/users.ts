import type { FastifyInstance, FastifyRequest } from 'fastify'
import * as v from 'valibot'
import { isCollectiveDepartment } from '../../src/kernel/departments'
import { isRegion, PROVINCE, regionOf } from '../../src/kernel/regions'
import { USER_ROLES, passwordProblem, type Colleague } from '../../src/kernel/users'
import { ID_MAX, type Store, type UsersTable } from '../db/database'
import { ApiRefusal, parseOrRefuse } from '../http/errors'
import { pathId } from '../http/request'
import { campaignsFor } from '../campaigns/store'
import {
  accountOf,
  checkedCertificate,
  createUser,
  endSessions,
  invalidRegion,
  PERSON_COLUMNS,
  personOf,
  refusingTakenCertificate,
} from './accounts'
import { hashPassword } from './passwords'
import { requireUser, sessionToken } from './session'

/** A display name is one line: no control characters (a NUL could not even be stored). */
// eslint-disable-next-line no-control-regex
const OneLine = v.regex(/^[^\u0000-\u001f\u007f]*$/, 'must not contain control characters')

/** Checked for length and form in `checkedCertificate`, which says which field to correct. */
const CertificateNumber = v.pipe(v.string(), v.maxLength(200))
const CertificateExpiry = v.pipe(v.string(), v.maxLength(10))

const NewUserSchema = v.strictObject({
  username: v.pipe(v.string(), v.maxLength(64)),
  displayName: v.pipe(v.string(), v.maxLength(100), OneLine),
  department: v.pipe(v.string(), v.maxLength(100)),
  role: v.picklist(USER_ROLES),
  password: v.pipe(v.string(), v.maxLength(200)),
  /** Checked against src/kernel/regions.ts in `createUser` (400 `invalid_region`); absent: the province. */
  region: v.optional(v.pipe(v.string(), v.maxLength(32))),
  certificateNumber: v.optional(v.nullable(CertificateNumber)),
  certificateExpiry: v.optional(v.nullable(CertificateExpiry)),
})

const ChangeUserSchema = v.strictObject({
  displayName: v.optional(v.pipe(v.string(), v.trim(), v.minLength(1), v.maxLength(100), OneLine)),
  department: v.optional(v.pipe(v.string(), v.maxLength(100))),
  role: v.optional(v.picklist(USER_ROLES)),
  disabled: v.optional(v.boolean()),
  region: v.optional(v.pipe(v.string(), v.maxLength(32))),
  password: v.optional(v.pipe(v.string(), v.maxLength(200))),
  /** null (or an empty number) clears the certificate; a number and an expiry are kept together. */
  certificateNumber: v.optional(v.nullable(CertificateNumber)),
  certificateExpiry: v.optional(v.nullable(CertificateExpiry)),
})

export async function userRoutes(
  app: FastifyInstance,
  opts: { store: Store; departments: ReadonlySet<string> },
): Promise<void> {
  const { db } = opts.store
  async function requireAdmin(req: FastifyRequest) {
    const user = await requireUser(opts.store, req)
    if (user.role !== 'admin') throw new ApiRefusal(403, 'forbidden', 'Only admins manage accounts')
    return user
  }

  /**
   * Names and departments of active users, for a supervisor choosing a campaign's inspectors: a city's supervisor
   * the people of their city (the only ones their campaigns may name), a provincial one and an admin everyone.
   */
  app.get('/api/people', async (req, reply) => {
    const user = await requireUser(opts.store, req)
    if (user.role === 'inspector') throw new ApiRefusal(403, 'forbidden', 'Only supervisors and admins list people')
    const region = user.role === 'admin' ? PROVINCE : regionOf(user)
    let query = db.selectFrom('users').select(PERSON_COLUMNS).where('disabled', '=', 0)
    if (region !== PROVINCE) query = query.where('region', '=', region)
    const rows = await query.orderBy('department').orderBy('display_name').execute()
    reply.header('Cache-Control', 'private, no-store')
    return { people: rows.map(personOf) }
  })

  /**
   * The people a signed-in user may name as co-inspectors, for their phone to keep offline: the active
   * accounts of their own department and the inspectors of the campaigns they may read, with names,
   * departments and certificates only (no username, role or anything else).
   */
  app.get('/api/colleagues', async (req, reply) => {
    const user = await requireUser(opts.store, req)
    const campaignPeople = [...new Set((await campaignsFor(db, user)).flatMap((c) => c.inspectorIds))]
    const rows = await db
      .selectFrom('users')
      .select(['id', 'display_name', 'department', 'certificate_number', 'certificate_expiry'])
      .where('disabled', '=', 0)
      .where((eb) =>
        eb.or([
          eb('department', '=', user.department),
          ...(campaignPeople.length > 0 ? [eb('id', 'in', campaignPeople)] : []),
        ]),
      )
      .orderBy('department')
      .orderBy('display_name')
      .orderBy('id')
      .execute()
    reply.header('Cache-Control', 'private, no-store')
    const colleagues: Colleague[] = rows.map((r) => ({
      id: r.id,
      displayName: r.display_name,
      department: r.department,
      certificateNumber: r.certificate_number,
      certificateExpiry: r.certificate_expiry,
    }))
    return { colleagues }
  })

  app.get('/api/users', async (req, reply) => {
    await requireAdmin(req)
    const rows = await db.selectFrom('users').selectAll().orderBy('created_at').execute()
    reply.header('Cache-Control', 'private, no-store')
    return { users: rows.map(accountOf) }
  })

  app.post('/api/users', async (req, reply) => {
    await requireAdmin(req)
    const input = parseOrRefuse(NewUserSchema, req.body, 'invalid')
    const created = await createUser(db, opts.departments, input)
    const row = await db.selectFrom('users').selectAll().where('id', '=', created.id).executeTakeFirstOrThrow()
    return reply.code(201).send({ user: accountOf(row) })
  })

  /** Rename, move, change role, disable (which also ends their sessions) or set a new password. */
  app.patch('/api/users/:id', async (req) => {
    const admin = await requireAdmin(req)
    const id = pathId(req)
    const change = parseOrRefuse(ChangeUserSchema, req.body, 'invalid')
    const current =
      id.length <= ID_MAX ? await db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst() : undefined
    if (!current) throw new ApiRefusal(404, 'not_found', 'No such user')
    if (id === admin.id && (change.disabled === true || (change.role !== undefined && change.role !== 'admin'))) {
      throw new ApiRefusal(409, 'own_account', 'Admins cannot disable or demote themselves')
    }
    if (change.department !== undefined && !opts.departments.has(change.department)) {
      throw new ApiRefusal(400, 'unknown_department', `No department named ${change.department}`)
    }
    // A collective name (各…) is no one's department; an account stored earlier with one keeps it until moved.
    if (
      change.department !== undefined &&
      change.department !== current.department &&
      isCollectiveDepartment(change.department)
    ) {
      throw new ApiRefusal(400, 'unknown_department', `${change.department} names many bodies, not one department`)
    }
    if (change.region !== undefined && !isRegion(change.region)) throw invalidRegion(change.region)
    const set: Partial<UsersTable> = {}
    if (change.displayName !== undefined) set.display_name = change.displayName
    if (change.department !== undefined) set.department = change.department
    if (change.region !== undefined) set.region = change.region
    if (change.role !== undefined) set.role = change.role
    if (change.disabled !== undefined) set.disabled = change.disabled ? 1 : 0
    if (change.certificateNumber !== undefined || change.certificateExpiry !== undefined) {
      const number = change.certificateNumber !== undefined ? change.certificateNumber : current.certificate_number
      // Clearing the number clears its expiry with it; otherwise an expiry not sent stays as it was.
      const expiry =
        change.certificateExpiry !== undefined
          ? change.certificateExpiry
          : number?.trim()
            ? current.certificate_expiry
            : null
      Object.assign(set, await checkedCertificate(db, number, expiry || null, id))
    }
    if (change.password !== undefined) {
      const weak = passwordProblem(change.password)
      if (weak) throw new ApiRefusal(400, 'weak_password', `The password needs ${weak}`)
      set.password_hash = await hashPassword(change.password)
    }
    await db.transaction().execute(async (tx) => {
      if (Object.keys(set).length > 0)
        await refusingTakenCertificate(() => tx.updateTable('users').set(set).where('id', '=', id).execute())
      // A disabled account, a new password or a new role: whoever holds the old session signs in again.
      // An admin setting their own password stays signed in here, and only here.
      if (
        change.disabled === true ||
        change.password !== undefined ||
        change.role !== undefined ||
        change.department !== undefined ||
        change.region !== undefined
      ) {
        await endSessions(tx, id, id === admin.id ? sessionToken(req) : undefined)
      }
    })
    return {
      user: accountOf(await db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirstOrThrow()),
    }
  })
}
