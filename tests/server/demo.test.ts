import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { openStore } from '../../server/db/database'

const dir = mkdtempSync(join(tmpdir(), 'zhixun-demo-'))
const env = { ...process.env, DATA_DIR: dir, ZHIXUN_PASSWORD: 'demo-password-test', DATABASE_URL: '' }
const runDemo = () => execFileSync('npm', ['run', '--silent', 'demo'], { env, encoding: 'utf8', timeout: 120_000 })
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('npm run demo', () => {
  it('fills an empty database with accounts, two campaigns and a few hundred check-ins, once', async () => {
    const out = runDemo()
    expect(out).toContain('demo.sup.ipo')
    const store = await openStore(join(dir, 'zhixun.sqlite'))
    try {
      const count = async (table: 'users' | 'campaigns') =>
        Number(
          (
            await store.db
              .selectFrom(table)
              .select((eb) => eb.fn.countAll().as('n'))
              .executeTakeFirstOrThrow()
          ).n,
        )
      const checkIns = await store.db
        .selectFrom('records')
        .select(['campaign_id', 'data'])
        .where('kind', '=', 'checkin')
        .execute()
      expect(await count('users')).toBe(16)
      // Everyone but the admin holds an enforcement certificate, one of them expired.
      const certificates = await store.db
        .selectFrom('users')
        .select(['role', 'certificate_number', 'certificate_expiry'])
        .execute()
      expect(certificates.filter((u) => u.certificate_number !== null)).toHaveLength(15)
      expect(
        certificates.filter((u) => u.certificate_expiry !== null && u.certificate_expiry < '2026-01-01'),
      ).toHaveLength(1)
      expect(certificates.find((u) => u.role === 'admin')?.certificate_number).toBeNull()
      expect(await count('campaigns')).toBe(2)
      expect(checkIns.length).toBeGreaterThanOrEqual(200)
      // Both campaigns have check-ins, and so does work outside them.
      const byCampaign = new Set(checkIns.map((c) => c.campaign_id))
      expect(byCampaign.size).toBe(3)
      expect(
        checkIns.filter((c) => (JSON.parse(c.data!) as { photos: unknown[] }).photos.length > 0).length,
      ).toBeGreaterThan(10)
      // Parties visited again and again, signed inspection records, reviews: every record chained and signed
      // by its inspector's phone, as the app makes them.
      const rows = await store.db
        .selectFrom('records')
        .select(['kind', 'party_id', 'signature_status', 'chain_status', 'two_certified', 'data'])
        .execute()
      const visits = new Map<string, number>()
      for (const r of rows)
        if (r.kind === 'checkin' && r.party_id) visits.set(r.party_id, (visits.get(r.party_id) ?? 0) + 1)
      expect(await store.db.selectFrom('parties').select('id').execute()).toHaveLength(7)
      expect([...visits.values()].filter((n) => n >= 3).length).toBeGreaterThanOrEqual(3)
      const inspections = rows.filter((r) => r.kind === 'inspection')
      expect(inspections.length).toBeGreaterThanOrEqual(10)
      expect(inspections.every((r) => r.two_certified === 'ok')).toBe(true)
      const signatures = inspections.flatMap((r) => (JSON.parse(r.data!) as { signatures: unknown[] }).signatures)
      expect(signatures.length).toBe(inspections.length * 3)
      const signed = rows.filter((r) => r.kind !== 'review')
      expect(signed.every((r) => r.signature_status === 'valid')).toBe(true)
      expect(signed.every((r) => r.chain_status === 'linked' || r.chain_status === 'first')).toBe(true)
      const reviews = rows.filter((r) => r.kind === 'review').map((r) => JSON.parse(r.data!) as { action: string })
      expect(reviews.map((r) => r.action)).toContain('returned')
      expect(reviews.map((r) => r.action)).toContain('reviewed')
    } finally {
      await store.close()
    }
    // A second run adds nothing.
    expect(runDemo()).toContain('already')
  }, 180_000)
})
