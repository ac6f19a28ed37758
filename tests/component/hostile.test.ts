// @vitest-environment happy-dom
import 'fake-indexeddb/auto'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { Campaign } from '../../src/kernel/campaign-schema'
import { db } from '../../src/db/db'
import { saveCheckIn, saveNote } from '../../src/db/records'
import { startSession } from '../../src/db/session'
import { HOSTILE, makeCheckIn } from '../helpers/records'
import { mountAt } from '../helpers/mount'

const me = {
  id: '01900000-0000-7000-8000-0000000000aa',
  username: 'hostile',
  displayName: HOSTILE[2]!,
  department: '省知识产权局',
  role: 'supervisor',
} as const

/** Every place a user's words are shown on the phone: they must come out as the same text, never as markup. */
describe('hostile text typed by users is shown as text', () => {
  // The phone is offline: pages that ask the server show what the phone holds.
  beforeEach(() => {
    vi.stubGlobal('fetch', () => Promise.reject(new TypeError('Failed to fetch')))
  })
  afterEach(async () => {
    vi.unstubAllGlobals()
    await Promise.all(db.tables.map((t) => t.clear()))
  })

  function expectInert(root: Element, expected: readonly string[]) {
    for (const s of expected) expect(root.textContent).toContain(s)
    expect(root.querySelectorAll('script, img[src="x"], [onerror]')).toHaveLength(0)
  }

  it('in check-ins, field notes, campaigns and the account, on every page that shows them', async () => {
    await startSession(db, me, '2099-01-01T00:00:00Z')
    const venue = HOSTILE[0]!
    const note = HOSTILE[3]!.replace('\u0007', '')
    const checkIn = makeCheckIn({ authorId: me.id, venueName: venue, note, taskNumbers: [28] })
    await saveCheckIn(db, checkIn)
    await saveNote(db, { taskNumber: 28, text: `${HOSTILE[1]} ${HOSTILE[2]}`, authorId: me.id })
    const campaign: Campaign = {
      id: '01900000-0000-7000-8000-0000000000cc',
      name: HOSTILE[0]!,
      description: HOSTILE[4]!,
      taskNumbers: [28],
      departments: ['省知识产权局'],
      inspectorIds: [],
      startDate: '2026-01-01',
      endDate: '2099-12-31',
      venues: [HOSTILE[2]!],
      ownerDepartment: '省知识产权局',
      createdBy: me.id,
      version: 1,
      createdAt: '2026-01-01T00:00:00Z',
      updatedAt: '2026-01-01T00:00:00Z',
    }
    await db.campaigns.put(campaign)

    const pages: [string, string[]][] = [
      ['/records', [venue, `${HOSTILE[1]} ${HOSTILE[2]}`]],
      [`/checkins/${checkIn.id}`, [venue, note]],
      ['/tasks/28', [`${HOSTILE[1]} ${HOSTILE[2]}`]],
      ['/campaigns', [HOSTILE[0]!]],
      // Offline, the campaign page shows the phone's copy of the campaign and says the rest needs the network.
      [`/campaigns/${campaign.id}`, [HOSTILE[0]!, HOSTILE[4]!, HOSTILE[2]!, '连不上服务器']],
      ['/settings', [HOSTILE[2]!]],
    ]
    for (const [path, expected] of pages) {
      const { wrapper } = await mountAt(path)
      // A task's notes load once the task is on screen: waited for, not read at once.
      await vi.waitFor(() => expectInert(wrapper.element as Element, expected), { timeout: 5000 })
      wrapper.unmount()
    }
  })
})
