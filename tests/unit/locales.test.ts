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
        // `|` only between an English message's plural forms (Chinese has one form): each form says something.
        expect(text, `${name} ${key}`).not.toMatch(name === 'en' ? /[@$]/ : /[@|$]/)
        for (const form of text.split('|')) expect(form.trim(), `${name} ${key}`).not.toBe('')
      }
    }
  })

  it('give each plural form of an English message the same parameters', () => {
    const params = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort()
    for (const key of keys(en)) {
      const text = key.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], en) as string
      const forms = text.split('|')
      for (const form of forms) expect(params(form), `en ${key}`).toEqual(params(forms[0]!))
    }
  })

  it('address the user one way in Chinese: 你, never the polite 您', () => {
    for (const key of keys(zh)) {
      const text = key.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], zh) as string
      expect(text, `zh-CN ${key}`).not.toMatch(/您/)
    }
  })
})
