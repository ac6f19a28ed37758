// Bundled into the benchmark page: the app's own saveCheckIn(), on the app's own database, timed one save at a time.
import { db } from '../src/db/db'
import { saveCheckIn } from '../src/db/records'
import { uuidv7 } from '../src/kernel/uuid'

/** Saves `n` check-ins one after another, as fast as each is done; returns each save's time in ms, in order. */
export async function timeSaves(n: number, authorId: string): Promise<number[]> {
  const times: number[] = []
  for (let i = 0; i < n; i++) {
    const now = new Date().toISOString()
    const t0 = performance.now()
    await saveCheckIn(db, {
      id: uuidv7(),
      authorId,
      venueName: `批发市场 ${i} 号档口`,
      venueType: 'market',
      occurredAt: now,
      location: { lat: 23.12, lng: 113.25, accuracy: 15 },
      outcome: i % 3 ? 'no_problem' : 'suspected',
      premisesInspected: 3,
      itemsSeized: i % 5,
      note: '例行巡查，未见明显侵权商品。',
      taskNumbers: i % 2 ? [28] : [11, 28],
      campaignId: null,
      photos: [],
      correctionOf: null,
      createdAt: now,
    })
    times.push(performance.now() - t0)
  }
  return times
}
