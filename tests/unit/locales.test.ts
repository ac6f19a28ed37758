import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'

// Read as text: imported, the build's i18n plugin would hand over compiled messages.
// A language's messages are the app's own and the record vocabulary kept in the kernel (the server reads it).
const read = (lang: string) => ({
  ...(JSON.parse(readFileSync(`src/locales/${lang}.json`, 'utf8')) as object),
  ...(JSON.parse(readFileSync(`src/kernel/locales/${lang}.json`, 'utf8')) as object),
})
const en = read('en')
const zh = read('zh-CN')

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
