/**
 * Who uses Zhixun, as the phone and the server both see them: roles, the shape of a user, password rules.
 * No validation library here: the phone's first screen imports these.
 */

export const USER_ROLES = ['inspector', 'supervisor', 'admin'] as const
export type UserRole = (typeof USER_ROLES)[number]

/** A user as others see them: enough to name an inspector, never their username or password. */
export interface PersonRef {
  id: string
  displayName: string
  department: string
  role: UserRole
}

/** The signed-in user, as the server answers a sign-in and the phone keeps them. */
export interface SessionUser extends PersonRef {
  username: string
  /** Province or city (src/kernel/regions.ts): with the department, what a supervisor sees. Absent: provincial. */
  region?: string
  /** Their own certificate, as the server had it at sign-in (absent from sessions kept by earlier versions). */
  certificateNumber?: string | null
  certificateExpiry?: string | null
}

/** An account as an admin sees it; never the password hash. */
export interface Account extends SessionUser {
  region: string
  disabled: boolean
  createdAt: string
  /** The enforcement certificate (执法证) number and its last valid day (YYYY-MM-DD); null when none is recorded. */
  certificateNumber: string | null
  certificateExpiry: string | null
}

/**
 * A person an inspector may name as a co-inspector, as their phone keeps them for offline use: the people of
 * their department and of their campaigns, with names, departments and certificates only.
 */
export interface Colleague {
  id: string
  displayName: string
  department: string
  certificateNumber: string | null
  certificateExpiry: string | null
}

/** Long enough to resist guessing at the rate sign-in allows; short enough to hash cheaply. */
export const PASSWORD_LENGTH = { min: 10, max: 200 } as const

/** What is wrong with a password as a new one, in words for the API's message; undefined when it will do. */
export function passwordProblem(password: string): string | undefined {
  if (password.length < PASSWORD_LENGTH.min) return `at least ${PASSWORD_LENGTH.min} characters`
  if (password.length > PASSWORD_LENGTH.max) return `at most ${PASSWORD_LENGTH.max} characters`
  return undefined
}
