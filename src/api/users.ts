import type { Account } from '@/kernel/users'
import { apiJson } from './http'

export interface NewAccount {
  username: string
  displayName: string
  department: string
  role: Account['role']
  password: string
}

export const fetchAccounts = async () => (await apiJson<{ users: Account[] }>('/api/users')).users
export const createAccount = async (input: NewAccount) =>
  (await apiJson<{ user: Account }>('/api/users', 'POST', input)).user
export const changeAccount = async (
  id: string,
  change: Partial<Pick<Account, 'displayName' | 'department' | 'role' | 'disabled'>> & { password?: string },
) => (await apiJson<{ user: Account }>(`/api/users/${encodeURIComponent(id)}`, 'PATCH', change)).user
