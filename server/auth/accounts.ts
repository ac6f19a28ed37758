import { createHash, randomBytes } from 'node:crypto'
import type { Kysely } from 'kysely'
import { certificateNumberProblem, isCalendarDay } from '../../src/kernel/certificate'
import { isCollectiveDepartment } from '../../src/kernel/departments'
import { isRegion, regionOf } from '../../src/kernel/regions'
import { uuidv7 } from '../../src/kernel/uuid'
import {
  USER_ROLES,
  passwordProblem,
  type Account,
  type PersonRef,
  type SessionUser,
  type UserRole,
} from '../../src/kernel/users'
import { nowIso, type Database, type UsersTable } from '../db/database'
import { ApiRefusal } from '../http/errors'
import { attemptSucceeded, forgetOldAttempts, takeAttempt } from './login-limits'
import { DUMMY_HASH, hashPassword, passwordHashing, verifyPassword } from './passwords'

export const SESSION_DAYS = 14

/** The columns of a user others may see: enough to name an inspector in a campaign or a report. */
export const PERSON_COLUMNS = ['id', 'display_name', 'department', 'role'] as const
type PersonRow = Pick<UsersTable, (typeof PERSON_COLUMNS)[number]>

/** A user as others see them. The one place a user row's columns become a user's fields. */
export const personOf = (u: PersonRow): PersonRef => ({
  id: u.id,
  displayName: u.display_name,
  department: u.department,
  role: u.role,
})

/**
 * A user as they see themselves once signed in: a person with a username and their own certificate (which the
 * phone shows full-screen offline, src/pages/CertificatePage.vue).
 */
export function sessionUserOf(
  u: PersonRow & Pick<UsersTable, 'username' | 'certificate_number' | 'certificate_expiry' | 'region'>,
): SessionUser {
  const { id, ...person } = personOf(u)
  return {
    id,
    username: u.username,
    ...person,
    region: regionOf(u),
    certificateNumber: u.certificate_number,
    certificateExpiry: u.certificate_expiry,
  }
}

/** A user as an admin manages them: never the password hash. */
export const accountOf = (u: UsersTable): Account => ({
  ...sessionUserOf(u),
  region: regionOf(u),
  disabled: u.disabled === 1,
  createdAt: u.created_at,
  certificateNumber: u.certificate_number,
  certificateExpiry: u.certificate_expiry,
})

/**
 * An account's certificate as it is to be stored: a number (trimmed, one line, at most 40 characters) with
 * its expiry day, or neither. A number without an expiry, or an expiry without a number, is refused with
 * the field to correct (400 `invalid_certificate`); so is a number another account already holds (409
 * `certificate_taken`).
 */
export async function checkedCertificate(
  db: Kysely<Database>,
  number: string | null,
  expiry: string | null,
  accountId?: string,
): Promise<Pick<UsersTable, 'certificate_number' | 'certificate_expiry'>> {
  const trimmed = number?.trim() || null
  const refuse = (field: string, message: string) => new ApiRefusal(400, 'invalid_certificate', message, { field })
  if (trimmed === null) {
    if (expiry) throw refuse('certificateNumber', 'An expiry date needs a certificate number')
    return { certificate_number: null, certificate_expiry: null }
  }
  const problem = certificateNumberProblem(trimmed)
  if (problem) throw refuse('certificateNumber', `The certificate number is ${problem.replace('_', ' ')}`)
  if (!expiry) throw refuse('certificateExpiry', 'A certificate number needs its expiry date')
  if (!isCalendarDay(expiry)) throw refuse('certificateExpiry', 'The expiry must be a date YYYY-MM-DD')
  let holder = db.selectFrom('users').select('id').where('certificate_number', '=', trimmed)
  if (accountId !== undefined) holder = holder.where('id', '!=', accountId)
  if (await holder.executeTakeFirst()) throw certificateTaken()
  return { certificate_number: trimmed, certificate_expiry: expiry }
}

const certificateTaken = () =>
  new ApiRefusal(409, 'certificate_taken', 'Another account holds this certificate number', {
    field: 'certificateNumber',
  })

/**
 * Runs a write that sets a certificate number; the database's unique index refusing it (another admin gave
 * the same number at the same moment) is answered 409 `certificate_taken`, like the check before it.
 */
export async function refusingTakenCertificate<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write()
  } catch (err) {
    const e = err as { code?: unknown; constraint?: unknown; message?: unknown }
    const sqlite = e.code === 'SQLITE_CONSTRAINT_UNIQUE' && String(e.message).includes('users.certificate_number')
    const postgres = e.code === '23505' && e.constraint === 'users_certificate_number'
    if (sqlite || postgres) throw certificateTaken()
    throw err
  }
}

export const invalidRegion = (region: string) =>
  new ApiRefusal(400, 'invalid_region', `No region ${region}`, { field: 'region' })

const tokenHash = (token: string) => createHash('sha256').update(token).digest('hex')
const USERNAME_RE = /^[a-z0-9][a-z0-9._-]{2,31}$/

export interface NewUser {
  username: string
  displayName: string
  department: string
  role: UserRole
  password: string
  /** The province (the default) or a city, src/kernel/regions.ts. */
  region?: string
  /** The enforcement certificate's number and last valid day (YYYY-MM-DD): both or neither. */
  certificateNumber?: string | null
  certificateExpiry?: string | null
}

