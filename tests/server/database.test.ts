import { expect, it } from 'vitest'
import { describeOn, makeStore } from '../helpers/server'

describeOn('postgres', 'stores on PostgreSQL', () => {
  it('opens a store in a schema of its own while another schema of the same database is in use', async () => {
    const first = await makeStore('postgres')
    try {
      const second = await makeStore('postgres')
      try {
        const counter = await second.db.selectFrom('counters').select('value').executeTakeFirstOrThrow()
        expect(counter.value).toBe(0)
      } finally {
        await second.close()
      }
    } finally {
      await first.close()
    }
  })
})
