import 'fake-indexeddb/auto'
import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { ZhixunDB } from '../../src/db/db'
import { saveCheckIn, saveNote } from '../../src/db/records'
import { exportFileName, exportRecords } from '../../src/records/export'
import { recordHash } from '../../src/kernel/canonical'
import { makeCheckIn, NO_AUTHOR, photoBytes, sha256 } from '../helpers/records'

describe('exporting my records', () => {
  it('puts every check-in, note and photo of mine in one file, photos byte for byte', async () => {
    const db = new ZhixunDB(`export-${Math.random()}`)
    const bytes = photoBytes(7, 120_000)
    const photo = {
      sha256: sha256(bytes),
      size: bytes.length,
      type: 'image/jpeg' as const,
      bytes: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer,
    }
    const checkIn = makeCheckIn({ photos: [{ sha256: photo.sha256, size: photo.size, type: photo.type }] })
    await saveCheckIn(db, checkIn, [photo])
    await saveNote(db, { taskNumber: 37, text: '清源行动：线索一条。', authorId: NO_AUTHOR })
    // A record pulled from the server (someone else's) is not the inspector's to export.
    await db.checkins.add({
      id: 'x',
      data: makeCheckIn(),
      taskNumbers: [1],
      hash: '',
      state: 'verified',
      origin: 'server',
      savedAt: 0,
    })

    const file = await exportRecords(db, new Date('2026-11-27T08:00:00Z'))
    expect(file).toMatchObject({ format: 'zhixun-records', formatVersion: 2, exportedAt: '2026-11-27T08:00:00.000Z' })
    // Each record with its hash and the signature made when it was saved (tests/unit/evidence.test.ts checks them).
    // The first record of this phone's chain, so the link has no previous hash.
    const chained = { ...checkIn, chain: { clientId: (await db.syncMeta.get('sync'))!.clientId, seq: 1, prev: null } }
    expect(file.checkIns).toEqual([
      { ...chained, state: 'waiting', hash: await recordHash(chained), signature: expect.any(Object) },
    ])
    expect(file.notes.map((n) => [n.text, n.state, n.deleted])).toEqual([['清源行动：线索一条。', 'waiting', false]])
    expect(file.photos).toHaveLength(1)
    const back = Buffer.from(file.photos[0]!.base64, 'base64')
    expect(createHash('sha256').update(back).digest('hex')).toBe(photo.sha256)
    // Exporting takes nothing away: the records are still queued for the server.
    expect(await db.outbox.count()).toBe(2)
    await db.delete()
  })

  it('names the file by date and time', () => {
    expect(exportFileName(new Date(2026, 10, 27, 8, 5))).toBe('zhixun-records-20261127-0805.json')
  })
})
