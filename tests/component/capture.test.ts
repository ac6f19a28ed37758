// @vitest-environment happy-dom
import 'fake-indexeddb/auto'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { db } from '../../src/db/db'
import { startSession } from '../../src/db/session'
import { mountAt, settle } from '../helpers/mount'

const me = {
  id: '01900000-0000-7000-8000-0000000000aa',
  username: 'chen',
  displayName: '陈巡查',
  department: '省知识产权局',
  role: 'inspector',
} as const

/** The phone's GPS, allowed before: each watch gets `fix` at once; watches are counted. */
function fakeGps(fix: { latitude: number; longitude: number; accuracy: number }) {
  const active = new Set<number>()
  let next = 1
  vi.stubGlobal('navigator', {
    ...navigator,
    permissions: { query: async () => ({ state: 'granted' }) },
    geolocation: {
      watchPosition: (ok: PositionCallback) => {
        const id = next++
        active.add(id)
        queueMicrotask(() => ok({ coords: fix, timestamp: Date.now() } as unknown as GeolocationPosition))
        return id
      },
      clearWatch: (id: number) => active.delete(id),
    },
  })
  return active
}

/**
 * For checks that no draft was saved, where there is no event to wait for: 400 ms, longer than the autosave
 * waits after the last change (300 ms, useCheckInDraft) plus its write to (fake) IndexedDB, a few ms.
 */
const pastAutosave = () => new Promise((r) => setTimeout(r, 400))

describe('the check-in form’s location', () => {
  beforeEach(async () => {
    await startSession(db, me, '2099-01-01T00:00:00Z')
  })
  afterEach(async () => {
    vi.unstubAllGlobals()
    await Promise.all(db.tables.map((t) => t.clear()))
  })

  it('is taken when the form opens, is not an edit on its own, is kept with the draft, and stops with the form', async () => {
    const watches = fakeGps({ latitude: 23.1291, longitude: 113.2644, accuracy: 12 })
    const { wrapper } = await mountAt('/checkins/new?task=28')
    await vi.waitFor(() => expect(wrapper.get('[data-testid="location"]').text()).toContain('误差约 12 米'))
    expect(watches.size).toBe(1)
    // The phone locating itself is not the inspector changing something: no draft yet.
    await pastAutosave()
    expect(await db.drafts.count()).toBe(0)
    await wrapper.get('[data-testid="venue-name"]').setValue('东门')
    await vi.waitFor(async () =>
      expect((await db.drafts.get('checkin:new'))?.data).toMatchObject({
        venueName: '东门',
        location: { lat: 23.1291, lng: 113.2644, accuracy: 12 },
      }),
    )
    wrapper.unmount()
    await settle()
    expect(watches.size).toBe(0)
  })
})
