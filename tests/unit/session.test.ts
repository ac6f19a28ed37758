import 'fake-indexeddb/auto'
import { describe, expect, it } from 'vitest'
import { ZhixunDB } from '../../src/db/db'
import type { SessionUser } from '../../src/kernel/users'
import { saveCheckIn } from '../../src/db/records'
import { endSession, startSession, UnsentRecordsError } from '../../src/db/session'
import { makeCheckIn } from '../helpers/records'

const wang: SessionUser = {
  id: '01900000-0000-7000-8000-000000000001',
  username: 'wang',
  displayName: '王',
  department: '省知识产权局',
  role: 'inspector',
}
const li: SessionUser = {
  id: '01900000-0000-7000-8000-000000000002',
  username: 'li',
  displayName: '李',
  department: '省工商局',
  role: 'inspector',
}

describe('sessions on a shared phone', () => {
  it('refuses sign-out and another user while records are unsent; starts clean for the next user', async () => {
    const db = new ZhixunDB(`session-${Math.random()}`)
    await startSession(db, wang, '2099-01-01T00:00:00Z')
    const clientId = (await db.syncMeta.get('sync'))!.clientId
    await saveCheckIn(db, makeCheckIn({ authorId: wang.id }))

    await expect(endSession(db)).rejects.toBeInstanceOf(UnsentRecordsError)
    await expect(startSession(db, li, '2099-01-01T00:00:00Z')).rejects.toMatchObject({ count: 1 })
    expect((await db.session.get('me'))?.user.id).toBe(wang.id)
    expect(await db.checkins.count()).toBe(1)

    // Once the record is on the server, the phone can change hands.
    await db.outbox.clear()
    await endSession(db)
    expect(await db.session.get('me')).toBeUndefined()
    await startSession(db, li, '2099-01-01T00:00:00Z')
    expect(await db.checkins.count()).toBe(0)
    const meta = (await db.syncMeta.get('sync'))!
    expect(meta.userId).toBe(li.id)
    expect(meta.clientId).not.toBe(clientId)
    expect(meta.pullCursor).toBe(0)
    await db.delete()
  })

  it('keeps the phone as it is when the same user signs in again', async () => {
    const db = new ZhixunDB(`session-${Math.random()}`)
    await startSession(db, wang, '2099-01-01T00:00:00Z')
    await saveCheckIn(db, makeCheckIn({ authorId: wang.id }))
    await db.session.update('me', { expired: true })
    await startSession(db, wang, '2099-02-01T00:00:00Z')
    expect(await db.session.get('me')).toMatchObject({ expiresAt: '2099-02-01T00:00:00Z' })
    expect((await db.session.get('me'))?.expired).toBeUndefined()
    expect(await db.outbox.count()).toBe(1)
    await db.delete()
  })
})
