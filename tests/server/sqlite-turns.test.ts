/**
 * SQLite's one connection taken in turns (server/db/sqlite-driver.ts), through the store the server opens: a
 * queue of queries lets the event loop read other requests, and a health check goes before the queue. Asserted
 * by order of events, never by time.
 */
import { sql } from 'kysely'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { openStore, type Store } from '../../server/db/database'
import { readiness } from '../../server/db/readiness'

const QUEUED = 300

let store: Store
beforeEach(async () => {
  store = await openStore(':memory:')
})
afterEach(async () => {
  await store.close()
})

/** A query that keeps SQLite busy for a millisecond or so: what a burst of session lookups and pulls adds up to. */
const busyQuery = (s: Store) =>
  sql<{ n: number }>`with recursive c(x) as (select 1 union all select x + 1 from c where x < 20000)
    select count(*) as n from c`.execute(s.db)

/** Starts `QUEUED` busy queries at once; `done()` tells how many have answered so far. */
function queue(s: Store) {
  let answered = 0
  const all = Promise.all(
    Array.from({ length: QUEUED }, () =>
      busyQuery(s).then((r) => {
        answered++
        return r
      }),
    ),
  )
  return { all, done: () => answered }
}

it('lets the event loop read what has arrived while a queue of queries runs', async () => {
  const q = queue(store)
  // Scheduled after every query has queued: with the connection passed on as microtasks it ran after all of them.
  const seen = await new Promise<number>((resolve) => setImmediate(() => resolve(q.done())))
  await q.all
  expect(seen).toBeLessThan(QUEUED)
})

it('answers a health check before the queries already waiting', async () => {
  const q = queue(store)
  let answeredBefore = -1
  const health = new Promise<void>((resolve) =>
    setImmediate(() => {
      void readiness(store).then((r) => {
        expect(r.ok).toBe(true)
        answeredBefore = q.done()
        resolve()
      })
    }),
  )
  await Promise.all([q.all, health])
  expect(answeredBefore).toBeGreaterThanOrEqual(0)
  expect(answeredBefore).toBeLessThan(QUEUED / 2)
})

it('still runs every query once, in transactions and with the statements it prepared before', async () => {
  await store.db.schema.createTable('t').addColumn('n', 'integer').execute()
  await Promise.all(
    Array.from({ length: 50 }, (_, i) =>
      store.db.transaction().execute(async (tx) => {
        await tx
          .insertInto('t' as never)
          .values({ n: i } as never)
          .execute()
        await tx
          .insertInto('t' as never)
          .values({ n: i + 1000 } as never)
          .execute()
      }),
    ),
  )
  await expect(
    store.db.transaction().execute(async (tx) => {
      await tx
        .insertInto('t' as never)
        .values({ n: -1 } as never)
        .execute()
      throw new Error('rolled back')
    }),
  ).rejects.toThrow('rolled back')
  const { rows } = await sql<{ n: number; total: number }>`select count(*) as n, sum(n) as total from t`.execute(
    store.db,
  )
  expect(rows[0]).toEqual({ n: 100, total: (49 * 50) / 2 + (49 * 50) / 2 + 50 * 1000 })
})
