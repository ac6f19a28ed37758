// @vitest-environment happy-dom
/**
 * A check-in in the supervisor's list shows what the server found of it (issue 11): two certified inspectors,
 * the record chain, the phone's clock, the phone's signature; its inspection record, evidence package and review.
 * Every state, in Chinese and English, and users' words always as text.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { mount } from '@vue/test-utils'
import { createMemoryHistory } from 'vue-router'
import ReportCheckInItem from '../../src/components/campaign/ReportCheckInItem.vue'
import type { ReportCheckIn, ReportFlags } from '../../src/kernel/campaign-schema'
import type { Review } from '../../src/kernel/sync-schema'
import { i18n, setLocale, type Locale } from '../../src/modules/i18n'
import { createAppRouter } from '../../src/router'
import { HOSTILE, makeCheckIn } from '../helpers/records'

const FLAGS: ReportFlags = {
  signature: 'valid',
  chain: 'linked',
  clockSkewMs: 12_000,
  certifiedCount: 2,
  twoCertified: 'ok',
}

function item(over: Partial<ReportCheckIn> = {}, flags: Partial<ReportFlags> = {}): ReportCheckIn {
  return {
    ...makeCheckIn(),
    authorName: '李巡查',
    department: '省知识产权局',
    flags: { ...FLAGS, ...flags },
    inspection: null,
    review: null,
    ...over,
  }
}

async function mountItem(checkIn: ReportCheckIn, locale: Locale = 'zh-CN', props: Record<string, boolean> = {}) {
  await setLocale(locale)
  const router = createAppRouter(createMemoryHistory())
  return mount(ReportCheckInItem, { props: { checkIn, ...props }, global: { plugins: [i18n, router] } })
}

const flagOf = (w: Awaited<ReturnType<typeof mountItem>>, flag: string) => {
  const li = w.find(`[data-testid="report-flag"][data-flag="${flag}"]`)
  expect(li.exists(), `flag ${flag}`).toBe(true)
  return { text: li.find('span:last-child').text(), tone: li.attributes('data-tone') }
}
/** What an item of the checks list says, without its mark (a symbol for the eye, hidden from screen readers). */
const textOf = (w: Awaited<ReturnType<typeof mountItem>>, testid: string) =>
  w.find(`[data-testid="${testid}"] > span:last-child`).text().replace(/\s+/g, ' ')
const stateOf = (w: Awaited<ReturnType<typeof mountItem>>) => textOf(w, 'review-state')

afterEach(() => setLocale('zh-CN'))

