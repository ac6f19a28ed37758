import 'fake-indexeddb/auto'
import { effectScope } from 'vue'
import { describe, expect, it } from 'vitest'
import { useSettledQuery } from '../../src/composables/useLiveQuery'
import { ZhixunDB } from '../../src/db/db'

const until = async (check: () => boolean, what: string) => {
  const end = Date.now() + 10_000
  while (!check()) {
    if (Date.now() > end) throw new Error(`waited 10 s for ${what}`)
    await new Promise((r) => setTimeout(r, 5))
  }
}

describe('a list that settles (useSettledQuery)', () => {
  it('follows a change on its own at once, and reads a burst of 40 writes a few times, not 40', async () => {
    const db = new ZhixunDB(`settled-${Math.random()}`)
    let reads = 0
    const scope = effectScope()
    const q = scope.run(() =>
      useSettledQuery(
        () => {
          reads++
          return db.drafts.count()
        },
        { tables: ['drafts'], settleMs: 300 },
      ),
    )!
    await until(() => q.loaded.value, 'the first read')
    expect(q.value.value).toBe(0)

    await db.drafts.put({ key: 'one', value: {}, updatedAt: Date.now() } as never)
    await until(() => q.value.value === 1, 'the single change')
    const afterOne = reads

    for (let i = 0; i < 40; i++) await db.drafts.put({ key: `k${i}`, value: {}, updatedAt: Date.now() } as never)
    await until(() => q.value.value === 41, 'the burst, caught up')
    expect(reads - afterOne).toBeLessThan(10)

    // A table it does not read is no reason to read again (300 ms: one settle period, and more).
    const before = reads
    await db.bookmarks.put({ taskNumber: 3, savedAt: Date.now() } as never)
    await new Promise((r) => setTimeout(r, 400))
    expect(reads).toBe(before)

    scope.stop()
    await db.drafts.put({ key: 'after', value: {}, updatedAt: Date.now() } as never)
    await new Promise((r) => setTimeout(r, 400))
    expect(reads).toBe(before)
    db.close()
  })
})
