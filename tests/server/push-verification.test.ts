import 'fake-indexeddb/auto'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { ZhixunDB } from '../../src/db/db'
import { saveCheckIn } from '../../src/db/records'
import { dexieSyncStorage } from '../../src/db/syncStorage'
import { canonicalJson, sha256Hex } from '../../src/kernel/canonical'
import type { CheckIn, PushResponse } from '../../src/kernel/sync-schema'
import { SyncEngine } from '../../src/sync/engine'
import { httpTransport } from '../../src/sync/transport'
import { makeCheckIn } from '../helpers/records'
import { describeStores, makeServer, signedIn, type TestServer } from '../helpers/server'
import { injectFetch } from '../helpers/sync'

/**
 * A phone verifies the check-ins it pushed from the push answer (the hash of the row the server committed)
 * instead of pulling every one back; what the server holds otherwise still ends in `mismatch`.
 */
describeStores('verifying pushed check-ins on %s', (kind) => {
  let s: TestServer
  let me: { user: { id: string }; cookie: string }
  /** When set, the next push stores `target` with other contents than the phone sent (a server at fault). */
  let tamper = false
  let target = ''
  let failPulls = false
  beforeAll(async () => {
    s = await makeServer(kind, {
      beforePushCommit: async (tx) => {
        if (!tamper) return
        tamper = false
        const row = await tx.selectFrom('records').select('data').where('id', '=', target).executeTakeFirstOrThrow()
        const data = canonicalJson({ ...JSON.parse(row.data!), itemsSeized: 300 })
        await tx
          .updateTable('records')
          .set({ data, hash: await sha256Hex(data) })
          .where('id', '=', target)
          .execute()
      },
    })
  })
  afterAll(() => s.close())

  let phoneNo = 0
  /** A phone whose push answers pass through `rewrite`; it counts the changes its pulls brought. */
  async function phone(rewrite: (answer: PushResponse) => PushResponse = (a) => a) {
    me = await signedIn(s)
    const inject = injectFetch(s.app, me.cookie)
    const doFetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
      if (failPulls && String(input).includes('/api/sync/pull'))
        return new Response('{"error":"unavailable"}', { status: 503, headers: { 'content-type': 'application/json' } })
      const res = await inject(input, init)
      if (!String(input).includes('/api/sync/push') || !res.ok) return res
      return new Response(JSON.stringify(rewrite((await res.json()) as PushResponse)), {
        status: res.status,
        headers: { 'content-type': 'application/json' },
      })
    }) as typeof fetch
    const db = new ZhixunDB(`verify-${kind}-${++phoneNo}-${Date.now()}`)
    const engine = new SyncEngine(dexieSyncStorage(db), httpTransport('', doFetch))
    // Signed in and synced once: its pull cursor stands at the server's latest version (others' records too).
    await engine.sync()
    const checkIns: CheckIn[] = []
    for (let i = 0; i < 3; i++) {
      const c = makeCheckIn({ authorId: me.user.id, venueName: `档口 ${i}` })
      await saveCheckIn(db, c)
      checkIns.push(c)
    }
    const states = async () => (await db.checkins.bulkGet(checkIns.map((c) => c.id))).map((c) => c?.state)
    return { db, engine, checkIns, states }
  }

  it('verifies what it pushed from the answer, and pulls none of it back', async () => {
    const p = await phone()
    const report = await p.engine.sync()
    expect(report.pushed).toBe(3)
    expect(report.pulled).toBe(0)
    expect(await p.states()).toEqual(['verified', 'verified', 'verified'])
    const local = await p.db.checkins.get(p.checkIns[0]!.id)
    const row = await s.store.db
      .selectFrom('records')
      .select(['version', 'hash'])
      .where('id', '=', p.checkIns[0]!.id)
      .executeTakeFirstOrThrow()
    expect(local?.serverVersion).toBe(row.version)
    expect(local?.hash).toBe(row.hash)

    // The server's copy changed afterwards, as a new version: the next sync pulls it and says it does not match.
    const data = canonicalJson({ ...p.checkIns[0]!, itemsSeized: 300 })
    const hash = await sha256Hex(data)
    await s.store.db.transaction().execute(async (tx) => {
      const { value } = await tx
        .updateTable('counters')
        .set((eb) => ({ value: eb('value', '+', 1) }))
        .where('name', '=', 'version')
        .returning('value')
        .executeTakeFirstOrThrow()
      await tx.updateTable('records').set({ data, hash, version: value }).where('id', '=', p.checkIns[0]!.id).execute()
    })
    expect((await p.engine.sync()).pulled).toBe(1)
    expect(await p.states()).toEqual(['mismatch', 'verified', 'verified'])
    expect((await p.db.checkins.get(p.checkIns[0]!.id))?.detail).toBe(hash)
  })

  it('ends in mismatch when the server stores something else than was sent, and pulls the push back', async () => {
    tamper = true
    const p = await phone()
    target = p.checkIns[1]!.id
    const report = await p.engine.sync()
    // Not all verified: no version is skipped, the pull reads the push back, and finds the other copy there too.
    expect(report.pulled).toBe(3)
    expect(await p.states()).toEqual(['verified', 'mismatch', 'verified'])
    const row = await s.store.db.selectFrom('records').select('hash').where('id', '=', target).executeTakeFirstOrThrow()
    expect((await p.db.checkins.get(target))?.detail).toBe(row.hash)
  })

  it('marks a check-in mismatch from the push answer alone, before any pull', async () => {
    const p = await phone((answer) => ({
      ...answer,
      results: answer.results.map((r, i) => (i === 1 ? { ...r, hash: 'f'.repeat(64) } : r)),
    }))
    failPulls = true
    await expect(p.engine.sync()).rejects.toThrow()
    expect(await p.states()).toEqual(['verified', 'mismatch', 'verified'])
    expect((await p.db.checkins.get(p.checkIns[1]!.id))?.detail).toBe('f'.repeat(64))
    failPulls = false
    // The pull reads every version of the push back (none skipped) and what the server holds decides.
    expect((await p.engine.sync()).pulled).toBe(3)
    expect(await p.states()).toEqual(['verified', 'verified', 'verified'])
  })

  it('still verifies through the pull when the server says nothing of hashes (a server before this)', async () => {
    const p = await phone(({ lastProcessedSeq, results }) => ({
      lastProcessedSeq,
      results: results.map(({ hash: _h, version: _v, ...r }) => r),
    }))
    const report = await p.engine.sync()
    expect(report.pulled).toBe(3)
    expect(await p.states()).toEqual(['verified', 'verified', 'verified'])
  })
})
