/** The build's name, set by vite.config.ts from ZHIXUN_BUILD or the build time. */
declare const __APP_BUILD__: string

/** The Chinese messages the first screen shows (vite.config.ts, firstScreenMessages). */
declare module 'virtual:first-screen-messages/zh-CN' {
  const messages: (typeof import('@/locales/zh-CN.json'))['default'] &
    (typeof import('@/kernel/locales/zh-CN.json'))['default']
  export default messages
}
