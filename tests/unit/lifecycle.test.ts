import 'fake-indexeddb/auto'
import { describe, expect, it } from 'vitest'
import { ZhixunDB } from '../../src/db/db'
import { releaseOnPageHide } from '../../src/db/lifecycle'
import { syncMeta } from '../../src/db/outbox'

/** The window events the phone reacts to, without a browser: pagehide and pageshow on an EventTarget. */
function fakeWindow() {
  const target = new EventTarget()
  let reloads = 0
  const win = Object.assign(target, { location: { reload: () => reloads++ } }) as unknown as Window
  const fire = (type: 'pagehide' | 'pageshow', persisted: boolean) =>
    target.dispatchEvent(Object.assign(new Event(type), { persisted }))
  return { win, fire, reloads: () => reloads }
}

describe('leaving the page', () => {
  it('aborts a transaction still running and closes the connection, so the next page can write', async () => {
    const name = `lifecycle-${Math.random()}`
    const leaving = new ZhixunDB(name)
    const { win, fire } = fakeWindow()
    releaseOnPageHide(leaving, win)
    await syncMeta(leaving)

    // A sync caught mid-transaction: it keeps reading until something ends it.
    let reads = 0
    const running = leaving.transaction('rw', leaving.syncMeta, async () => {
      for (;;) {
        await leaving.syncMeta.get('sync')
        if (++reads === 3) fire('pagehide', true)
      }
    })
    // Aborted: its next read fails, and the loop with it.
    await expect(running).rejects.toThrow()
    expect(leaving.isOpen()).toBe(false)

    // The next page of the app writes the same table (fake-indexeddb, like WebKit, makes a read-write
    // transaction wait for one still running on its tables: without the abort this waits for ever).
    const next = new ZhixunDB(name)
    await next.transaction('rw', next.syncMeta, () => next.syncMeta.update('sync', { lastError: 'none' }))
    expect((await next.syncMeta.get('sync'))?.lastError).toBe('none')
    next.close()
  })

  it('reloads a page brought back from the back/forward cache, and only then', async () => {
    const db = new ZhixunDB(`lifecycle-${Math.random()}`)
    const { win, fire, reloads } = fakeWindow()
    releaseOnPageHide(db, win)
    fire('pageshow', false)
    expect(reloads()).toBe(0)
    fire('pageshow', true)
    expect(reloads()).toBe(1)
  })
})
