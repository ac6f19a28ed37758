import type { Account, Colleague } from '@/kernel/users'
import { apiJson } from './http'

export interface NewAccount {
  username: string
  displayName: string
  department: string
  role: Account['role']
  password: string
  /** The province (the server's default) or a city, src/kernel/regions.ts. */
  region?: string
  certificateNumber?: string | null
  certificateExpiry?: string | null
}

export const fetchAccounts = async () => (await apiJson<{ users: Account[] }>('/api/users')).users
export const createAccount = async (input: NewAccount) =>
  (await apiJson<{ user: Account }>('/api/users', 'POST', input)).user
export const changeAccount = async (
  id: string,
  change: Partial<
    Pick<
      Account,
      'displayName' | 'department' | 'region' | 'role' | 'disabled' | 'certificateNumber' | 'certificateExpiry'
    >
  > & { password?: string },
) => (await apiJson<{ user: Account }>(`/api/users/${encodeURIComponent(id)}`, 'PATCH', change)).user

/**
 * The people the signed-in user may name as co-inspectors (their department's and their campaigns'), with
 * names, departments and certificates only: what the phone keeps to pick co-inspectors offline.
 */
export const fetchColleagues = async () => (await apiJson<{ colleagues: Colleague[] }>('/api/colleagues')).colleagues
