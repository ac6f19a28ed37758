import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { describe, expect, it } from 'vitest'

describe('the production build', () => {
  const sw = readFileSync('dist/sw.js', 'utf8')

  it('precaches the app shell, the dataset, both languages and the icons', () => {
    expect(sw).toContain('"index.html"')
    expect(sw).toContain('"data/dataset.json"')
    expect(sw).toContain('"manifest.webmanifest"')
    expect(sw).toContain('"icons/maskable-512.png"')
    const english = readdirSync('dist/assets').find((f) => /^en-.*\.js$/.test(f))
    expect(english).toBeDefined()
    expect(sw).toContain(`"assets/${english}"`)
  })

  it('serves navigations from the shell but never /api', () => {
    expect(sw).toMatch(/NavigationRoute\(.*createHandlerBoundToURL\("\/index\.html"\)/s)
    expect(sw).toContain('denylist:[/^\\/api\\//]')
  })

  it('has a manifest that makes an installable app', () => {
    const manifest = JSON.parse(readFileSync('dist/manifest.webmanifest', 'utf8'))
    expect(manifest).toMatchObject({ display: 'standalone', start_url: '/', lang: 'zh-CN' })
    expect(
      manifest.icons.map((i: { sizes: string; purpose?: string }) => `${i.sizes}${i.purpose ? ` ${i.purpose}` : ''}`),
    ).toEqual(['192x192', '512x512', '512x512 maskable'])
  })

  it('runs as one bundled file with plain Node, as npm start runs it', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'zhixun-bundle-'))
    const child = spawn(process.execPath, ['dist-server/server/main.mjs'], {
      env: { ...process.env, PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, DATABASE_URL: '' },
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    try {
      // Fastify's log says where it listens (port 0: one the system chose).
      const base = await new Promise<string>((resolve, reject) => {
        let out = ''
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString()
          const at = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(out)
          if (at) resolve(at[1]!)
        })
        child.once('exit', (code) => reject(new Error(`exited ${code}: ${out}`)))
      })
      const health = await fetch(`${base}/api/health`)
      expect(health.status).toBe(200)
      expect(await health.json()).toMatchObject({ ok: true, database: { dialect: 'sqlite' } })
      const page = await fetch(`${base}/tasks/28`)
      expect(page.status).toBe(200)
      expect(await page.text()).toContain('<div id="app"')
      expect((await fetch(`${base}/api/dataset`)).status).toBe(200)
      // The CSV's labels are read from the locale files by a path relative to the module (server/campaigns/report.ts).
      const bundle = pathToFileURL(join(process.cwd(), 'dist-server/server/main.mjs'))
      expect(existsSync(new URL('../../src/kernel/locales/zh-CN.json', bundle))).toBe(true)
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
      child.kill('SIGTERM')
      expect(await exited).toBe(0)
    } finally {
      child.kill('SIGKILL')
      rmSync(dataDir, { recursive: true, force: true })
    }
  })
})
