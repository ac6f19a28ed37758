// Bundled into the benchmark page: the app's own functions for queueing check-ins and reading the queue.
import { db } from '../src/db/db'
import { saveCheckIn } from '../src/db/records'
import { uuidv7 } from '../src/kernel/uuid'

export async function queueCheckIns(n: number, authorId: string): Promise<void> {
  for (let i = 0; i < n; i++) {
    await saveCheckIn(db, {
      id: uuidv7(),
      authorId,
      venueName: `批发市场 ${i} 号档口`,
      venueType: 'market',
      occurredAt: new Date().toISOString(),
      location: { lat: 23.12, lng: 113.25, accuracy: 15 },
      outcome: i % 3 ? 'no_problem' : 'suspected',
      premisesInspected: 3,
      itemsSeized: i % 5,
      note: '例行巡查，未见明显侵权商品。',
      taskNumbers: [11, 28],
      campaignId: null,
      photos: [],
      correctionOf: null,
      createdAt: new Date().toISOString(),
    })
  }
}

export const outboxCount = () => db.outbox.count()
export const verifiedCount = () => db.checkins.where('state').equals('verified').count()
