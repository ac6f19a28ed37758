import { createApp, watch } from 'vue'
import { createPinia } from 'pinia'
import { checkDatasetEarly } from './api/dataset'
import { db } from './db/db'
import { releaseOnPageHide } from './db/lifecycle'
import App from './App.vue'
import { install as installI18n, loadAllMessages } from './modules/i18n'
import { install as installPwa } from './modules/pwa'
import { afterPaint } from './modules/paint'
import { createAppRouter } from './router'
import { useDatasetStore } from './stores/dataset'
import { useDatasetSyncStore } from './stores/datasetSync'
import { useSyncStore } from './stores/sync'
import './styles/main.css'

// First of all: the dataset's request goes out while the app starts (src/api/dataset.ts).
checkDatasetEarly()
releaseOnPageHide(db)
const app = createApp(App)
app.use(createPinia())
const router = createAppRouter()
// The home list and a task's page need only the first screen's messages; every other page waits for the rest,
// asked for with the page's own chunk rather than after it.
router.beforeEach((to) => {
  if (!to.meta.firstScreenMessages) void loadAllMessages().catch(() => undefined)
})
router.beforeResolve(async (to) => {
  // A page opens even if they fail to load (the keys show where messages are missing): it must not be stuck.
  if (!to.meta.firstScreenMessages) await loadAllMessages().catch(() => undefined)
})
app.use(router)
// Mounted once the language's messages are in (English is a chunk of its own). Not awaited at the top level: the
// first screen's code shares this chunk (vite.config.ts), so a chunk imported while this module still waited
// would wait for it in turn, and the app would never start.
void installI18n(app)
  .catch(() => undefined) // the saved language's messages did not load: the app starts in Chinese
  .then(() => app.mount('#app'))

const datasetSync = useDatasetSyncStore()
const dataset = useDatasetStore()
/** Resolves once the page has painted the tasks it read from IndexedDB. */
const listPainted = () =>
  new Promise<void>((resolve) => {
    const stop = watch(
      () => dataset.dataset !== undefined,
      (read) => {
        if (!read) return
        queueMicrotask(() => stop())
        void afterPaint().then(resolve)
      },
      { immediate: true },
    )
  })
// What the first page does not need waits until it has its dataset (checked or fetched) and has painted it, 3 s at
// most, so a first visit on a slow line spends it on the first screen: the service worker, the other messages,
// then sync.
const firstScreen = Promise.race([
  datasetSync.refresh().then(listPainted),
  new Promise((resolve) => setTimeout(resolve, 3000)),
])
void firstScreen
  .catch(() => undefined)
  .then(() => {
    // Ask once to be exempt from eviction: the cache is the inspector's only copy in the field.
    void navigator.storage?.persist?.()
    installPwa()
    void loadAllMessages().catch(() => undefined)
    void useSyncStore().start()
  })
window.addEventListener('online', () => void datasetSync.refresh())
