import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { brotliDecompressSync, gunzipSync } from 'node:zlib'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildServer } from '../../server/app'
import type { Dataset } from '../../src/kernel/dataset'
import { realDataset } from '../helpers/seed'

/*
 * A task's page comes with the task's text in its HTML (server/http/task-shell.ts), to paint before the scripts run.
 * The dataset here is the real one with task 28 and its section rewritten as markup would be: it must arrive as text.
 */

const HOSTILE_TEXT = `<script>alert("x")</script> & 'quoted' </p><img src=x onerror=alert(1)>\n第二行`
const HOSTILE_TITLE = '<b>加大</b>保护 & "力度"'
const dataset: Dataset = {
  ...realDataset,
  tasks: realDataset.tasks.map((t) => (t.number === 28 ? { ...t, text: HOSTILE_TEXT } : t)),
  sections: realDataset.sections.map((s) =>
    s.id === realDataset.tasks.find((t) => t.number === 28)!.sectionId ? { ...s, title: HOSTILE_TITLE } : s,
  ),
}
/** As the build leaves it, of a size worth compressing (the real one is 0.9 KB). */
const SHELL = `<!doctype html><html><head><title>知巡</title>${'<!-- head -->'.repeat(50)}</head><body><div id="app"></div></body></html>`
let dir: string
let app: FastifyInstance

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'zhixun-task-shell-'))
  mkdirSync(join(dir, 'data'))
  writeFileSync(join(dir, 'index.html'), SHELL)
  writeFileSync(join(dir, 'data', 'dataset.json'), JSON.stringify(dataset))
  app = await buildServer({ distDir: dir })
})
afterAll(async () => {
  await app.close()
  rmSync(dir, { recursive: true, force: true })
})

const get = (url: string, headers: Record<string, string> = {}, method: 'GET' | 'HEAD' = 'GET') =>
  app.inject({ method, url, headers })

