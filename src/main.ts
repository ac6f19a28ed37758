import { createApp, watch } from 'vue'
import { createPinia } from 'pinia'
import { checkDatasetEarly } from './api/dataset'
import { db } from './db/db'
import { releaseOnPageHide } from './db/lifecycle'
import App from './App.vue'
import { install as installI18n, loadAllMessages } from './modules/i18n'
import { install as installPwa } from './modules/pwa'
import { afterPaint } from './modules/paint'
import { revealFocusedTextAreas } from './modules/reveal-focus'
import { createAppRouter } from './router'
import { useDatasetStore } from './stores/dataset'
import { useDatasetSyncStore } from './stores/datasetSync'
import { useSyncStore } from './stores/sync'
import './styles/main.css'

// First of all: the dataset's request goes out while the app starts (src/api/dataset.ts).
checkDatasetEarly()
releaseOnPageHide(db)
revealFocusedTextAreas()
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

const datasetSync = useDatasetSyncStore()
const dataset = useDatasetStore()
const datasetChecked = datasetSync.refresh()
/** Resolves once the app has a dataset to show, read from IndexedDB or just arrived. */
const datasetRead = () =>
  new Promise<void>((resolve) => {
    const stop = watch(
      () => dataset.dataset !== undefined,
      (read) => {
        if (!read) return
        queueMicrotask(() => stop())
        resolve()
      },
      { immediate: true },
    )
  })
/** Resolves once the page has painted the tasks it read from IndexedDB. */
const listPainted = () => datasetRead().then(afterPaint)

// A task's page may come with the task already painted in the HTML (server/http/task-shell.ts). Mounting clears
// it: the app waits until its page can show that same task (its chunk loaded, the dataset read or arrived, or the
// check over without one) rather than a loading notice in its place, 3 s at most: on a line that hangs the
// inspector gets the app (its header, navigation and notices) instead of a page that never becomes one. Otherwise it
// mounts at once.
const firstPaint = document.querySelector('#app [data-first-paint]') !== null
const pageReady = firstPaint
  ? Promise.race([
      Promise.all([router.isReady(), Promise.race([datasetRead(), datasetChecked])]),
      new Promise((resolve) => setTimeout(resolve, 3000)),
    ]).catch(() => undefined)
  : undefined
// Mounted once the language's messages are in (English is a chunk of its own). Not awaited at the top level: the
// first screen's code shares this chunk (vite.config.ts), so a chunk imported while this module still waited
// would wait for it in turn, and the app would never start.
void installI18n(app)
  .catch(() => undefined) // the saved language's messages did not load: the app starts in Chinese
  .then(() => pageReady)
  .then(() => app.mount('#app'))

// What the first page does not need waits until it has its dataset (checked or fetched) and has painted it, 3 s at
// most, so a first visit on a slow line spends it on the first screen: the service worker, the other messages,
// then sync.
const firstScreen = Promise.race([
  datasetChecked.then(listPainted),
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
