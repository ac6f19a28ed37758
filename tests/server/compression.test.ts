import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { brotliDecompressSync, createBrotliDecompress, createGunzip, gunzipSync, gzipSync } from 'node:zlib'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildServer } from '../../server/app'
import { compressStream, negotiate, precompress } from '../../server/http/encoding'
import type { PullResponse } from '../../src/kernel/sync-schema'
import { makeCheckIn } from '../helpers/records'
import { realDataset } from '../helpers/seed'
import { describeStores, makeServer, signedIn, type TestServer } from '../helpers/server'

/** A built app as `npm run build` leaves it: files of some size, with the .br and .gz copies beside them. */
const SCRIPT = `export const tasks = [${Array.from({ length: 400 }, (_, i) => `{n:${i},title:"任务 ${i}"}`).join(',')}]\n`
let dir: string
let app: FastifyInstance

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'zhixun-compressed-'))
  mkdirSync(join(dir, 'assets'))
  mkdirSync(join(dir, 'data'))
  mkdirSync(join(dir, 'icons'))
  writeFileSync(join(dir, 'index.html'), `<!doctype html><div id="app"></div>${'<!-- shell -->'.repeat(100)}`)
  writeFileSync(join(dir, 'assets', 'index-abc123.js'), SCRIPT)
  writeFileSync(join(dir, 'assets', 'tiny-abc123.js'), 'console.log(1)')
  writeFileSync(join(dir, 'icons', 'icon.png'), Buffer.alloc(4096, 7))
  writeFileSync(join(dir, 'data', 'dataset.json'), JSON.stringify(realDataset))
  await precompress(dir)
  app = await buildServer({ distDir: dir })
})
afterAll(async () => {
  await app.close()
  rmSync(dir, { recursive: true, force: true })
})

const get = (url: string, headers: Record<string, string> = {}, method: 'GET' | 'HEAD' = 'GET') =>
  app.inject({ method, url, headers })