describe("a task's page", () => {
  it("comes with the task's text and its section in the app's mount point, as text", async () => {
    const res = await get('/tasks/28')
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8')
    expect(res.headers['cache-control']).toBe('no-cache')
    const section = dataset.sections.find((s) => s.title === HOSTILE_TITLE)!
    expect(res.body).toBe(
      SHELL.replace('<title>知巡</title>', '<title>任务 28 Task 28 · 知巡</title>').replace(
        '<div id="app"></div>',
        '<div id="app"><header class="app-header"></header><main><div class="page"><article data-first-paint="28">' +
          `<a href="/sections/${section.id}" class="small">（${section.ordinal}）&lt;b&gt;加大&lt;/b&gt;保护 &amp; &quot;力度&quot;</a>` +
          '<h1>&nbsp;</h1><p class="task-text">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;quoted&#39; ' +
          '&lt;/p&gt;&lt;img src=x onerror=alert(1)&gt;\n第二行</p></article></div></main></div>',
      ),
    )
    // Each task its own.
    const other = await get('/tasks/1')
    expect(other.body).toContain('data-first-paint="1"')
    expect(other.body).toContain(dataset.tasks.find((t) => t.number === 1)!.text)
    expect(other.headers.etag).not.toBe(res.headers.etag)
    // Named by its task in both languages (the app names it in the user's own once it runs).
    expect(other.body).toContain('<title>任务 1 Task 1 · 知巡</title>')
  })

  it('leaves the shell itself, the one the service worker keeps, as built', async () => {
    for (const url of ['/', '/index.html', '/sections/2', '/search?q=28']) {
      const res = await get(url, { 'accept-encoding': 'br' })
      expect(brotliDecompressSync(res.rawPayload).toString(), url).toBe(SHELL)
    }
  })

  it('gives the plain shell to an unknown task and to any other form of the address', async () => {
    const plain = await get('/')
    for (const url of ['/tasks/999', '/tasks/0', '/tasks/028', '/tasks/28/', '/tasks/-1', '/tasks/1e1', '/tasks/']) {
      const res = await get(url)
      expect(res.statusCode, url).toBe(200)
      expect(res.body, url).toBe(SHELL)
      expect(res.headers.etag, url).toBe(plain.headers.etag)
    }
    // A query says nothing of which task: /tasks/28?from=link is task 28's page.
    expect((await get('/tasks/28?from=link')).body).toContain('data-first-paint="28"')
  })

  it('is sent in the coding asked for, with a strong ETag per coding, and 304 only for the coding held', async () => {
    const plain = await get('/tasks/28')
    const br = await get('/tasks/28', { 'accept-encoding': 'gzip, br' })
    const gzip = await get('/tasks/28', { 'accept-encoding': 'gzip' })
    const notTransformed = await get('/tasks/28', { 'accept-encoding': 'br', 'cache-control': 'no-transform' })
    expect(plain.headers['content-encoding']).toBeUndefined()
    expect(br.headers['content-encoding']).toBe('br')
    expect(gzip.headers['content-encoding']).toBe('gzip')
    expect(notTransformed.headers['content-encoding']).toBeUndefined()
    expect(brotliDecompressSync(br.rawPayload).toString()).toBe(plain.body)
    expect(gunzipSync(gzip.rawPayload).toString()).toBe(plain.body)
    expect(notTransformed.body).toBe(plain.body)
    for (const res of [plain, br, gzip]) expect(res.headers.vary).toBe('Accept-Encoding')

    const tag = String(plain.headers.etag)
    expect(tag).toMatch(/^"[\w-]{22}"$/)
    expect(br.headers.etag).toBe(`${tag.slice(0, -1)}-br"`)
    expect(gzip.headers.etag).toBe(`${tag.slice(0, -1)}-gzip"`)
    expect(tag).not.toBe((await get('/')).headers.etag)
    // The same bytes and tags on every request (made once and kept).
    const again = await get('/tasks/28', { 'accept-encoding': 'br' })
    expect(again.headers.etag).toBe(br.headers.etag)
    expect(again.rawPayload.equals(br.rawPayload)).toBe(true)

    const held = await get('/tasks/28', { 'accept-encoding': 'br', 'if-none-match': String(br.headers.etag) })
    expect(held.statusCode).toBe(304)
    expect(held.body).toBe('')
    // A brotli copy's tag does not stand for the gzip one, nor the plain shell's for a task's page.
    expect(
      (await get('/tasks/28', { 'accept-encoding': 'gzip', 'if-none-match': String(br.headers.etag) })).statusCode,
    ).toBe(200)
    expect((await get('/tasks/28', { 'if-none-match': String((await get('/')).headers.etag) })).statusCode).toBe(200)
  })

  it('answers HEAD with the headers of GET and no body', async () => {
    const got = await get('/tasks/28', { 'accept-encoding': 'br' })
    const head = await get('/tasks/28', { 'accept-encoding': 'br' }, 'HEAD')
    expect(head.statusCode).toBe(200)
    expect(head.body).toBe('')
    for (const name of ['etag', 'content-type', 'content-encoding', 'content-length', 'cache-control', 'vary'])
      expect(head.headers[name], name).toBe(got.headers[name])
  })

  it('is not made from a shell without an empty mount point: that shell goes out as it is', async () => {
    const other = mkdtempSync(join(tmpdir(), 'zhixun-task-shell-other-'))
    const shell = '<!doctype html><div id="app">…</div>'
    try {
      mkdirSync(join(other, 'data'))
      writeFileSync(join(other, 'index.html'), shell)
      writeFileSync(join(other, 'data', 'dataset.json'), JSON.stringify(realDataset))
      const server = await buildServer({ distDir: other })
      try {
        expect((await server.inject('/tasks/28')).body).toBe(shell)
      } finally {
        await server.close()
      }
    } finally {
      rmSync(other, { recursive: true, force: true })
    }
  })
})
