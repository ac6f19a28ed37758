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

/**
 * Lets liveQuery, the router and Vue catch up: runs what they have queued until nothing is left. (Fake)
 * IndexedDB runs each step of a request as a Node "immediate", Dexie's live queries start on a zero-delay
 * timer, and the router and Vue on promises: a round lets all three run; settled is two rounds in a row that
 * leave no IndexedDB step waiting. Work, not time: a loaded machine is slower, never wrong.
 */
export async function settle() {
  for (let round = 0, quiet = 0; quiet < 2; round++) {
    if (round === 10_000) throw new Error('the page never settled')
    await flushPromises()
    await new Promise((r) => setTimeout(r, 0))
    quiet = process.getActiveResourcesInfo().includes('Immediate') ? 0 : quiet + 1
  }
}