describe('static files, compressed at build time', () => {
  it('never answers a file replaced after the build with the compressed copy of the old one', async () => {
    // A new dataset put in by hand after the build: its .br and .gz beside it are of the old one.
    const other = mkdtempSync(join(tmpdir(), 'zhixun-replaced-'))
    try {
      mkdirSync(join(other, 'data'))
      writeFileSync(join(other, 'index.html'), '<!doctype html><div id="app"></div>')
      writeFileSync(join(other, 'data', 'dataset.json'), JSON.stringify(realDataset))
      await precompress(other)
      const replaced = { ...realDataset, version: 'replaced00000001' }
      writeFileSync(join(other, 'data', 'dataset.json'), JSON.stringify(replaced))
      const server = await buildServer({ distDir: other })
      try {
        for (const [accept, decode] of [
          ['br', brotliDecompressSync],
          ['gzip', gunzipSync],
        ] as const) {
          const res = await server.inject({ url: '/api/dataset', headers: { 'accept-encoding': accept } })
          expect(res.headers['content-encoding'], accept).toBe(accept)
          expect((JSON.parse(decode(res.rawPayload).toString()) as { version: string }).version, accept).toBe(
            'replaced00000001',
          )
        }
      } finally {
        await server.close()
      }
    } finally {
      rmSync(other, { recursive: true, force: true })
    }
  })

  it('sends the brotli copy the build made to a client that accepts brotli', async () => {
    const res = await get('/assets/index-abc123.js', { 'accept-encoding': 'gzip, deflate, br, zstd' })
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-encoding']).toBe('br')
    expect(res.headers.vary).toBe('Accept-Encoding')
    expect(res.headers['content-type']).toBe('text/javascript; charset=utf-8')
    expect(res.rawPayload.equals(readFileSync(join(dir, 'assets', 'index-abc123.js.br')))).toBe(true)
    expect(brotliDecompressSync(res.rawPayload).toString()).toBe(SCRIPT)
    expect(Number(res.headers['content-length'])).toBe(res.rawPayload.length)
    expect(res.rawPayload.length).toBeLessThan(SCRIPT.length / 4)
  })

  it('sends gzip to a client that accepts only gzip, and honours q-values', async () => {
    for (const accept of ['gzip', 'gzip, deflate', 'br;q=0.5, gzip;q=0.8', 'br;q=0, *', 'x-gzip']) {
      const res = await get('/assets/index-abc123.js', { 'accept-encoding': accept })
      expect(res.headers['content-encoding'], accept).toBe('gzip')
      expect(gunzipSync(res.rawPayload).toString(), accept).toBe(SCRIPT)
    }
    for (const accept of ['br;q=1, gzip;q=1', '*', 'gzip;q=0.1, br;q=0.2']) {
      expect((await get('/assets/index-abc123.js', { 'accept-encoding': accept })).headers['content-encoding']).toBe(
        'br',
      )
    }
  })

  it('sends the bytes as they are to clients that accept neither, still saying the answer varies', async () => {
    const cases: Record<string, string>[] = [
      {},
      { 'accept-encoding': 'identity' },
      { 'accept-encoding': 'br;q=0, gzip;q=0' },
    ]
    for (const headers of cases) {
      const res = await get('/assets/index-abc123.js', headers)
      expect(res.headers['content-encoding']).toBeUndefined()
      expect(res.headers.vary).toBe('Accept-Encoding')
      expect(res.body).toBe(SCRIPT)
    }
  })

  it('sends the bytes as stored to a client that asks for no transformation', async () => {
    const res = await get('/assets/index-abc123.js', { 'accept-encoding': 'br, gzip', 'cache-control': 'no-transform' })
    expect(res.headers['content-encoding']).toBeUndefined()
    expect(res.body).toBe(SCRIPT)
    expect(res.headers.etag).toBe((await get('/assets/index-abc123.js')).headers.etag)
  })

  it('gives each coding a strong ETag of its own, and answers 304 only for the coding the client holds', async () => {
    const plain = (await get('/assets/index-abc123.js')).headers.etag as string
    const br = (await get('/assets/index-abc123.js', { 'accept-encoding': 'br' })).headers.etag as string
    const gzip = (await get('/assets/index-abc123.js', { 'accept-encoding': 'gzip' })).headers.etag as string
    for (const tag of [plain, br, gzip]) expect(tag).toMatch(/^"[^"]+"$/)
    expect(new Set([plain, br, gzip]).size).toBe(3)

    const held = await get('/assets/index-abc123.js', { 'accept-encoding': 'br', 'if-none-match': br })
    expect(held.statusCode).toBe(304)
    expect(held.body).toBe('')
    expect(held.headers.etag).toBe(br)
    expect(held.headers.vary).toBe('Accept-Encoding')
    // The brotli copy's tag does not stand for the gzip one: the client gets the gzip bytes.
    const other = await get('/assets/index-abc123.js', { 'accept-encoding': 'gzip', 'if-none-match': br })
    expect(other.statusCode).toBe(200)
    expect(gunzipSync(other.rawPayload).toString()).toBe(SCRIPT)
  })

  it('answers HEAD with the headers of the GET it stands for, and no body', async () => {
    const headers = { 'accept-encoding': 'br' }
    const getRes = await get('/assets/index-abc123.js', headers)
    const head = await get('/assets/index-abc123.js', headers, 'HEAD')
    expect(head.statusCode).toBe(200)
    expect(head.body).toBe('')
    for (const name of ['content-encoding', 'content-length', 'etag', 'vary', 'content-type', 'cache-control'])
      expect(head.headers[name], name).toBe(getRes.headers[name])
  })

  it('leaves alone what compression would not shrink: small files and images', async () => {
    for (const url of ['/assets/tiny-abc123.js', '/icons/icon.png']) {
      const res = await get(url, { 'accept-encoding': 'br, gzip' })
      expect(res.statusCode, url).toBe(200)
      expect(res.headers['content-encoding'], url).toBeUndefined()
    }
  })

  it('sends deep links the compressed app shell', async () => {
    const res = await get('/tasks/28', { 'accept-encoding': 'br' })
    expect(res.headers['content-encoding']).toBe('br')
    expect(brotliDecompressSync(res.rawPayload).toString()).toContain('<div id="app">')
    expect(res.headers['cache-control']).toBe('no-cache')
  })
})

describe('the dataset', () => {
  it('goes compressed with its version as ETag, one per coding', async () => {
    const res = await get('/api/dataset', { 'accept-encoding': 'br' })
    expect(res.headers['content-encoding']).toBe('br')
    expect(JSON.parse(brotliDecompressSync(res.rawPayload).toString()).version).toBe(realDataset.version)
    expect(res.headers.etag).toBe(`"${realDataset.version}-br"`)
    expect(res.rawPayload.length).toBeLessThan(20 * 1024)
    const held = await get('/api/dataset', { 'accept-encoding': 'br', 'if-none-match': `"${realDataset.version}-br"` })
    expect(held.statusCode).toBe(304)
    // A client that takes it as it is holds the plain tag, the one phones held before compression.
    const plain = await get('/api/dataset', { 'if-none-match': `"${realDataset.version}"` })
    expect(plain.statusCode).toBe(304)
  })

  it('is compressed on first demand when the build left no compressed copy', async () => {
    const bare = mkdtempSync(join(tmpdir(), 'zhixun-bare-'))
    mkdirSync(join(bare, 'data'))
    writeFileSync(join(bare, 'data', 'dataset.json'), JSON.stringify(realDataset))
    const server = await buildServer({ distDir: bare })
    const res = await server.inject({ url: '/api/dataset', headers: { 'accept-encoding': 'gzip' } })
    expect(res.headers['content-encoding']).toBe('gzip')
    expect(JSON.parse(gunzipSync(res.rawPayload).toString()).version).toBe(realDataset.version)
    await server.close()
    rmSync(bare, { recursive: true, force: true })
  })
})

