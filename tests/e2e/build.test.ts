import { readFileSync, readdirSync } from 'node:fs'
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
})
