import { describe, expect, it } from 'vitest'
import { recordHash } from '../../src/kernel/canonical'
import type { Change, CheckIn, MutationResult, PushResponse } from '../../src/kernel/sync-schema'
import { SyncEngine } from '../../src/sync/engine'
import type { SyncTransport } from '../../src/sync/transport'
import { MemorySyncStorage } from '../helpers/memory-storage'
import { makeCheckIn } from '../helpers/records'

/** A check-in the model server refuses, without writing a version: its task does not exist. */
const REFUSED_TASK = 99_999

/**
 * The server's versions as server/sync/horizon.ts hands them out: each push reserves a block of as many
 * versions as it has new mutations; a refused one writes none, so the block's end stays a gap. `answer`
 * says what a push answers as its versions: what it wrote (the server's answer), or its whole block.
 */
function blockServer(answer: 'written' | 'block') {
  let counter = 0
  const records: Change[] = []
  const lastSeq = new Map<string, number>()
  const pulls: number[] = []
  const transport: SyncTransport = {
    startPhoto: () => Promise.reject(new Error('no photos here')),
    sendPhotoChunk: () => Promise.reject(new Error('no photos here')),
    async push(req): Promise<PushResponse> {
      const processed = lastSeq.get(req.clientId) ?? 0
      const fresh = req.mutations.filter((m) => m.seq > processed)
      const block = { from: counter + 1, to: counter + fresh.length }
      counter = block.to
      let written = block.from - 1
      const results: MutationResult[] = []
      for (const m of fresh) {
        const checkIn = m.args as CheckIn
        if (checkIn.taskNumbers.includes(REFUSED_TASK)) {
          results.push({ seq: m.seq, status: 'rejected', code: 'unknown_task', reason: 'no such task' })
          continue
        }
        const version = ++written
        const hash = await recordHash(checkIn)
        records.push({ version, kind: 'checkin', id: checkIn.id, deleted: false, hash, data: checkIn })
        results.push({ seq: m.seq, status: 'applied', hash, version })
      }
      lastSeq.set(req.clientId, fresh.at(-1)?.seq ?? processed)
      const versions = answer === 'block' ? block : written >= block.from ? { from: block.from, to: written } : null
      return { lastProcessedSeq: lastSeq.get(req.clientId)!, results, ...(versions ? { versions } : {}) }
    },
    async pull(cursor, limit) {
      pulls.push(cursor)
      const after = records.filter((c) => c.version > cursor).sort((a, b) => a.version - b.version)
      const changes = structuredClone(after.slice(0, limit))
      const more = after.length > limit
      const last = changes.at(-1)?.version ?? cursor
      return { changes, cursor: more ? last : Math.max(last, counter), more }
    },
  }
  return { transport, pulls, records }
}

describe('the pull cursor over reserved blocks of versions', () => {
  it('moves past its own verified check-ins when the answer names what the push wrote, before the block’s gap', async () => {
    const server = blockServer('written')
    const phone = new MemorySyncStorage()
    const mine = [makeCheckIn(), makeCheckIn()]
    for (const c of mine) await phone.saveCheckIn(c)
    await phone.saveCheckIn(makeCheckIn({ taskNumbers: [REFUSED_TASK] }))

    // Block 1–3: versions 1 and 2 written, 3 a gap. The answer names 1–2, every one a check-in verified.
    const report = await new SyncEngine(phone, server.transport).sync()

    expect(report.pulled).toBe(0)
    expect(mine.map((c) => phone.checkIns.get(c.id)?.state)).toEqual(['verified', 'verified'])
    // The cursor moved to 2 with the answer, then the pull from 2 passed over the gap to 3.
    expect(server.pulls).toEqual([2])
    expect(phone.meta?.pullCursor).toBe(3)

    // Another phone's push takes the next block; the first phone's next pull reads it, nothing skipped.
    const theirs = makeCheckIn()
    const other = new MemorySyncStorage()
    await other.saveCheckIn(theirs)
    await new SyncEngine(other, server.transport).sync()
    expect((await new SyncEngine(phone, server.transport).sync()).pulled).toBe(1)
    expect(phone.checkIns.get(theirs.id)).toMatchObject({ origin: 'server', state: 'verified' })
    expect(phone.meta?.pullCursor).toBe(4)
  })

  it('pulls its own records back when the range holds a version it did not verify (a gap, or anyone else’s)', async () => {
    const server = blockServer('block')
    const phone = new MemorySyncStorage()
    const mine = [makeCheckIn(), makeCheckIn()]
    for (const c of mine) await phone.saveCheckIn(c)
    await phone.saveCheckIn(makeCheckIn({ taskNumbers: [REFUSED_TASK] }))

    // The answer names the whole block, 1–3: the phone cannot tell version 3 from a record it has not seen.
    const report = await new SyncEngine(phone, server.transport).sync()

    expect(server.pulls).toEqual([0])
    expect(report.pulled).toBe(2)
    expect(mine.map((c) => phone.checkIns.get(c.id)?.state)).toEqual(['verified', 'verified'])
    expect(phone.meta?.pullCursor).toBe(3)
  })

  it('does not move past a block that does not follow its cursor: another push’s versions lie between', async () => {
    const server = blockServer('written')
    const phone = new MemorySyncStorage()
    await phone.syncMeta()
    // Someone else's push takes version 1 after this phone last pulled (cursor 0).
    const theirs = makeCheckIn()
    const other = new MemorySyncStorage()
    await other.saveCheckIn(theirs)
    await new SyncEngine(other, server.transport).sync()
    const mine = makeCheckIn()
    await phone.saveCheckIn(mine)

    const report = await new SyncEngine(phone, server.transport).sync()

    // Its block is 2–2, not right after its cursor: it pulls from 0 and meets the other's record and its own.
    expect(server.pulls.at(-1)).toBe(0)
    expect(report.pulled).toBe(2)
    expect(phone.checkIns.get(theirs.id)?.origin).toBe('server')
    expect(phone.checkIns.get(mine.id)?.state).toBe('verified')
    expect(phone.meta?.pullCursor).toBe(2)
  })
})
