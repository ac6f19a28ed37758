import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildServer } from '../../server/app'
import { realDataset } from '../helpers/seed'
import { makeDist } from '../helpers/server'

let dist: ReturnType<typeof makeDist>
let app: FastifyInstance

beforeAll(async () => {
  dist = makeDist()
  app = await buildServer({ distDir: dist.dir })
})
afterAll(async () => {
  await app.close()
  dist.remove()
})

describe('GET /api/dataset', () => {
  it('sends the dataset with its version as ETag, revalidated every time', async () => {
    const res = await app.inject('/api/dataset')
    expect(res.statusCode).toBe(200)
    expect(res.headers.etag).toBe(`"${realDataset.version}"`)
    expect(res.headers['cache-control']).toBe('no-cache')
    expect(res.headers['content-type']).toMatch(/^application\/json/)
    expect(res.json().tasks).toHaveLength(160)
  })

  it('answers 304 with no body when the phone already has this version', async () => {
    const res = await app.inject({ url: '/api/dataset', headers: { 'if-none-match': `"${realDataset.version}"` } })
    expect(res.statusCode).toBe(304)
    expect(res.body).toBe('')
    const weak = await app.inject({
      url: '/api/dataset',
      headers: { 'if-none-match': `"old", W/"${realDataset.version}"` },
    })
    expect(weak.statusCode).toBe(304)
  })

  it('sends the dataset again for an older version', async () => {
    const res = await app.inject({ url: '/api/dataset', headers: { 'if-none-match': '"0000000000000000"' } })
    expect(res.statusCode).toBe(200)
    expect(res.json().version).toBe(realDataset.version)
  })
})

describe('the app shell', () => {
  it('caches hashed assets for a year and never caches index.html, sw.js or the manifest', async () => {
    expect((await app.inject('/assets/index-abc123.js')).headers['cache-control']).toBe(
      'public, max-age=31536000, immutable',
    )
    for (const url of ['/', '/sw.js', '/manifest.webmanifest']) {
      const res = await app.inject(url)
      expect(res.statusCode, url).toBe(200)
      expect(res.headers['cache-control'], url).toBe('no-cache')
    }
  })

  it('answers deep links with the app shell', async () => {
    for (const url of [
      '/tasks/153',
      '/search?q=%E5%B1%95%E4%BC%9A&role=lead',
      '/departments/%E7%9C%81%E5%B7%A5%E5%95%86%E5%B1%80',
    ]) {
      const res = await app.inject(url)
      expect(res.statusCode, url).toBe(200)
      expect(res.body, url).toContain('<div id="app">')
    }
  })

  it('gives a JSON 404 for unknown API paths and missing files, not the shell', async () => {
    const api = await app.inject('/api/nothing')
    expect(api.statusCode).toBe(404)
    expect(api.json()).toMatchObject({ error: 'not_found' })
    expect((await app.inject('/assets/missing-123.js')).statusCode).toBe(404)
    expect((await app.inject({ method: 'POST', url: '/tasks/1' })).statusCode).toBe(404)
  })
})

describe('security headers', () => {
  it('come with the app shell, assets, API answers and errors alike', async () => {
    for (const url of ['/', '/tasks/1', '/assets/index-abc123.js', '/api/dataset', '/api/nothing']) {
      const res = await app.inject(url)
      expect(res.headers['content-security-policy'], url).toMatch(
        /default-src 'self'.*script-src 'self'.*frame-ancestors 'none'/,
      )
      expect(res.headers['x-content-type-options'], url).toBe('nosniff')
      expect(res.headers['x-frame-options'], url).toBe('DENY')
      expect(res.headers['referrer-policy'], url).toBe('no-referrer')
    }
  })
})

describe('start-up', () => {
  it('refuses to start on a dataset of the wrong shape', async () => {
    const bad = mkdtempSync(join(tmpdir(), 'zhixun-bad-'))
    mkdirSync(join(bad, 'data'))
    writeFileSync(join(bad, 'data', 'dataset.json'), JSON.stringify({ version: 'x', tasks: [] }))
    await expect(buildServer({ distDir: bad })).rejects.toThrow(/dataset/)
    rmSync(bad, { recursive: true, force: true })
  })
})