describe('the flags of a check-in in a report', () => {
  const twoCertified: [Partial<ReportFlags>, string, string, string][] = [
    [{ twoCertified: 'ok', certifiedCount: 2 }, 'ok', '持证执法人员 2 名', '2 certified inspectors'],
    [
      { twoCertified: 'missing', certifiedCount: 1 },
      'danger',
      '持证执法人员不足两名（1 名）',
      'Under two certified (1)',
    ],
    [
      { twoCertified: 'missing', certifiedCount: 0 },
      'danger',
      '持证执法人员不足两名（0 名）',
      'Under two certified (0)',
    ],
    [{ twoCertified: 'not_required', certifiedCount: 1 }, 'info', '持证 1 名', '1 certified'],
    [{ twoCertified: 'not_required', certifiedCount: null }, 'info', '不要求两名持证', 'Two certified not required'],
    [{ twoCertified: null, certifiedCount: null }, 'info', '未核对执法证', 'Certificates not checked'],
  ]
  it.each(twoCertified)('two certified inspectors %o', async (flags, tone, zh, en) => {
    for (const [locale, text] of [
      ['zh-CN', zh],
      ['en', en],
    ] as const) {
      const w = await mountItem(item({}, flags), locale)
      expect(flagOf(w, 'twoCertified')).toEqual({ text, tone })
      w.unmount()
    }
  })

  const chains: [ReportFlags['chain'], string, string, string][] = [
    ['linked', 'ok', '记录链完整', 'Chain intact'],
    ['first', 'ok', '记录链完整（首条）', 'Chain intact (first)'],
    ['gap', 'warn', '记录链有缺口', 'Chain gap'],
    ['broken', 'danger', '记录链断裂', 'Chain broken'],
    ['unchained', 'info', '无记录链（旧版）', 'No chain (old app)'],
  ]
  // Each with a bad signature beside it, so the chain, clock and signature are shown one by one.
  it.each(chains)('chain %s', async (chain, tone, zh, en) => {
    for (const [locale, text] of [
      ['zh-CN', zh],
      ['en', en],
    ] as const) {
      const w = await mountItem(item({}, { chain, signature: 'invalid' }), locale)
      expect(flagOf(w, 'chain')).toEqual({ text, tone })
      w.unmount()
    }
  })

  const clocks: [number | null, string, string, string][] = [
    [null, 'info', '未报时钟（旧版）', 'No clock (old app)'],
    [-299_000, 'ok', '时钟准确', 'Clock right'],
    [300_000, 'ok', '时钟准确', 'Clock right'],
    [7 * 60_000 + 20_000, 'warn', '手机时钟快 7 分钟', 'Clock 7 min ahead'],
    [-(3 * 3_600_000), 'warn', '手机时钟慢 180 分钟', 'Clock 180 min behind'],
  ]
  it.each(clocks)('clock skew %s ms', async (clockSkewMs, tone, zh, en) => {
    for (const [locale, text] of [
      ['zh-CN', zh],
      ['en', en],
    ] as const) {
      const w = await mountItem(item({}, { clockSkewMs, signature: 'invalid' }), locale)
      expect(flagOf(w, 'clock')).toEqual({ text, tone })
      w.unmount()
    }
  })

  const signatures: [ReportFlags['signature'], string, string, string][] = [
    ['valid', 'ok', '签名有效', 'Signature valid'],
    ['unsigned', 'warn', '未签名', 'Unsigned'],
    ['invalid', 'danger', '签名不符', 'Signature invalid'],
    ['unknown_key', 'danger', '签名密钥未知', 'Unknown signing key'],
  ]
  // Each beside a chain gap, so the three are shown one by one.
  it.each(signatures)('signature %s', async (signature, tone, zh, en) => {
    for (const [locale, text] of [
      ['zh-CN', zh],
      ['en', en],
    ] as const) {
      const w = await mountItem(item({}, { signature, chain: 'gap' }), locale)
      expect(flagOf(w, 'signature')).toEqual({ text, tone })
      w.unmount()
    }
  })

  const together: [string, Partial<ReportFlags>, string | null, string, string][] = [
    [
      'all fine',
      { chain: 'linked', clockSkewMs: -4 * 60_000, signature: 'valid' },
      'ok',
      '记录链、时钟、签名正常',
      'Chain, clock and signature fine',
    ],
    [
      'first in its chain, all fine',
      { chain: 'first', clockSkewMs: 0, signature: 'valid' },
      'ok',
      '记录链、时钟、签名正常',
      'Chain, clock and signature fine',
    ],
    [
      'from an app before all three',
      { chain: 'unchained', clockSkewMs: null, signature: 'unsigned' },
      'warn',
      '旧版应用：无记录链、时钟和签名',
      'Old app: no chain, clock or signature',
    ],
  ]
  it.each(together)('shows chain, clock and signature as one mark when %s', async (_, flags, tone, zh, en) => {
    for (const [locale, text] of [
      ['zh-CN', zh],
      ['en', en],
    ] as const) {
      const w = await mountItem(item({}, flags), locale)
      expect(w.findAll('[data-testid="report-flag"]').map((f) => f.attributes('data-flag'))).toEqual([
        'twoCertified',
        'integrity',
      ])
      expect(flagOf(w, 'integrity')).toEqual({ text, tone })
      w.unmount()
    }
  })

  it('shows them one by one when only some are fine or missing', async () => {
    // No chain and no clock, but signed: a phone between versions.
    const w = await mountItem(item({}, { chain: 'unchained', clockSkewMs: null, signature: 'valid' }))
    expect(w.findAll('[data-testid="report-flag"]').map((f) => f.attributes('data-flag'))).toEqual([
      'twoCertified',
      'chain',
      'clock',
      'signature',
    ])
    expect(flagOf(w, 'signature')).toEqual({ text: '签名有效', tone: 'ok' })
    w.unmount()
  })

  it('shows no flags from a server that sends none, and still the record', async () => {
    const old: ReportCheckIn = {
      ...makeCheckIn({ venueName: '旧版本的登记' }),
      authorName: '李巡查',
      department: '省知识产权局',
    }
    const w = await mountItem(old)
    expect(w.findAll('[data-testid="report-flag"]')).toHaveLength(0)
    expect(w.find('[data-testid="report-inspection"]').exists()).toBe(false)
    expect(w.text()).toContain('旧版本的登记')
    expect(stateOf(w)).toBe('未审核')
  })
})

