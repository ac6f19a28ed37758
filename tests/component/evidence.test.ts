// @vitest-environment happy-dom
import 'fake-indexeddb/auto'
import { describe, expect, it } from 'vitest'
import { db, type LocalCheckIn } from '../../src/db/db'
import { recordHash } from '../../src/kernel/canonical'
import { setLocale } from '../../src/modules/i18n'
import { makeCheckIn } from '../helpers/records'
import { mountAt } from '../helpers/mount'

const SERVER_HASH = 'ab12cd34ef56'.padEnd(64, '0')

async function put(overrides: Partial<LocalCheckIn>, venueName: string): Promise<LocalCheckIn> {
  const data = makeCheckIn({ venueName })
  const row: LocalCheckIn = {
    id: data.id,
    data,
    taskNumbers: data.taskNumbers,
    hash: await recordHash(data),
    state: 'verified',
    origin: 'mine',
    savedAt: Date.now(),
    signature: { keyId: 'k'.repeat(64), value: 's'.repeat(86) },
    ...overrides,
  }
  await db.checkins.put(row)
  return row
}

describe('what the phone says of a record’s copy on the server and of its signature', () => {
  it('shows a mismatch with its explanation and the start of the server’s hash, in both languages', async () => {
    const row = await put(
      { state: 'mismatch', code: 'mismatch', detail: SERVER_HASH, reason: `the server's copy has hash ${SERVER_HASH}` },
      '不一致的市场',
    )
    const { wrapper } = await mountAt(`/checkins/${row.id}`)
    const badge = wrapper.get('[data-testid="record-state"]')
    expect([badge.attributes('data-state'), badge.text()]).toEqual(['mismatch', '与服务器不一致'])
    expect(wrapper.text()).toContain('服务器上这条检查记录的副本与本机保存的不一致')
    expect(wrapper.get('[data-testid="reject-reason"]').text()).toBe(
      '服务器上的副本不同（其哈希以 ab12cd34ef56 开头）；本机记录未被改动。',
    )
    await setLocale('en')
    const en = await mountAt(`/checkins/${row.id}`)
    expect(en.wrapper.get('[data-testid="record-state"]').text()).toBe('Differs from server')
    expect(en.wrapper.get('[data-testid="reject-reason"]').text()).toBe(
      "The server holds a different copy (its hash begins ab12cd34ef56); this phone's record was not changed.",
    )
    await setLocale('zh-CN')
  })

  it('flags unsigned records, keys not yet confirmed and signatures the server refused; says so when verified', async () => {
    await db.checkins.clear()
    const unsigned = await put({ state: 'waiting', signature: undefined }, '未签名的市场')
    const unconfirmed = await put({ state: 'waiting', keyUnconfirmed: true }, '待确认的市场')
    const refused = await put({ serverSignature: 'unknown_key', keyUnconfirmed: true }, '被标记的市场')
    const valid = await put({ serverSignature: 'valid' }, '已核验的市场')
    const { wrapper } = await mountAt('/records')
    const flagOf = (id: string) => wrapper.find(`[data-checkin="${id}"] [data-testid="record-signature"]`)
    expect(flagOf(unsigned.id).text()).toBe('未签名')
    expect(flagOf(unconfirmed.id).text()).toBe('签名密钥待确认')
    expect(flagOf(refused.id).attributes('data-signature')).toBe('invalid')
    // A list shows only what needs a look.
    expect(flagOf(valid.id).exists()).toBe(false)
    const page = await mountAt(`/checkins/${valid.id}`)
    expect(page.wrapper.get('[data-testid="record-signature"]').text()).toBe('签名已核验')
    expect(page.wrapper.get('[data-testid="record-signature-explain"]').text()).toContain('服务器已核验本机的签名')
    const flagged = await mountAt(`/checkins/${unsigned.id}`)
    expect(flagged.wrapper.get('[data-testid="record-signature-explain"]').text()).toContain('无法证明此后未被改动')
  })
})
