import { describe, expect, it } from 'vitest'
import { ApiError } from '../../src/api/http'
import { recordHash } from '../../src/kernel/canonical'
import { retentionCutoff } from '../../src/kernel/retention'
import type {
  Change,
  CheckIn,
  MutationArgs,
  MutationResult,
  PushMutation,
  PushResponse,
} from '../../src/kernel/sync-schema'
import { SyncEngine } from '../../src/sync/engine'
import type { SyncTransport } from '../../src/sync/transport'
import { MemorySyncStorage } from '../helpers/memory-storage'
import { makeCheckIn, makeNote, photoBytes, sha256 } from '../helpers/records'

/**
 * The push/pull protocol in a few lines, so the engine's own logic can be driven in milliseconds: sequence
 * numbers per client (a repeat is skipped), a version per change, photos by offset.
 */
function memoryServer() {
  let version = 0
  const records = new Map<string, Change>()
  const lastSeq = new Map<string, number>()
  const photoSizes = new Map<string, number>()
  const received = new Map<string, number>()
  const faults = { loseNextAnswer: false, signedOut: false }
  const log: { pushed: number[] } = { pushed: [] }

  const guard = () => {
    if (faults.signedOut) throw new ApiError(401, { error: 'signed_out' })
  }
  async function apply(m: PushMutation): Promise<MutationResult> {
    const { id, data } =
      m.name === 'checkin.create'
        ? { id: (m.args as CheckIn).id, data: m.args as CheckIn }
        : { id: (m.args as MutationArgs['note.put']).note.id, data: (m.args as MutationArgs['note.put']).note }
    records.set(id, {
      version: ++version,
      kind: m.name === 'checkin.create' ? 'checkin' : 'note',
      id,
      deleted: false,
      hash: await recordHash(data),
      data,
    })
    log.pushed.push(m.seq)
    return { seq: m.seq, status: 'applied' }
  }

  const transport: SyncTransport = {
    async startPhoto(ref) {
      guard()
      photoSizes.set(ref.sha256, ref.size)
      const offset = received.get(ref.sha256) ?? 0
      return { offset, complete: offset === ref.size }
    },
    async sendPhotoChunk(sha, offset, chunk) {
      const end = offset + chunk.length
      received.set(sha, end)
      return { offset: end, complete: end === photoSizes.get(sha) }
    },
    async push(req): Promise<PushResponse> {
      guard()
      let processed = lastSeq.get(req.clientId) ?? 0
      const results: MutationResult[] = []
      for (const m of req.mutations) {
        if (m.seq <= processed) continue
        results.push(await apply(m))
        processed = m.seq
      }
      lastSeq.set(req.clientId, processed)
      if (faults.loseNextAnswer) {
        faults.loseNextAnswer = false
        throw new TypeError('Failed to fetch')
      }
      return { lastProcessedSeq: processed, results }
    },
    async pull(cursor, limit) {
      guard()
      const after = [...records.values()].filter((c) => c.version > cursor).sort((a, b) => a.version - b.version)
      const changes = structuredClone(after.slice(0, limit))
      return { changes, cursor: changes.at(-1)?.version ?? cursor, more: after.length > limit }
    },
  }
  return { transport, records, received, faults, log, add: apply }
}

function photo(seed: number) {
  const bytes = photoBytes(seed, 30_000)
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer
  return { sha256: sha256(bytes), size: bytes.length, type: 'image/jpeg' as const, bytes: buffer }
}