describeStores('answers made per request on %s', (kind) => {
  let s: TestServer
  let me: { user: { id: string }; cookie: string }
  beforeAll(async () => {
    s = await makeServer(kind)
    me = await signedIn(s)
  })
  afterAll(() => s.close())

  it('compresses a pull page for a client that accepts it, to the same JSON', async () => {
    const mutations = Array.from({ length: 30 }, (_, i) => ({
      seq: i + 1,
      name: 'checkin.create',
      args: makeCheckIn({ authorId: me.user.id }),
    }))
    const pushed = await s.app.inject({
      method: 'POST',
      url: '/api/sync/push',
      headers: { cookie: me.cookie, 'accept-encoding': 'br' },
      payload: { clientId: `compress-${kind}-${Date.now()}`, mutations },
    })
    expect(pushed.statusCode).toBe(200)
    const url = '/api/sync/pull?cursor=0&limit=500'
    const plain = await s.app.inject({ url, headers: { cookie: me.cookie } })
    expect(plain.headers['content-encoding']).toBeUndefined()
    expect(plain.headers.vary).toMatch(/Accept-Encoding/)
    const page = plain.json() as PullResponse
    expect(page.changes).toHaveLength(30)
    for (const [coding, decode] of [
      ['br', brotliDecompressSync],
      ['gzip', gunzipSync],
    ] as const) {
      const res = await s.app.inject({ url, headers: { cookie: me.cookie, 'accept-encoding': coding } })
      expect(res.statusCode).toBe(200)
      expect(res.headers['content-encoding']).toBe(coding)
      expect(res.headers.vary).toMatch(/Accept-Encoding/)
      expect(res.headers['content-type']).toMatch(/^application\/json/)
      expect(JSON.parse(decode(res.rawPayload).toString())).toEqual(page)
      expect(res.rawPayload.length).toBeLessThan(plain.rawPayload.length / 3)
    }
    const untransformed = await s.app.inject({
      url,
      headers: { cookie: me.cookie, 'accept-encoding': 'br', 'cache-control': 'no-transform' },
    })
    expect(untransformed.headers['content-encoding']).toBeUndefined()
    expect(untransformed.json()).toEqual(page)
  })

  it('leaves short answers as they are', async () => {
    const res = await s.app.inject({ url: '/api/health', headers: { 'accept-encoding': 'br, gzip' } })
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-encoding']).toBeUndefined()
    expect(res.json()).toMatchObject({ ok: true })
  })

  it('refuses a compressed request body without reading it, and stores nothing', async () => {
    const clientId = `gzip-body-${kind}-${Date.now()}`
    const res = await s.app.inject({
      method: 'POST',
      url: '/api/sync/push',
      headers: { cookie: me.cookie, 'content-type': 'application/json', 'content-encoding': 'gzip' },
      // A push that would be applied if the server decompressed it.
      payload: gzipSync(
        JSON.stringify({
          clientId,
          mutations: [{ seq: 1, name: 'checkin.create', args: makeCheckIn({ authorId: me.user.id }) }],
        }),
      ),
    })
    expect(res.statusCode).toBe(415)
    expect(res.headers['accept-encoding']).toBe('identity')
    expect(res.json()).toMatchObject({ error: 'unsupported_media_type' })
    const client = await s.store.db.selectFrom('clients').selectAll().where('client_id', '=', clientId).execute()
    expect(client).toEqual([])
  })
})

describe('negotiate', () => {
  it('picks the acceptable coding with the highest q-value, brotli on a tie, nothing when none is acceptable', () => {
    expect(negotiate(undefined)).toBeUndefined()
    expect(negotiate('')).toBeUndefined()
    expect(negotiate('gzip, br')).toBe('br')
    expect(negotiate('GZIP;Q=1, BR;Q=0.9')).toBe('gzip')
    expect(negotiate('deflate')).toBeUndefined()
    expect(negotiate('*;q=0')).toBeUndefined()
    expect(negotiate('*;q=0.5, br;q=0')).toBe('gzip')
    expect(negotiate('br;q=nonsense, gzip')).toBe('gzip')
    expect(negotiate('br', ['gzip'])).toBeUndefined()
  })
})

describe('a streamed answer compressed as it goes', () => {
  it.each(['br', 'gzip'] as const)('sends each chunk written at once, whole, in %s', async (coding) => {
    const out = compressStream(coding)
    const decoded: Buffer[] = []
    const decoder = coding === 'br' ? createBrotliDecompress() : createGunzip()
    decoder.on('data', (c: Buffer) => decoded.push(c))
    out.on('data', (c: Buffer) => decoder.write(c))
    const page = '批发市场 1 号档口,market,no_problem\r\n'.repeat(500)
    out.write(page)
    // Not ended: what has come out so far is the whole first page, not whatever the compressor chose to let go.
    await expect.poll(() => Buffer.concat(decoded).toString('utf8'), { timeout: 5000 }).toBe(page)
    out.end()
  })
})
