import type { Table } from 'dexie'
import { ZhixunError } from '@/kernel/errors'
import type { ChainLink } from '@/kernel/sync-schema'
import type { SyncMeta, ZhixunDB } from './db'
import { syncMeta } from './outbox'

/**
 * The per-client record chain (tamper evidence): every record this phone makes (a check-in, a note save, a
 * signed inspection record) names its client id, its number in that client's chain and the hash of the record
 * before it. The number must never be taken twice (two tabs saving at once) and never skipped (the server
 * flags a gap as a deleted record).
 *
 * Hashing and signing are not IndexedDB work and must not happen inside a transaction, yet the link they
 * cover is only safe to take inside one. So a save is optimistic: it reads the chain's head, builds, hashes
 * and signs the record on that link, and then, in the one transaction that writes the record, its outbox entry
 * and the new head, checks that the head is still the one it built on. If another save got there first it
 * builds again on the new head. Nothing is reserved ahead, so a save that fails or is abandoned leaves no gap.
 * (Taking the link first in a transaction of its own would leave a gap whenever the save then failed, and the
 * server would flag it as a record deleted.)
 */

/** The link the next record of this phone's client would carry, as the chain stands now. */
export async function nextChainLink(db: ZhixunDB): Promise<ChainLink> {
  // Read first: the read-write transaction that makes the row is needed once per phone, not once per save.
  const meta = (await db.syncMeta.get('sync')) ?? (await syncMeta(db))
  return linkAfter(meta)
}

const linkAfter = (meta: SyncMeta): ChainLink => ({
  clientId: meta.clientId,
  seq: (meta.chainSeq ?? 0) + 1,
  prev: meta.chainSeq ? (meta.chainHead ?? null) : null,
})

/** Whether `link` is still the one that follows the chain's head in `meta`. */
function stillNext(meta: SyncMeta | undefined, link: ChainLink): boolean {
  if (!meta) return false
  const next = linkAfter(meta)
  return next.clientId === link.clientId && next.seq === link.seq && next.prev === link.prev
}

/** Another save kept taking the chain's next link: something is badly wrong (a loop of tabs saving). */
export class ChainBusyError extends ZhixunError<'chain_busy'> {
  constructor() {
    super('chain_busy', 'the record chain kept moving while saving; try again')
    this.name = 'ChainBusyError'
  }
}

const MAX_ATTEMPTS = 20

/**
 * The saves of one connection (one tab) wait for each other, so they never race for a link; only another tab's
 * save can take one first, and then this one builds again.
 */
const queues = new WeakMap<ZhixunDB, Promise<unknown>>()

function oneAtATime<T>(db: ZhixunDB, run: () => Promise<T>): Promise<T> {
  const result = (queues.get(db) ?? Promise.resolve()).then(run, run)
  queues.set(
    db,
    result.catch(() => undefined),
  )
  return result
}

/**
 * Saves one chained record. `prepare` builds, hashes and signs the record on the link it is given (outside any
 * transaction); `write` stores it and its outbox entry inside the transaction over `tables` (syncMeta is added),
 * where the link is checked and the chain's head moved to the record's hash. Returns what `prepare` made.
 * `write` may throw to refuse the save (nothing is written then).
 */
export async function saveChained<P extends { hash: string }>(
  db: ZhixunDB,
  tables: Table[],
  prepare: (link: ChainLink) => Promise<P>,
  write: (prepared: P) => Promise<void>,
): Promise<P> {
  return oneAtATime(db, () => saveOnNextLink(db, tables, prepare, write))
}

async function saveOnNextLink<P extends { hash: string }>(
  db: ZhixunDB,
  tables: Table[],
  prepare: (link: ChainLink) => Promise<P>,
  write: (prepared: P) => Promise<void>,
): Promise<P> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const link = await nextChainLink(db)
    const prepared = await prepare(link)
    const saved = await db.transaction('rw', [...new Set([db.syncMeta, db.outbox, ...tables])], async () => {
      const meta = await db.syncMeta.get('sync')
      if (!stillNext(meta, link)) return false
      await write(prepared)
      await db.syncMeta.update('sync', { chainSeq: link.seq, chainHead: prepared.hash })
      return true
    })
    if (saved) return prepared
  }
  throw new ChainBusyError()
}
