import type { DBCore, DBCoreTransaction } from 'dexie'
import type { ZhixunDB } from './db'

/**
 * Leaving the page releases IndexedDB. Safari keeps a page it leaves in its back/forward cache, frozen —
 * and with it any transaction still running (a sync's, at the moment the inspector opened a link). A frozen
 * read-write transaction holds its tables: the next page of the app, opened in the same browser, then waits
 * on them for ever (seen in WebKit: the first save after such a navigation never finished). So every
 * transaction still open when the page is hidden is aborted — exactly what a closed tab does to it, and
 * what every write here is made to survive: each is one transaction, rolled back whole — and the
 * connection is closed. A page the browser brings back from that cache starts afresh.
 */
export function releaseOnPageHide(db: ZhixunDB, win: Window = window): void {
  const open = new Set<DBCoreTransaction>()
  db.use({
    stack: 'dbcore',
    name: 'releaseOnPageHide',
    create: (down: DBCore): Partial<DBCore> => ({
      ...down,
      transaction(stores, mode, options) {
        const tx = down.transaction(stores, mode, options)
        // Under Dexie's IndexedDB core this is the IDBTransaction itself.
        const events = tx as Partial<Pick<IDBTransaction, 'addEventListener'>>
        if (typeof events.addEventListener === 'function') {
          open.add(tx)
          const done = () => open.delete(tx)
          for (const end of ['complete', 'abort', 'error'] as const) events.addEventListener(end, done, { once: true })
        }
        return tx
      },
    }),
  })
  win.addEventListener('pagehide', () => {
    for (const tx of open) {
      try {
        tx.abort()
      } catch {
        // It finished in the meantime.
      }
    }
    open.clear()
    db.close({ disableAutoOpen: true })
  })
  win.addEventListener('pageshow', (event) => {
    // Back from the cache with the connection closed above: load the app again, as a new visit does.
    if (event.persisted) win.location.reload()
  })
}
