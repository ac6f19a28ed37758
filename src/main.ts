import { createApp } from 'vue'
import { createPinia } from 'pinia'
import { db } from './db/db'
import { releaseOnPageHide } from './db/lifecycle'
import App from './App.vue'
import { install as installI18n, loadAllMessages } from './modules/i18n'
import { install as installPwa } from './modules/pwa'
import { createAppRouter } from './router'
import { useDatasetSyncStore } from './stores/datasetSync'
import { useSyncStore } from './stores/sync'
import './styles/main.css'

releaseOnPageHide(db)
const app = createApp(App)
app.use(createPinia())
const router = createAppRouter()
// The home list needs only the first screen's messages; every other page waits for the rest.
router.beforeResolve(async (to) => {
  // A page opens even if they fail to load (the keys show where messages are missing): it must not be stuck.
  if (to.name !== 'home') await loadAllMessages().catch(() => undefined)
})
app.use(router)
// Ask once to be exempt from eviction: the cache is the inspector's only copy in the field.
void navigator.storage?.persist?.()
await installI18n(app)
app.mount('#app')

const datasetSync = useDatasetSyncStore()
// What the home list does not need waits until it has its dataset (checked or fetched; 3 s at most), so a first
// visit on a slow line spends it on the first screen: the service worker, the other messages, then sync.
const firstScreen = Promise.race([datasetSync.refresh(), new Promise((resolve) => setTimeout(resolve, 3000))])
void firstScreen
  .catch(() => undefined)
  .then(() => {
    installPwa()
    void loadAllMessages().catch(() => undefined)
    void useSyncStore().start()
  })
window.addEventListener('online', () => void datasetSync.refresh())
