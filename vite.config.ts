import { readFileSync } from 'node:fs'
import { fileURLToPath, URL } from 'node:url'
import vue from '@vitejs/plugin-vue'
import VueI18nPlugin from '@intlify/unplugin-vue-i18n/vite'
import { defineConfig, type Plugin } from 'vite'
import { VitePWA } from 'vite-plugin-pwa'

/** Names this build in Settings, so an inspector (and a test) can tell which version runs. */
const APP_BUILD = process.env.ZHIXUN_BUILD ?? new Date().toISOString().slice(0, 16).replace('T', ' ')

/**
 * Message namespaces no part of the first screen (home list, header, bottom navigation, update prompt) shows:
 * they load with the rest of the messages just after it (src/modules/i18n.ts), before any other page opens.
 * A namespace not named here goes with the first screen, so a new one is never missing from it.
 */
const LATER_NAMESPACES = [
  'checkin',
  'campaign',
  'record',
  'records',
  'plan',
  'users',
  'import',
  'export',
  'apiError',
  'settings',
  'signIn',
  'coverage',
  'departments',
  'about',
  'account',
  'note',
  'parked',
  'csv',
  'venueType',
  'outcome',
  'review',
  'flags',
  'audit',
  'inspectionDoc',
  'signaturePad',
  'inspection',
  'parties',
  'certificate',
]

/**
 * `virtual:first-screen-messages/zh-CN`: the Chinese messages without LATER_NAMESPACES, as a JSON file in
 * src/locales that vue-i18n's plugin precompiles like the others. In tests and the dev server it is every message.
 */
function firstScreenMessages(): Plugin {
  const PREFIX = 'virtual:first-screen-messages/'
  const appFile = fileURLToPath(new URL('./src/locales/zh-CN.json', import.meta.url))
  const recordsFile = fileURLToPath(new URL('./src/kernel/locales/zh-CN.json', import.meta.url))
  const virtualFile = fileURLToPath(new URL('./src/locales/zh-CN.first-screen.json', import.meta.url))
  let split = false
  return {
    name: 'zhixun:first-screen-messages',
    enforce: 'pre',
    configResolved(config) {
      split = config.command === 'build' && !process.env.VITEST
    },
    resolveId: (id) => (id === `${PREFIX}zh-CN` ? virtualFile : undefined),
    load(id) {
      if (id !== virtualFile) return undefined
      this.addWatchFile(appFile)
      this.addWatchFile(recordsFile)
      const all: Record<string, unknown> = {
        ...JSON.parse(readFileSync(appFile, 'utf8')),
        ...JSON.parse(readFileSync(recordsFile, 'utf8')),
      }
      const kept = split ? Object.entries(all).filter(([ns]) => !LATER_NAMESPACES.includes(ns)) : Object.entries(all)
      return JSON.stringify(Object.fromEntries(kept))
    },
  }
}

export default defineConfig({
  define: {
    __APP_BUILD__: JSON.stringify(APP_BUILD),
    // Every component is written with <script setup>: Vue's Options API and devtools hooks need not ship.
    __VUE_OPTIONS_API__: 'false',
    __VUE_PROD_DEVTOOLS__: 'false',
    __VUE_PROD_HYDRATION_MISMATCH_DETAILS__: 'false',
    __INTLIFY_PROD_DEVTOOLS__: 'false',
  },
  resolve: {
    alias: [
      { find: '@', replacement: fileURLToPath(new URL('./src', import.meta.url)) },
      // Dexie's ES2018 module build: its default entry wraps the ES5 build, polyfills and all.
      {
        find: /^dexie$/,
        replacement: fileURLToPath(new URL('./node_modules/dexie/dist/modern/dexie.mjs', import.meta.url)),
      },
    ],
  },
  plugins: [
    vue(),
    firstScreenMessages(),
    VueI18nPlugin({
      include: [
        fileURLToPath(new URL('./src/locales/*.json', import.meta.url)),
        fileURLToPath(new URL('./src/kernel/locales/*.json', import.meta.url)),
      ],
      // Messages are compiled at build time, so the phone ships vue-i18n's runtime without the compiler, and
      // without the parts of it the runtime keeps for messages given as strings (there are none: every message
      // comes from these JSON files, precompiled).
      runtimeOnly: true,
      dropMessageCompiler: true,
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
    // Every browser the app supports preloads modules itself (iOS 16 just fetches them as it finds them).
    modulePreload: { polyfill: false },
    // Terser packs the first screen's scripts about 5 % smaller than esbuild does (BENCHMARKS.md).
    minify: 'terser',
    terserOptions: { compress: { passes: 2 } },
    rollupOptions: {
      output: {
        experimentalMinChunkSize: 8_000,
        // The first screen in two scripts, not 26: on a phone's network every request costs a round trip and
        // its headers. What the entry reaches by static imports goes in `vendor` (libraries) or with the entry
        // (the app's own); everything else stays split per page as Rollup chooses.
        manualChunks(id, meta) {
          if (!firstScreen(meta).has(id)) return undefined
          return id.includes('/node_modules/') ? 'vendor' : 'app'
        },
      },
    },
  },
})

interface ChunkMeta {
  getModuleIds: () => IterableIterator<string>
  getModuleInfo: (id: string) => { isEntry: boolean; importedIds: readonly string[] } | null
}
const firstScreens = new WeakMap<ChunkMeta['getModuleInfo'], Set<string>>()

/** What the entries import statically, directly or through other modules: what runs at start-up (per build). */
function firstScreen({ getModuleIds, getModuleInfo }: ChunkMeta): Set<string> {
  let reached = firstScreens.get(getModuleInfo)
  if (reached) return reached
  reached = new Set([...getModuleIds()].filter((id) => getModuleInfo(id)?.isEntry))
  for (const id of reached) for (const imported of getModuleInfo(id)?.importedIds ?? []) reached.add(imported)
  firstScreens.set(getModuleInfo, reached)
  return reached
}
