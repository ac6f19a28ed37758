import 'fake-indexeddb/auto'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ZhixunDB } from '../../src/db/db'
import { startSession } from '../../src/db/session'
import { EXPORT_FORMAT } from '../../src/records/export'
import { importRecords } from '../../src/records/import'
import { makeCheckIn, makeNote } from '../helpers/records'

const me = {
  id: '01900000-0000-7000-8000-0000000000aa',
  username: 'chen',
  displayName: '陈巡查',
  department: '省知识产权局',
  role: 'inspector',
} as const
const someoneElse = '01900000-0000-7000-8000-0000000000bb'

/** An export file as "Export my records" writes it, with whatever the test puts in it. */
function file(parts: Record<string, unknown> = {}) {
  return JSON.stringify({
    format: EXPORT_FORMAT,
    formatVersion: 1,
    exportedAt: '2026-11-20T03:00:00.000Z',
    clientId: 'old-phone-0001',
    checkIns: [],
    notes: [],
    photos: [],
    ...parts,
  })
}
const waitingCheckIn = (overrides: object = {}) => ({
  ...makeCheckIn({ authorId: me.id }),
  state: 'waiting',
  ...overrides,
})
const waitingNote = (overrides: object = {}) => ({
  ...makeNote({ authorId: me.id }),
  state: 'waiting',
  deleted: false,
  ...overrides,
})

/** The file schema takes what the hand-written checks took, and refuses what they refused, with the same code. */
describe('the export file, checked whole before anything is written', () => {
  let db: ZhixunDB
  beforeEach(async () => {
    db = new ZhixunDB(`import-${Math.random()}`)
    await startSession(db, me, '2099-01-01T00:00:00Z')
  })
  afterEach(async () => {
    await db.delete()
  })

  it('queues the unsent records, and only counts those the server has, whatever their shape', async () => {
    const text = file({
      checkIns: [
        waitingCheckIn({ reason: 'unknown task 999', venueName: '  东门市场 ' }),
        { id: 'whatever', authorId: me.id, state: 'verified', extra: { any: 'thing' } },
        { authorId: me.id, state: 'rejected', reason: 'invalid venueName' },
      ],
      notes: [
        waitingNote({ conflictOf: null }),
        waitingNote({ text: '', deleted: true }),
        waitingNote({ conflictOf: '01900000-0000-7000-8000-0000000000cc', surprise: 1 }),
        { authorId: me.id, state: 'sent', deleted: false },
        { authorId: me.id, state: 'draft', deleted: true },
      ],
      futureField: 'ignored',
    })
    // A file from before phones signed: taken in as it always was, its records marked unsigned.
    expect(await importRecords(db, text, me.id)).toEqual({
      queued: 2,
      alreadyHere: 0,
      onServer: 3,
      unsigned: 2,
      unconfirmed: 0,
    })
    expect((await db.checkins.toArray()).map((c) => c.data.venueName)).toEqual(['东门市场'])
    expect(await db.notes.count()).toBe(1)
    expect(await db.outbox.count()).toBe(2)
  })

  it('refuses what is not JSON, and JSON that is not an export, with those codes', async () => {
    for (const text of ['{"format":"zhixun-records"', '', 'undefined'])
      await expect(importRecords(db, text, me.id), text).rejects.toMatchObject({ code: 'not_json' })
    for (const text of ['null', '[]', '42', '"zhixun-records"', '{}', '{"format":"zhixun-notes","checkIns":[]}'])
      await expect(importRecords(db, text, me.id), text).rejects.toMatchObject({ code: 'not_export' })
  })

  it('refuses a damaged file whole as invalid, and writes nothing', async () => {
    const damaged: [string, string][] = [
      ['a later format', file({ formatVersion: 2 })],
      ['no photo list', file({ photos: undefined })],
      ['records not in a list', file({ checkIns: {} })],
      ['a state it does not know', file({ checkIns: [waitingCheckIn({ state: 'lost' })] })],
      ['a record without a state', file({ checkIns: [{ ...makeCheckIn({ authorId: me.id }) }] })],
      ['an unsent check-in without a venue', file({ checkIns: [waitingCheckIn({ venueName: ' ' })] })],
      ['an unsent check-in with a field the schema does not have', file({ checkIns: [waitingCheckIn({ x: 1 })] })],
      ['an unsent note without text', file({ notes: [waitingNote({ text: '' })] })],
      ['a note that does not say whether it was deleted', file({ notes: [waitingNote({ deleted: undefined })] })],
      ['a sent note with "deleted" not a boolean', file({ notes: [{ authorId: me.id, state: 'sent', deleted: 0 }] })],
      ['a photo entry without its bytes', file({ photos: [{ sha256: 'a'.repeat(64), size: 3, type: 'image/jpeg' }] })],
      [
        'a photo of a type the server refuses',
        file({ photos: [{ sha256: 'a'.repeat(64), size: 3, type: 'image/gif', base64: '' }] }),
      ],
    ]
    for (const [what, text] of damaged)
      await expect(importRecords(db, text, me.id), what).rejects.toMatchObject({ code: 'invalid' })
    expect(await db.checkins.count()).toBe(0)
    expect(await db.outbox.count()).toBe(0)
  })

  it('refuses someone else’s file, sent records included', async () => {
    const theirs = file({ checkIns: [waitingCheckIn(), { authorId: someoneElse, state: 'verified' }] })
    await expect(importRecords(db, theirs, me.id)).rejects.toMatchObject({ code: 'other_author' })
    expect(await db.checkins.count()).toBe(0)
  })

  it('refuses a file whose unsent check-in needs a photo it does not hold', async () => {
    const photo = { sha256: 'c'.repeat(64), size: 3, type: 'image/jpeg' as const }
    const text = file({ checkIns: [waitingCheckIn({ photos: [photo] })] })
    await expect(importRecords(db, text, me.id)).rejects.toMatchObject({ code: 'photo_damaged' })
    const wrongBytes = file({
      checkIns: [waitingCheckIn({ photos: [photo] })],
      photos: [{ ...photo, base64: Buffer.from('abc').toString('base64') }],
    })
    await expect(importRecords(db, wrongBytes, me.id)).rejects.toMatchObject({ code: 'photo_damaged' })
  })
})
