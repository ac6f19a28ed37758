import type { App } from 'vue'
import { createI18n } from 'vue-i18n'
import firstScreen from 'virtual:first-screen-messages/zh-CN'
import type zhApp from '@/locales/zh-CN.json'
import type zhRecords from '@/kernel/locales/zh-CN.json'

export const LOCALES = ['zh-CN', 'en'] as const
export type Locale = (typeof LOCALES)[number]
const STORAGE_KEY = 'zhixun.locale'

/**
 * A language's messages: the app's own, and the record vocabulary (venue types, outcomes, CSV columns) that
 * the server reads too, which lives in the kernel.
 */
export type MessageSchema = typeof zhApp & typeof zhRecords

/**
 * The Chinese messages start with those of the first screen only (vite.config.ts, LATER_NAMESPACES); the rest
 * come in a chunk of their own, asked for as soon as the app starts and awaited before any other page opens.
 */
export const i18n = createI18n({
  legacy: false,
  locale: 'zh-CN' as Locale,
  fallbackLocale: 'zh-CN',
  messages: { 'zh-CN': firstScreen } as Record<Locale, MessageSchema>,
})

let allChinese: Promise<void> | undefined
/** Adds the Chinese messages the first screen does not need (once; later calls wait for the same load). */
export function loadAllMessages(): Promise<void> {
  allChinese ??= Promise.all([import('@/locales/zh-CN.json'), import('@/kernel/locales/zh-CN.json')]).then(
    ([app, records]) => i18n.global.mergeLocaleMessage('zh-CN', { ...app.default, ...records.default }),
    (err: unknown) => {
      allChinese = undefined // asked for again next time (a chunk that failed to load, offline before precaching)
      throw err
    },
  )
  return allChinese
}

const loaders: Record<Locale, () => Promise<MessageSchema>> = {
  'zh-CN': async () => firstScreen,
  en: async () => {
    const [app, records] = await Promise.all([import('@/locales/en.json'), import('@/kernel/locales/en.json')])
    return { ...app.default, ...records.default }
  },
}

export function savedLocale(): Locale {
  const saved = typeof localStorage === 'undefined' ? null : localStorage.getItem(STORAGE_KEY)
  return (LOCALES as readonly string[]).includes(saved ?? '') ? (saved as Locale) : 'zh-CN'
}

/** Loads a language's messages (English is a separate, precached chunk), switches to it and remembers it. */
export async function setLocale(locale: Locale): Promise<void> {
  if (!i18n.global.availableLocales.includes(locale)) {
    i18n.global.setLocaleMessage(locale, await loaders[locale]())
  }
  i18n.global.locale.value = locale
  document.documentElement.lang = locale
  localStorage.setItem(STORAGE_KEY, locale)
}

export function install(app: App): Promise<void> {
  app.use(i18n)
  return setLocale(savedLocale())
}
