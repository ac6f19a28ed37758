import 'fake-indexeddb/auto'
import { flushPromises, mount } from '@vue/test-utils'
import { createPinia } from 'pinia'
import { createMemoryHistory, RouterView } from 'vue-router'
import { db } from '../../src/db/db'
import { replaceDataset } from '../../src/db/dataset'
import { i18n } from '../../src/modules/i18n'
import { createAppRouter } from '../../src/router'
import { realDataset } from './seed'

/** Mounts the app's router view at `path`, over the real dataset in (fake) IndexedDB. */
export async function mountAt(path: string) {
  await replaceDataset(db, realDataset)
  const router = createAppRouter(createMemoryHistory())
  await router.push(path)
  await router.isReady()
  const wrapper = mount(RouterView, { global: { plugins: [createPinia(), router, i18n] } })
  await settle()
  return { wrapper, router }
}

/** Lets liveQuery, the router and Vue catch up. */
export async function settle() {
  for (let i = 0; i < 5; i++) {
    await flushPromises()
    await new Promise((r) => setTimeout(r, 10))
  }
}
