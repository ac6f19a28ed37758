import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'

// Read as text: imported, the build's i18n plugin would hand over compiled messages.
const en = JSON.parse(readFileSync('src/locales/en.json', 'utf8')) as object
const zh = JSON.parse(readFileSync('src/locales/zh-CN.json', 'utf8')) as object

function keys(o: object, prefix = ''): string[] {
  return Object.entries(o).flatMap(([k, v]) =>
    typeof v === 'object' && v ? keys(v, `${prefix}${k}.`) : [`${prefix}${k}`],
  )
}

describe('locale files', () => {
  it('have the same keys in Chinese and English', () => {
    expect(keys(en).sort()).toEqual(keys(zh).sort())
  })

  it('have no empty message and no characters vue-i18n would read as syntax', () => {
    for (const [name, messages] of [
      ['zh-CN', zh],
      ['en', en],
    ] as const) {
      for (const key of keys(messages)) {
        const text = key.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], messages) as string
        expect(text.trim(), `${name} ${key}`).not.toBe('')
        expect(text, `${name} ${key}`).not.toMatch(/[@|$]/)
      }
    }
  })
})