describe('the sync engine over storage in memory', () => {
  it('pushes the outbox in order with its photos, lets entries go once acknowledged, and marks records sent', async () => {
    const phone = new MemorySyncStorage()
    const server = memoryServer()
    const p = photo(1)
    const first = makeCheckIn({ photos: [{ sha256: p.sha256, size: p.size, type: p.type }] })
    const second = makeCheckIn()
    const note = makeNote()
    await phone.saveCheckIn(first, [p])
    await phone.saveCheckIn(second)
    await phone.saveNote(note)

    const report = await new SyncEngine(phone, server.transport, { batchSize: 2, chunkBytes: 8_000 }).sync()

    expect(report).toMatchObject({ pushed: 3, photosUploaded: 1 })
    expect(server.log.pushed).toEqual([1, 2, 3])
    expect(server.received.get(p.sha256)).toBe(p.size)
    expect(phone.outbox.size).toBe(0)
    expect(phone.photos.get(p.sha256)?.state).toBe('verified')
    // Pulled straight back with the same hash: the server holds exactly what the phone sent.
    expect(phone.checkIns.get(first.id)?.state).toBe('verified')
    expect(phone.notes.get(note.id)?.state).toBe('verified')
    expect(phone.meta?.lastSyncAt).toBeTypeOf('number')
    expect(phone.meta).not.toHaveProperty('lastError')
  })

  it('marks a record sent, not verified, until the pull brings it back', async () => {
    const phone = new MemorySyncStorage()
    const server = memoryServer()
    const checkIn = makeCheckIn()
    await phone.saveCheckIn(checkIn)
    const pushOnly: SyncTransport = {
      ...server.transport,
      pull: async (cursor) => ({ changes: [], cursor, more: false }),
    }
    await new SyncEngine(phone, pushOnly).sync()
    expect(phone.checkIns.get(checkIn.id)?.state).toBe('sent')
    expect(phone.outbox.size).toBe(0)
  })

  it('pulls others’ records a page at a time and writes the cursor with them', async () => {
    const phone = new MemorySyncStorage()
    const server = memoryServer()
    const theirs = Array.from({ length: 7 }, () => makeCheckIn())
    for (const [i, c] of theirs.entries()) await server.add({ seq: i + 1, name: 'checkin.create', args: c })
    const pulls: number[] = []
    const counting: SyncTransport = {
      ...server.transport,
      pull: (cursor, limit) => (pulls.push(cursor), server.transport.pull(cursor, limit)),
    }

    const report = await new SyncEngine(phone, counting, { pullPage: 3 }).sync()

    expect(report.pulled).toBe(7)
    expect(pulls).toEqual([0, 3, 6])
    expect(phone.meta?.pullCursor).toBe(7)
    expect([...phone.checkIns.values()].map((c) => [c.id, c.origin, c.state])).toEqual(
      theirs.map((c) => [c.id, 'server', 'verified']),
    )
    // Nothing new: one look, from the cursor it wrote.
    pulls.length = 0
    expect((await new SyncEngine(phone, counting, { pullPage: 3 }).sync()).pulled).toBe(0)
    expect(pulls).toEqual([7])
  })

  it('says when it pulls what it keeps, by its own clock, and which client it is', async () => {
    const phone = new MemorySyncStorage()
    const server = memoryServer()
    const said: unknown[] = []
    const listening: SyncTransport = {
      ...server.transport,
      pull: (cursor, limit, me) => (said.push(me), server.transport.pull(cursor, limit)),
    }
    const now = Date.UTC(2026, 10, 28, 8)
    await new SyncEngine(phone, listening, { now: () => now }).sync()
    // The moment before which it lets go of its synced check-ins (src/db/retention.ts): the server sends none of them.
    expect(said).toEqual([{ keepFrom: retentionCutoff(now), clientId: phone.meta!.clientId }])
  })

  it('takes a check-in that comes again below the cursor, with the review that returned it, as pulled', async () => {
    const phone = new MemorySyncStorage()
    const server = memoryServer()
    const old = makeCheckIn({ occurredAt: '2025-01-10T02:00:00.000Z' })
    const review = {
      id: '01900000-0000-7000-8000-0000000000aa',
      checkInId: old.id,
      action: 'returned',
      comment: '请补拍照片。',
      reviewerId: 'supervisor',
      reviewerName: '李主管',
      at: '2026-11-28T02:00:00.000Z',
    }
    const again: SyncTransport = {
      ...server.transport,
      pull: async (cursor) => ({
        changes:
          cursor === 40
            ? [
                { version: 3, kind: 'checkin', id: old.id, deleted: false, hash: await recordHash(old), data: old },
                { version: 41, kind: 'review', id: review.id, deleted: false, hash: null, data: review as never },
              ]
            : [],
        cursor: Math.max(cursor, 41),
        more: false,
      }),
    }
    phone.meta = { key: 'sync', clientId: 'phone-0001', nextSeq: 1, pullCursor: 40 }
    await new SyncEngine(phone, again).sync()
    expect(phone.checkIns.get(old.id)).toMatchObject({ state: 'verified', serverVersion: 3, origin: 'server' })
    expect(phone.reviews.get(review.id)).toMatchObject({ checkInId: old.id, action: 'returned' })
    expect(phone.meta.pullCursor).toBe(41)
  })

  it('holds back a pulled note while an edit of it is queued, and reads it again once the edit is pushed', async () => {
    const phone = new MemorySyncStorage()
    const server = memoryServer()
    const note = makeNote({ text: 'v1' })
    await phone.saveNote(note)
    await new SyncEngine(phone, server.transport).sync()
    await server.add({
      seq: 1,
      name: 'note.put',
      args: { note: { ...note, text: 'changed elsewhere' }, baseVersion: 1 },
    })
    // The inspector edits the note while the server's change is on its way down.
    const editedMidway: SyncTransport = {
      ...server.transport,
      pull: async (cursor, limit) => {
        const page = await server.transport.pull(cursor, limit)
        await phone.saveNote({ ...note, text: 'changed here' })
        return page
      },
    }

    await new SyncEngine(phone, editedMidway).sync()

    expect(phone.notes.get(note.id)).toMatchObject({ state: 'waiting', data: { text: 'changed here' } })
    expect(phone.meta?.pullCursor).toBe(1)
    await new SyncEngine(phone, server.transport).sync()
    expect(phone.notes.get(note.id)).toMatchObject({ state: 'verified', data: { text: 'changed here' } })
    expect(phone.meta?.pullCursor).toBe(3)
  })

  it('retries after a lost acknowledgement without sending anything twice', async () => {
    const phone = new MemorySyncStorage()
    const server = memoryServer()
    const checkIns = [makeCheckIn(), makeCheckIn(), makeCheckIn()]
    for (const c of checkIns) await phone.saveCheckIn(c)
    const engine = new SyncEngine(phone, server.transport)

    server.faults.loseNextAnswer = true
    await expect(engine.sync()).rejects.toThrow('Failed to fetch')
    // The server has them all; the phone, not knowing, keeps every entry and every record waiting.
    expect(server.records.size).toBe(3)
    expect(phone.outbox.size).toBe(3)
    expect([...phone.checkIns.values()].map((c) => c.state)).toEqual(['waiting', 'waiting', 'waiting'])
    expect(phone.meta?.lastError).toBe('Failed to fetch')

    const report = await engine.sync()

    expect(server.log.pushed).toEqual([1, 2, 3])
    expect(server.records.size).toBe(3)
    expect(report.pushed).toBe(0) // the server skipped every repeat
    expect(phone.outbox.size).toBe(0)
    expect([...phone.checkIns.values()].map((c) => c.state)).toEqual(['verified', 'verified', 'verified'])
    expect(phone.meta).not.toHaveProperty('lastError')
  })

  it('on a 401 marks the session expired and touches no record', async () => {
    const phone = new MemorySyncStorage()
    const server = memoryServer()
    const checkIn = makeCheckIn()
    await phone.saveCheckIn(checkIn)
    server.faults.signedOut = true

    await expect(new SyncEngine(phone, server.transport).sync()).rejects.toMatchObject({
      name: 'SyncFailure',
      code: 'signed_out',
    })

    expect(phone.session?.expired).toBe(true)
    expect(phone.outbox.size).toBe(1)
    expect(phone.checkIns.get(checkIn.id)?.state).toBe('waiting')
    expect(phone.meta?.lastError).toBe('signed out')
  })
})
