import 'fake-indexeddb/auto'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { Dataset } from '../../src/kernel/dataset'
import { db } from '../../src/db/db'
import { checkDatasetEarly } from '../../src/api/dataset'
import { cachedDatasetVersion, readCachedDataset, replaceDataset } from '../../src/db/dataset'
import { useDatasetStore } from '../../src/stores/dataset'
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
afterEach(() => {
  vi.unstubAllGlobals()
  vi.restoreAllMocks()
})

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

describe('a first start', () => {
  it('shows the dataset it fetched before it is stored, and even when this phone cannot store it', async () => {
    serve(() => json(realDataset))
    vi.spyOn(db.tasks, 'bulkPut').mockRejectedValue(new DOMException('disk full', 'QuotaExceededError'))
    const shown = useDatasetStore()
    const sync = useDatasetSyncStore()
    await sync.refresh()
    expect(sync.failure).toBe('storage')
    expect(await db.tasks.count()).toBe(0)
    expect(shown.dataset?.tasks).toHaveLength(160)
    expect(shown.taskByNumber.get(28)?.text).toBe(realDataset.tasks.find((t) => t.number === 28)!.text)
    // In the order the stored copy will have: nothing reorders when it is read back.
    expect(shown.dataset?.departments.map((d) => d.name)).toEqual(realDataset.departments.map((d) => d.name).sort())
  })
})

describe('the check made as the app starts', () => {
  const HINT = 'zhixun.datasetVersion'
  let stored: Map<string, string>
  beforeEach(() => {
    stored = new Map()
    vi.stubGlobal('localStorage', {
      getItem: (k: string) => stored.get(k) ?? null,
      setItem: (k: string, v: string) => void stored.set(k, v),
    })
  })

  it('brings the dataset on a first visit before the app has read its own copy, in one request', async () => {
    serve(() => json(realDataset))
    checkDatasetEarly()
    expect(calls).toEqual([{ url: '/api/dataset', ifNoneMatch: null }]) // asked before IndexedDB was read
    await useDatasetSyncStore().refresh()
    expect(calls).toHaveLength(1)
    expect(await db.tasks.count()).toBe(160)
    expect(stored.get(HINT)).toBe(realDataset.version) // the next start asks with it
  })

  it('asks nothing, early or when it checks, when the phone knows it is offline', async () => {
    await replaceDataset(db, realDataset)
    stored.set(HINT, realDataset.version)
    vi.stubGlobal('navigator', { onLine: false })
    serve(() => {
      throw new TypeError('Failed to fetch')
    })
    checkDatasetEarly()
    expect(calls).toEqual([])
    const store = useDatasetSyncStore()
    await store.refresh()
    expect(calls).toEqual([]) // nor when it checks: it says offline without a request that could only fail
    expect(store.failure).toBe('offline')
    expect(await db.tasks.count()).toBe(160)
  })

  it('asks with the version stored last, and that answer serves the check', async () => {
    await replaceDataset(db, realDataset)
    stored.set(HINT, realDataset.version)
    serve(() => new Response(null, { status: 304 }))
    checkDatasetEarly()
    const store = useDatasetSyncStore()
    await store.refresh()
    expect(calls).toEqual([{ url: '/api/dataset', ifNoneMatch: `"${realDataset.version}"` }])
    expect(store.failure).toBeUndefined()
  })

  it('asks again when the hint names another version than the phone holds: a 304 for it says nothing', async () => {
    await replaceDataset(db, edited)
    stored.set(HINT, realDataset.version)
    serve((_url, init) =>
      new Headers(init?.headers).get('If-None-Match') === `"${realDataset.version}"`
        ? new Response(null, { status: 304 })
        : json(realDataset),
    )
    checkDatasetEarly()
    await useDatasetSyncStore().refresh()
    expect(calls.map((c) => c.ifNoneMatch)).toEqual([`"${realDataset.version}"`, `"${edited.version}"`])
    expect(await cachedDatasetVersion(db)).toBe(realDataset.version) // the server's current one
    expect(stored.get(HINT)).toBe(realDataset.version)
  })

  it('takes a dataset the early check brought even when the hint was stale', async () => {
    await replaceDataset(db, realDataset)
    stored.set(HINT, 'stale-hint')
    serve(() => json(edited))
    checkDatasetEarly()
    await useDatasetSyncStore().refresh()
    expect(calls).toHaveLength(1)
    expect(await cachedDatasetVersion(db)).toBe(edited.version)
  })

  it('asks again when the early check failed, and the fallback still works offline', async () => {
    serve((url) => {
      if (url === '/api/dataset') throw new TypeError('Failed to fetch')
      return json(realDataset)
    })
    checkDatasetEarly()
    const store = useDatasetSyncStore()
    await store.refresh()
    expect(calls.map((c) => c.url)).toEqual(['/api/dataset', '/api/dataset', '/data/dataset.json'])
    expect(store.failure).toBe('offline')
    expect(await db.tasks.count()).toBe(160)
  })
})