describe('the inspection record, evidence package and review of a check-in in a report', () => {
  it('says when the inspection record was signed and whether the party refused, in both languages', async () => {
    const c = item({ inspection: { id: makeCheckIn().id, signedAt: '2026-11-20T03:05:00.000Z', partyRefused: true } })
    let w = await mountItem(c)
    expect(textOf(w, 'report-inspection')).toMatch(/^笔录 2026.* 签署 · 当事人拒签$/)
    expect(w.find('[data-testid="report-party-refused"]').text()).toBe('· 当事人拒签')
    w.unmount()
    w = await mountItem(c, 'en')
    expect(textOf(w, 'report-inspection')).toMatch(/^Record signed .*2026.* · party refused to sign$/)
    expect(w.find('[data-testid="report-party-refused"]').text()).toBe('· party refused to sign')
    w.unmount()

    w = await mountItem(item({ inspection: { ...c.inspection!, partyRefused: false } }))
    expect(w.find('[data-testid="report-party-refused"]').exists()).toBe(false)
    expect(w.find('[data-testid="report-inspection"]').classes()).toContain('ok')
    w.unmount()
    w = await mountItem(item({ inspection: null }), 'en')
    expect(textOf(w, 'report-inspection')).toBe('No inspection record')
    w.unmount()
  })

  it('links the check-in’s evidence package, named for the venue, and the audit trail for admins only', async () => {
    const c = item({ venueName: '琶洲展馆 B 区' })
    let w = await mountItem(c, 'zh-CN', { canAudit: true })
    const link = w.find('[data-testid="evidence-package"]')
    expect(link.attributes('href')).toBe(`/api/checkins/${c.id}/evidence.zip`)
    expect(link.attributes('download')).toBeDefined()
    expect(link.text()).toBe('证据包')
    expect(link.attributes('aria-label')).toBe('下载证据包：琶洲展馆 B 区')
    expect(w.find('[data-testid="audit-link"]').attributes('href')).toBe(`/audit?recordId=${c.id}`)
    w.unmount()
    w = await mountItem(c, 'en')
    expect(w.find('[data-testid="evidence-package"]').text()).toBe('Evidence')
    expect(w.find('[data-testid="audit-link"]').exists()).toBe(false)
    w.unmount()
  })

  it('shows the review: none, reviewed, or returned with its comment, in both languages', async () => {
    const review: Review = {
      id: makeCheckIn().id,
      checkInId: makeCheckIn().id,
      action: 'returned',
      comment: '请补拍展位照片。',
      reviewerId: makeCheckIn().id,
      reviewerName: '王主管',
      at: '2026-11-21T01:00:00.000Z',
    }
    let w = await mountItem(item({ review }))
    expect(w.find('[data-testid="review-state"]').attributes('data-state')).toBe('returned')
    expect(stateOf(w)).toMatch(/^已退回 · 王主管，.*2026/)
    expect(w.find('[data-testid="review-comment"]').text()).toBe('请补拍展位照片。')
    w.unmount()
    w = await mountItem(item({ review: { ...review, action: 'reviewed', comment: '' } }), 'en')
    expect(stateOf(w)).toMatch(/^Reviewed · by 王主管, .*2026/)
    expect(w.find('[data-testid="review-comment"]').exists()).toBe(false)
    w.unmount()
    w = await mountItem(item({ review: null }), 'en')
    expect(stateOf(w)).toBe('Not reviewed')
    // Only reviewers are offered the buttons.
    expect(w.find('[data-testid="review-reviewed"]').exists()).toBe(false)
    w.unmount()
  })

  it('shows hostile text in every field it shows as text, never as markup', async () => {
    const long = '长'.repeat(2000)
    for (const hostile of [...HOSTILE, long]) {
      // One-line fields (names, venues) hold no control characters: the schema refuses them.
      // eslint-disable-next-line no-control-regex
      const text = hostile.replace(/[\u0000-\u001f\u007f]/g, ' ').trim()
      const c = item({
        venueName: text,
        note: hostile,
        coInspectors: [{ userId: makeCheckIn().id, name: text, certificateNumber: text }],
        inspection: { id: makeCheckIn().id, signedAt: '2026-11-20T03:05:00.000Z', partyRefused: true },
        review: {
          id: makeCheckIn().id,
          checkInId: makeCheckIn().id,
          action: 'returned',
          comment: hostile,
          reviewerId: makeCheckIn().id,
          reviewerName: text,
          at: '2026-11-21T01:00:00.000Z',
        },
      })
      for (const locale of ['zh-CN', 'en'] as const) {
        const w = await mountItem(c, locale, { canReview: true, canAudit: true })
        const root = w.element as Element
        expect(root.querySelectorAll('script, img, [onerror]')).toHaveLength(0)
        expect(w.find('.venue').text()).toBe(text)
        expect(w.find('[data-testid="review-comment"]').element.textContent).toBe(hostile)
        expect(w.find('[data-testid="report-co-inspectors"]').text()).toContain(text)
        expect(w.find('[data-testid="review-state"]').text()).toContain(text)
        expect(w.find('[data-testid="evidence-package"]').attributes('aria-label')).toContain(text)
        w.unmount()
      }
    }
  })
})