/**
 * Adds a user; refuses a taken username, an unknown or collective department (各…, src/kernel/departments.ts), an
 * unknown role, a weak password.
 */
export async function createUser(
  db: Kysely<Database>,
  departments: ReadonlySet<string>,
  input: NewUser,
): Promise<SessionUser> {
  const username = input.username.trim().toLowerCase()
  if (!USERNAME_RE.test(username))
    throw new ApiRefusal(
      400,
      'invalid_username',
      'Usernames are 3 to 32 lower-case letters, digits, dots, dashes or underscores',
    )
  if (!input.displayName.trim() || input.displayName.length > 100)
    throw new ApiRefusal(400, 'invalid_name', 'A display name of 1 to 100 characters is required')
  if (!departments.has(input.department))
    throw new ApiRefusal(400, 'unknown_department', `No department named ${input.department} in the dataset`)
  if (isCollectiveDepartment(input.department))
    throw new ApiRefusal(400, 'unknown_department', `${input.department} names many bodies, not one department`)
  if (!USER_ROLES.includes(input.role))
    throw new ApiRefusal(400, 'invalid_role', `Role must be one of ${USER_ROLES.join(', ')}`)
  const region = regionOf(input)
  if (!isRegion(region)) throw invalidRegion(region)
  const weak = passwordProblem(input.password)
  if (weak) throw new ApiRefusal(400, 'weak_password', `The password needs ${weak}`)
  if (await db.selectFrom('users').select('id').where('username', '=', username).executeTakeFirst()) {
    throw new ApiRefusal(409, 'username_taken', `The username ${username} is taken`)
  }
  const certificate = await checkedCertificate(db, input.certificateNumber ?? null, input.certificateExpiry ?? null)
  const row: UsersTable = {
    id: uuidv7(),
    username,
    display_name: input.displayName.trim(),
    department: input.department,
    role: input.role,
    password_hash: await hashPassword(input.password),
    disabled: 0,
    created_at: nowIso(),
    region,
    ...certificate,
  }
  await refusingTakenCertificate(() => db.insertInto('users').values(row).execute())
  return sessionUserOf(row)
}

/**
 * Checks a password and opens a session. The attempt takes a turn of the process's password-hash gate
 * (429 `busy` when too many wait), then is counted in the database before the password is hashed (429
 * `locked` or `too_many_attempts` with a wait, see login-limits.ts); only a right password takes the count
 * back. `address` is the client's (its IP address as the trusted proxy reports it).
 */
export async function verifyAndStartSession(
  db: Kysely<Database>,
  usernameRaw: string,
  password: string,
  { address = 'unknown', now = new Date() }: { address?: string; now?: Date } = {},
): Promise<{ token: string; user: SessionUser; expiresAt: string }> {
  const username = usernameRaw.trim().toLowerCase()
  // A name the username rule refuses is no one's: it is counted by address only, and never looked up.
  const possible = USERNAME_RE.test(username) ? username : undefined
  const { user, attempt } = await passwordHashing.run(
    async () => {
      await forgetOldAttempts(db, now)
      const attempt = await takeAttempt(db, { username: possible, address, now })
      const user = possible
        ? await db.selectFrom('users').selectAll().where('username', '=', possible).executeTakeFirst()
        : undefined
      // A password is checked even for an unknown user, so timing does not tell which usernames exist.
      const ok = await verifyPassword(password, user?.password_hash ?? DUMMY_HASH)
      return { user: ok && user && !user.disabled ? user : undefined, attempt }
    },
    { signIn: true },
  )
  if (!user) throw new ApiRefusal(401, 'bad_credentials', 'Wrong username or password')
  await attemptSucceeded(db, attempt)
  const token = randomBytes(32).toString('base64url')
  const expiresAt = new Date(now.getTime() + SESSION_DAYS * 86_400_000).toISOString()
  await db
    .insertInto('sessions')
    .values({ token_hash: tokenHash(token), user_id: user.id, created_at: now.toISOString(), expires_at: expiresAt })
    .execute()
  return { token, user: sessionUserOf(user), expiresAt }
}

/** The user a session token belongs to, or undefined when it is unknown, expired or the user disabled. */
export async function userOfToken(
  db: Kysely<Database>,
  token: string | undefined,
  now = new Date(),
): Promise<SessionUser | undefined> {
  if (!token) return undefined
  const row = await db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .selectAll('users')
    .select('sessions.expires_at')
    .where('sessions.token_hash', '=', tokenHash(token))
    .executeTakeFirst()
  if (!row || row.expires_at <= now.toISOString() || row.disabled) return undefined
  return sessionUserOf(row)
}

/** Ends every session of a user, except the one holding `keepToken` (an admin changing their own password). */
export async function endSessions(db: Kysely<Database>, userId: string, keepToken?: string): Promise<void> {
  let q = db.deleteFrom('sessions').where('user_id', '=', userId)
  if (keepToken) q = q.where('token_hash', '!=', tokenHash(keepToken))
  await q.execute()
}

export async function endSessionOfToken(db: Kysely<Database>, token: string | undefined): Promise<void> {
  if (token) await db.deleteFrom('sessions').where('token_hash', '=', tokenHash(token)).execute()
}
