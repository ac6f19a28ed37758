// @vitest-environment happy-dom
import 'fake-indexeddb/auto'
import { describe, expect, it } from 'vitest'
import { db, type LocalInspection, type ParkedRecords } from '../../src/db/db'
import { makeCheckIn } from '../helpers/records'
import { mountAt } from '../helpers/mount'

describe('records set aside for a signed-out inspector', () => {
  it('counts their signed inspection records with their check-ins and notes', async () => {
    const checkIn = makeCheckIn()
    const inspection = (id: string): LocalInspection => ({
      id,
      checkInId: checkIn.id,
      state: 'waiting',
      origin: 'mine',
      savedAt: Date.now(),
    })
    const row: ParkedRecords = {
      userId: 'parked-user',
      displayName: '陈立新',
      clientId: 'parked-client-1',
      nextSeq: 4,
      outbox: [],
      checkins: [
        {
          id: checkIn.id,
          data: checkIn,
          taskNumbers: checkIn.taskNumbers,
          hash: 'h',
          state: 'waiting',
          origin: 'mine',
          savedAt: 1,
        },
      ],
      notes: [],
      photos: [],
      inspections: [inspection('a'), inspection('b')],
      parkedAt: Date.now(),
    }
    await db.parked.put(row)
    const { wrapper } = await mountAt('/settings')
    expect(wrapper.get('[data-testid="parked"]').text()).toContain('陈立新：3 条未上传记录')
  })
})
