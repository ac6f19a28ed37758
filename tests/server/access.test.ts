import { afterAll, beforeAll, expect, it } from 'vitest'
import type { Change } from '../../src/kernel/sync-schema'
import { makeCheckIn, makeNote, photoBytes, sha256 } from '../helpers/records'
import { makeServer, signedIn, describeStores, type TestServer } from '../helpers/server'

type Who = { user: { id: string }; cookie: string }

describeStores('who sees and writes what, on %s', (kind) => {
  let s: TestServer
  let inspector: Who
  let otherInspector: Who
  let supervisor: Who
  let otherSupervisor: Who
  let admin: Who
  const bytes = photoBytes(99, 30_000)
  const sha = sha256(bytes)
  let checkInId: string
  let noteId: string

  const push = (who: Who | undefined, clientId: string, mutations: unknown[]) =>
    s.app.inject({
      method: 'POST',
      url: '/api/sync/push',
      payload: { clientId, mutations },
      headers: who ? { cookie: who.cookie } : {},
    })
  async function visibleIds(who: Who): Promise<string[]> {
    const res = await s.app.inject({ url: '/api/sync/pull?cursor=0', headers: { cookie: who.cookie } })
    return (res.json().changes as Change[]).map((c) => c.id)
  }
  const photoStatus = async (who: Who) =>
    (await s.app.inject({ url: `/api/photos/${sha}`, headers: { cookie: who.cookie } })).statusCode
  const recordCount = async () =>
    Number(
      (
        await s.store.db
          .selectFrom('records')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    )

  beforeAll(async () => {
    s = await makeServer(kind)
    inspector = await signedIn(s, 'inspector', '省知识产权局')
    otherInspector = await signedIn(s, 'inspector', '省知识产权局')
    supervisor = await signedIn(s, 'supervisor', '省知识产权局')
    otherSupervisor = await signedIn(s, 'supervisor', '省工商局')
    admin = await signedIn(s, 'admin', '省知识产权局')
    // The inspector records a check-in with a photo, and a note.
    await s.app.inject({
      method: 'POST',
      url: '/api/photos',
      payload: { sha256: sha, size: bytes.length, type: 'image/jpeg' },
      headers: { cookie: inspector.cookie },
    })
    await s.app.inject({
      method: 'PATCH',
      url: `/api/photos/${sha}`,
      payload: bytes,
      headers: { cookie: inspector.cookie, 'content-type': 'application/offset+octet-stream', 'upload-offset': '0' },
    })
    const checkIn = makeCheckIn({
      authorId: inspector.user.id,
      photos: [{ sha256: sha, size: bytes.length, type: 'image/jpeg' }],
    })
    const note = makeNote({ authorId: inspector.user.id })
    checkInId = checkIn.id
    noteId = note.id
    const res = await push(inspector, 'phone-of-inspector-1', [
      { seq: 1, name: 'checkin.create', args: checkIn },
      { seq: 2, name: 'note.put', args: { note, baseVersion: null } },
    ])
    expect(res.json().results.map((r: { status: string }) => r.status)).toEqual(['applied', 'applied'])
  })
  afterAll(() => s.close())

  it('lets nobody in without signing in', async () => {
    expect((await push(undefined, 'anon-client-1', [])).statusCode).toBe(401)
    expect((await s.app.inject('/api/sync/pull?cursor=0')).statusCode).toBe(401)
    expect(
      (
        await s.app.inject({
          method: 'POST',
          url: '/api/photos',
          payload: { sha256: sha, size: 1, type: 'image/jpeg' },
        })
      ).statusCode,
    ).toBe(401)
    expect((await s.app.inject(`/api/photos/${sha}`)).statusCode).toBe(401)
    expect((await s.app.inject(`/api/photos/${sha}/upload`)).statusCode).toBe(401)
    expect((await s.app.inject('/api/sync/pull?cursor=0')).json()).toMatchObject({ error: 'signed_out' })
    // The work plan and the limits are public.
    expect((await s.app.inject('/api/dataset')).statusCode).toBe(200)
    expect((await s.app.inject('/api/limits')).statusCode).toBe(200)
  })

  it('shows records to their author, their department supervisor and admins only', async () => {
    expect(await visibleIds(inspector)).toEqual(expect.arrayContaining([checkInId, noteId]))
    expect(await visibleIds(otherInspector)).toEqual([])
    // Supervisors' and admins' phones pull their own records only; others' are read from the server.
    expect(await visibleIds(supervisor)).toEqual([])
    expect(await visibleIds(otherSupervisor)).toEqual([])
    expect(await visibleIds(admin)).toEqual([])
    const opened = async (who: Who) =>
      (await s.app.inject({ url: `/api/checkins/${checkInId}`, headers: { cookie: who.cookie } })).statusCode
    expect([await opened(inspector), await opened(supervisor), await opened(admin)]).toEqual([200, 200, 200])
    expect([await opened(otherInspector), await opened(otherSupervisor)]).toEqual([404, 404])
  })

  it('shows a photo only to those who may read a record that refers to it', async () => {
    expect(await photoStatus(inspector)).toBe(200)
    expect(await photoStatus(supervisor)).toBe(200)
    expect(await photoStatus(admin)).toBe(200)
    expect(await photoStatus(otherInspector)).toBe(404)
    expect(await photoStatus(otherSupervisor)).toBe(404)
  })

  it('refuses a record that names another author with 403, writing nothing', async () => {
    const before = await recordCount()
    const res = await push(otherInspector, 'phone-of-inspector-2', [
      { seq: 1, name: 'checkin.create', args: makeCheckIn({ authorId: otherInspector.user.id }) },
      { seq: 2, name: 'checkin.create', args: makeCheckIn({ authorId: inspector.user.id }) },
    ])
    expect(res.statusCode).toBe(403)
    expect(res.json()).toMatchObject({ error: 'forged_author', seq: 2 })
    const forgedNote = await push(otherInspector, 'phone-of-inspector-2', [
      { seq: 1, name: 'note.put', args: { note: makeNote({ authorId: admin.user.id }), baseVersion: null } },
    ])
    expect(forgedNote.statusCode).toBe(403)
    expect(await recordCount()).toBe(before)
  })

  it("refuses another user's client id with 403, writing nothing", async () => {
    const before = await recordCount()
    const res = await push(otherInspector, 'phone-of-inspector-1', [
      { seq: 3, name: 'checkin.create', args: makeCheckIn({ authorId: otherInspector.user.id }) },
    ])
    expect(res.statusCode).toBe(403)
    expect(res.json()).toMatchObject({ error: 'forged_client' })
    expect(await recordCount()).toBe(before)
  })

  it("rejects a change to someone else's note, and takes the rest of the push", async () => {
    // Another inspector of the department, this test's own: the check-in it pushes shows up in no other test.
    const intruder = await signedIn(s, 'inspector', '省知识产权局')
    const own = makeCheckIn({ authorId: intruder.user.id })
    const res = await push(intruder, 'phone-of-inspector-3', [
      {
        seq: 1,
        name: 'note.put',
        args: {
          note: makeNote({ id: noteId, authorId: intruder.user.id, text: '改别人的笔记' }),
          baseVersion: null,
        },
      },
      { seq: 2, name: 'note.delete', args: { id: noteId, baseVersion: null } },
      { seq: 3, name: 'checkin.create', args: own },
    ])
    expect(res.json().results.map((r: { status: string; code?: string }) => `${r.status}:${r.code ?? ''}`)).toEqual([
      'rejected:not_yours',
      'rejected:not_yours',
      'applied:',
    ])
    const note = (await s.app.inject({ url: '/api/sync/pull?cursor=0', headers: { cookie: inspector.cookie } }))
      .json()
      .changes.find((c: Change) => c.id === noteId)
    expect(note).toMatchObject({ deleted: false, data: { text: makeNote().text } })
  })
})
