import { fileURLToPath, URL } from 'node:url'
import vue from '@vitejs/plugin-vue'
import VueI18nPlugin from '@intlify/unplugin-vue-i18n/vite'
import { defineConfig } from 'vite'
import { VitePWA } from 'vite-plugin-pwa'

/** Names this build in Settings, so an inspector (and a test) can tell which version runs. */
const APP_BUILD = process.env.ZHIXUN_BUILD ?? new Date().toISOString().slice(0, 16).replace('T', ' ')

export default defineConfig({
  define: { __APP_BUILD__: JSON.stringify(APP_BUILD) },
  resolve: {
    alias: { '@': fileURLToPath(new URL('./src', import.meta.url)) },
  },
  plugins: [
    vue(),
    VueI18nPlugin({
      include: [
        fileURLToPath(new URL('./src/locales/*.json', import.meta.url)),
        fileURLToPath(new URL('./src/kernel/locales/*.json', import.meta.url)),
      ],
      // Messages are compiled at build time, so the phone ships vue-i18n's runtime without the compiler.
      runtimeOnly: true,
      compositionOnly: true,
      fullInstall: false,
    }),
    VitePWA({
      // Ask before reloading into a new version: an inspector may be halfway through something.
      registerType: 'prompt',
      injectRegister: false,
      includeAssets: ['favicon.svg', 'icons/apple-touch-icon.png'],
      manifest: {
        name: '知巡 Zhixun',
        short_name: '知巡',
        description: '知识产权执法检查 · 离线任务与巡查记录',
        lang: 'zh-CN',
        start_url: '/',
        scope: '/',
        display: 'standalone',
        orientation: 'portrait',
        theme_color: '#0b5cad',
        background_color: '#ffffff',
        icons: [
          { src: '/icons/icon-192.png', sizes: '192x192', type: 'image/png' },
          { src: '/icons/icon-512.png', sizes: '512x512', type: 'image/png' },
          { src: '/icons/maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
        ],
      },
      workbox: {
        globPatterns: ['**/*.{js,css,html,svg,png,json,webmanifest}'],
        navigateFallback: '/index.html',
        navigateFallbackDenylist: [/^\/api\//],
        cleanupOutdatedCaches: true,
        // The first install takes over the open page at once, so it works offline without a reload.
        clientsClaim: true,
      },
    }),
  ],
  build: {
    target: 'es2022',
  },
})
