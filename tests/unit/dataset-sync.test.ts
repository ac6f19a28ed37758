import 'fake-indexeddb/auto'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { Dataset } from '../../src/kernel/dataset'
import { db } from '../../src/db/db'
import { cachedDatasetVersion, readCachedDataset, replaceDataset } from '../../src/db/dataset'
import { useDatasetSyncStore } from '../../src/stores/datasetSync'
import { realDataset } from '../helpers/seed'

type Handler = (url: string, init: RequestInit | undefined) => Response | Promise<Response>
const calls: { url: string; ifNoneMatch: string | null }[] = []

function serve(handler: Handler) {
  vi.stubGlobal('fetch', async (url: string, init?: RequestInit) => {
    calls.push({ url, ifNoneMatch: new Headers(init?.headers).get('If-None-Match') })
    return handler(url, init)
  })
}
const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } })
const edited: Dataset = {
  ...realDataset,
  version: 'feedfacefeedface',
  tasks: realDataset.tasks.map((t) => (t.number === 1 ? { ...t, text: '修订后的任务一。' } : t)),
}

beforeEach(async () => {
  setActivePinia(createPinia())
  calls.length = 0
  await db.delete()
  await db.open()
})
afterEach(() => vi.unstubAllGlobals())

describe('keeping the cached dataset current', () => {
  it('imports the dataset on the first start', async () => {
    serve(() => json(realDataset))
    await useDatasetSyncStore().refresh()
    expect(calls).toEqual([{ url: '/api/dataset', ifNoneMatch: null }])
    expect((await readCachedDataset(db))?.tasks).toHaveLength(160)
  })

  it('asks with the cached version and changes nothing on 304', async () => {
    await replaceDataset(db, realDataset)
    const importedAt = (await db.meta.get('dataset'))!.importedAt
    serve(() => new Response(null, { status: 304 }))
    const store = useDatasetSyncStore()
    await store.refresh()
    expect(calls[0]!.ifNoneMatch).toBe(`"${realDataset.version}"`)
    expect((await db.meta.get('dataset'))!.importedAt).toBe(importedAt)
    expect(store.lastCheckedAt).toBeTypeOf('number')
    expect(store.failure).toBeUndefined()
  })

  it('swaps in a changed dataset', async () => {
    await replaceDataset(db, realDataset)
    serve(() => json(edited))
    await useDatasetSyncStore().refresh()
    expect(await cachedDatasetVersion(db)).toBe('feedfacefeedface')
    expect((await db.tasks.get(1))?.text).toBe('修订后的任务一。')
  })

  it('ignores a malformed answer and keeps what it has', async () => {
    await replaceDataset(db, realDataset)
    serve(() => json({ ...edited, tasks: [{ number: 1 }] }))
    const store = useDatasetSyncStore()
    await store.refresh()
    expect(store.failure).toBe('invalid')
    expect(await cachedDatasetVersion(db)).toBe(realDataset.version)
    expect(await db.tasks.count()).toBe(160)
  })

  it('reports a server error, keeping the cache', async () => {
    await replaceDataset(db, realDataset)
    serve(() => json({ error: 'boom' }, 503))
    const store = useDatasetSyncStore()
    await store.refresh()
    expect(store.failure).toBe('server')
    expect(await db.tasks.count()).toBe(160)
  })

  it('falls back to the copy shipped with the app when the API is out of reach on first start', async () => {
    serve((url) => {
      if (url === '/api/dataset') throw new TypeError('Failed to fetch')
      return json(realDataset)
    })
    const store = useDatasetSyncStore()
    await store.refresh()
    expect(calls.map((c) => c.url)).toEqual(['/api/dataset', '/data/dataset.json'])
    expect(store.failure).toBe('offline')
    expect(await db.tasks.count()).toBe(160)
  })
})
