import 'fake-indexeddb/auto'
import { describe, expect, it } from 'vitest'
import { nextChainLink, saveChained } from '../../src/db/chain'
import { ZhixunDB } from '../../src/db/db'
import { lastQueuedSeq } from '../../src/db/outbox'
import { saveCheckIn, saveNote } from '../../src/db/records'
import { markExported, startSession } from '../../src/db/session'
import { recordHash } from '../../src/kernel/canonical'
import type { ChainLink, CheckIn, FieldNote } from '../../src/kernel/sync-schema'
import type { SessionUser } from '../../src/kernel/users'
import { uuidv7 } from '../../src/kernel/uuid'
import { makeCheckIn, NO_AUTHOR } from '../helpers/records'

const newDb = () => new ZhixunDB(`chain-${Math.random()}`)

/** Every record this phone made, as queued for the server (each save has its entry), by its place in the chain. */
async function chainOf(db: ZhixunDB): Promise<{ link: ChainLink; hash: string }[]> {
  const records = (await db.outbox.toArray()).map((e) =>
    e.name === 'note.put' ? (e.args as { note: FieldNote }).note : (e.args as CheckIn),
  )
  const chain = await Promise.all(records.map(async (r) => ({ link: r.chain!, hash: await recordHash(r) })))
  return chain.sort((a, b) => a.link.seq - b.link.seq)
}

describe("this phone's record chain", () => {
  it('numbers check-ins and note saves 1, 2, 3… each naming the hash of the one before', async () => {
    const db = newDb()
    const a = await saveCheckIn(db, makeCheckIn())
    const note = await saveNote(db, { taskNumber: 28, text: '线索一', authorId: NO_AUTHOR })
    const b = await saveCheckIn(db, makeCheckIn({ venueName: '华南国际小商品城' }))
    // An edit of the note is a record of the chain of its own.
    const edit = await saveNote(db, { id: note.id, taskNumber: 28, text: '线索一（补充）', authorId: NO_AUTHOR })
    const { clientId } = (await db.syncMeta.get('sync'))!

    expect(a.data.chain).toEqual({ clientId, seq: 1, prev: null })
    expect(note.data.chain).toEqual({ clientId, seq: 2, prev: a.hash })
    expect(b.data.chain).toEqual({ clientId, seq: 3, prev: note.hash })
    expect(edit.data.chain).toEqual({ clientId, seq: 4, prev: b.hash })
    // Each hash is of the record with its link inside, so the record's signature covers the link.
    expect(edit.hash).toBe(await recordHash(edit.data))
    const meta = (await db.syncMeta.get('sync'))!
    expect([meta.chainSeq, meta.chainHead]).toEqual([4, edit.hash])
    // What goes to the server is what was saved: links and all.
    const chain = await chainOf(db)
    expect(chain.map((r) => r.link.seq)).toEqual([1, 2, 3, 4])
    for (let i = 1; i < chain.length; i++) expect(chain[i]!.link.prev).toBe(chain[i - 1]!.hash)
    await db.delete()
  })

  it('never gives two saves running at once the same number, and leaves no gap', async () => {
    const db = newDb()
    // Two "tabs" (two connections to the same database) saving at once, many times over.
    const other = new ZhixunDB(db.name)
    const saves = Array.from({ length: 24 }, (_, i) =>
      i % 3 === 2
        ? saveNote(i % 2 ? db : other, { taskNumber: 28, text: `笔记 ${i}`, authorId: NO_AUTHOR })
        : saveCheckIn(i % 2 ? db : other, makeCheckIn({ venueName: `场所 ${i}` })),
    )
    const saved = await Promise.all(saves)
    const seqs = saved.map((r) => r.data.chain!.seq).sort((x, y) => x - y)
    expect(seqs).toEqual(Array.from({ length: 24 }, (_, i) => i + 1))
    const chain = await chainOf(db)
    expect(chain).toHaveLength(24)
    expect(chain[0]!.link.prev).toBeNull()
    for (let i = 1; i < chain.length; i++) expect(chain[i]!.link.prev, `seq ${i + 1}`).toBe(chain[i - 1]!.hash)
    other.close()
    await db.delete()
  })

  it('takes no number for a save that fails: the next record has it', async () => {
    const db = newDb()
    await saveCheckIn(db, makeCheckIn())
    await expect(
      saveChained(
        db,
        [db.checkins],
        async (link) => ({ hash: await recordHash(link) }),
        async () => {
          throw new Error('the disk is full')
        },
      ),
    ).rejects.toThrow('the disk is full')
    expect((await nextChainLink(db)).seq).toBe(2)
    const next = await saveCheckIn(db, makeCheckIn())
    expect(next.data.chain?.seq).toBe(2)
    await db.delete()
  })

  it('builds again on the new head when another save took the link while it was hashing', async () => {
    const db = newDb()
    const first = await saveCheckIn(db, makeCheckIn())
    const otherTab = new ZhixunDB(db.name)
    let built = 0
    let sneaked: Awaited<ReturnType<typeof saveCheckIn>> | undefined
    const result = await saveChained(
      db,
      [db.checkins],
      async (link) => {
        built++
        // While this one is being prepared, another tab's save takes the chain's next link.
        if (!sneaked) sneaked = await saveCheckIn(otherTab, makeCheckIn({ venueName: '插队' }))
        return { link, hash: await recordHash({ link }) }
      },
      async () => {},
    )
    expect(built).toBe(2)
    expect(sneaked!.data.chain).toMatchObject({ seq: 2, prev: first.hash })
    expect(result.link).toMatchObject({ seq: 3, prev: sneaked!.hash })
    otherTab.close()
    await db.delete()
  })

  it('goes on where it stopped when a user whose records were parked signs in again on the phone', async () => {
    const db = newDb()
    const person = (name: string): SessionUser => ({
      id: uuidv7(),
      username: name,
      displayName: name,
      department: '省知识产权局',
      role: 'inspector',
    })
    const [a, b] = [person('a.inspector'), person('b.inspector')]
    await startSession(db, a, '2099-01-01T00:00:00Z')
    const first = await saveCheckIn(db, makeCheckIn({ authorId: a.id }))
    await markExported(db, await lastQueuedSeq(db))
    // Someone else uses the phone: a's unsent (exported) records are parked, b's chain is a new client's.
    await startSession(db, b, '2099-01-01T00:00:00Z')
    const other = await saveCheckIn(db, makeCheckIn({ authorId: b.id }))
    expect(other.data.chain).toMatchObject({ seq: 1, prev: null })
    expect(other.data.chain!.clientId).not.toBe(first.data.chain!.clientId)
    await markExported(db, await lastQueuedSeq(db))
    await startSession(db, a, '2099-01-01T00:00:00Z')
    const next = await saveCheckIn(db, makeCheckIn({ authorId: a.id }))
    expect(next.data.chain).toEqual({ clientId: first.data.chain!.clientId, seq: 2, prev: first.hash })
    await db.delete()
  })
})
