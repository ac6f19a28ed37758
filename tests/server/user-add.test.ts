import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { openStore } from '../../server/db/database'

const dir = mkdtempSync(join(tmpdir(), 'zhixun-user-add-'))
const env = { ...process.env, DATA_DIR: dir, ZHIXUN_PASSWORD: 'user-add-password', DATABASE_URL: '' }
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** Runs `npm run user:add -- …args`; its output and exit status. */
function userAdd(...args: string[]): { status: number; out: string } {
  try {
    const out = execFileSync('npx', ['tsx', 'scripts/user-add.ts', ...args], {
      env,
      encoding: 'utf8',
      timeout: 60_000,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    return { status: 0, out }
  } catch (err) {
    const e = err as { status: number; stdout: string; stderr: string }
    return { status: e.status, out: `${e.stdout}${e.stderr}` }
  }
}

const base = ['--name', '李四', '--department', '省知识产权局']

describe('npm run user:add with a certificate', () => {
  it('adds an account with its certificate number and expiry, and refuses one without the other', async () => {
    const added = userAdd(
      '--username',
      'li.si',
      ...base,
      '--certificate',
      '44010020001',
      '--certificate-expiry',
      '2027-06-30',
    )
    expect(added.status, added.out).toBe(0)
    expect(added.out).toContain('certificate 44010020001 valid to 2027-06-30')
    const plain = userAdd('--username', 'wang.wu', ...base)
    expect(plain.status, plain.out).toBe(0)

    const noExpiry = userAdd('--username', 'zhao.liu', ...base, '--certificate', '44010020002')
    expect(noExpiry.status).toBe(1)
    expect(noExpiry.out).toContain('not added: A certificate number needs its expiry date')
    const badDate = userAdd(
      '--username',
      'zhao.liu',
      ...base,
      '--certificate',
      '4401',
      '--certificate-expiry',
      '2027-02-30',
    )
    expect(badDate.status).toBe(1)
    expect(badDate.out).toContain('not added: The expiry must be a date YYYY-MM-DD')
    const taken = userAdd(
      '--username',
      'zhao.liu',
      ...base,
      '--certificate',
      '44010020001',
      '--certificate-expiry',
      '2028-01-01',
    )
    expect(taken.status).toBe(1)
    expect(taken.out).toContain('not added: Another account holds this certificate number')

    const store = await openStore(join(dir, 'zhixun.sqlite'))
    try {
      const rows = await store.db
        .selectFrom('users')
        .select(['username', 'certificate_number', 'certificate_expiry'])
        .orderBy('username')
        .execute()
      expect(rows).toEqual([
        { username: 'li.si', certificate_number: '44010020001', certificate_expiry: '2027-06-30' },
        { username: 'wang.wu', certificate_number: null, certificate_expiry: null },
      ])
    } finally {
      await store.close()
    }
  }, 240_000)
})
