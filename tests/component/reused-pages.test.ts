// @vitest-environment happy-dom
import 'fake-indexeddb/auto'
import { describe, expect, it } from 'vitest'
import { db } from '../../src/db/db'
import { saveCheckIn } from '../../src/db/records'
import { makeCheckIn } from '../helpers/records'
import { mountAt, settle } from '../helpers/mount'

/** The router reuses a page for another id; what the page reads from IndexedDB must follow. */
describe('pages reused by the router', () => {
  it('a check-in page shows the correction it links to, not the original', async () => {
    await db.checkins.clear()
    const original = makeCheckIn({ venueName: '原记录市场' })
    const correction = makeCheckIn({ venueName: '更正后市场', correctionOf: original.id })
    await saveCheckIn(db, original)
    await saveCheckIn(db, correction)
    const { wrapper, router } = await mountAt(`/checkins/${original.id}`)
    expect(wrapper.get('h1').text()).toBe('原记录市场')
    await router.push(`/checkins/${correction.id}`)
    await settle()
    expect(wrapper.get('h1').text()).toBe('更正后市场')
  })

  it('a task page counts the check-ins of the task it now shows', async () => {
    await db.checkins.clear()
    await saveCheckIn(db, makeCheckIn({ taskNumbers: [28] }))
    const { wrapper, router } = await mountAt('/tasks/28')
    expect(wrapper.text()).toContain('我在此任务下有 1 条巡查登记')
    await router.push('/tasks/29')
    await settle()
    expect(wrapper.text()).not.toContain('我在此任务下有')
  })

  it('the records page shows more when asked, and the task it is filtered to', async () => {
    await db.checkins.clear()
    for (let i = 0; i < 55; i++)
      await saveCheckIn(db, makeCheckIn({ venueName: `市场 ${i}`, taskNumbers: [i < 5 ? 17 : 28] }))
    const { wrapper, router } = await mountAt('/records')
    expect(wrapper.findAll('[data-testid="checkin-list"] li')).toHaveLength(50)
    await wrapper.get('button.more').trigger('click')
    await settle()
    expect(wrapper.findAll('[data-testid="checkin-list"] li')).toHaveLength(55)
    await router.push('/records?task=17')
    await settle()
    expect(wrapper.findAll('[data-testid="checkin-list"] li')).toHaveLength(5)
  })
})
