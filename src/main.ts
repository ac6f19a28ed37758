import { createApp } from 'vue'
import { createPinia } from 'pinia'
import { db } from './db/db'
import { releaseOnPageHide } from './db/lifecycle'
import App from './App.vue'
import { install as installI18n } from './modules/i18n'
import { install as installPwa } from './modules/pwa'
import { createAppRouter } from './router'
import { useDatasetSyncStore } from './stores/datasetSync'
import { useSyncStore } from './stores/sync'
import './styles/main.css'

releaseOnPageHide(db)
const app = createApp(App)
app.use(createPinia())
app.use(createAppRouter())
installPwa()
// Ask once to be exempt from eviction: the cache is the inspector's only copy in the field.
void navigator.storage?.persist?.()
await installI18n(app)
app.mount('#app')

const datasetSync = useDatasetSyncStore()
void datasetSync.refresh()
window.addEventListener('online', () => void datasetSync.refresh())
void useSyncStore().start()
