import { watch, type Ref } from 'vue'
import type { Dataset, Section } from '@/kernel/dataset'

/**
 * The home page's list of sections as it was last shown, kept in localStorage, which answers at once: a phone
 * that reloads offline paints its first list before IndexedDB has opened (a slow phone spends most of its start
 * on that). Only while IndexedDB has not answered yet; never when the page also shows bookmarks, which need
 * the tasks themselves (the list would move down when they came).
 */
export interface HomeSnapshot {
  version: string
  documentNumber: string
  sections: (Pick<Section, 'id' | 'ordinal' | 'title'> & { count: number })[]
  bookmarks: number
}

const KEY = 'zhixun.homeSnapshot'

export function readHomeSnapshot(): HomeSnapshot | undefined {
  try {
    const saved = JSON.parse(localStorage.getItem(KEY) ?? 'null') as HomeSnapshot | null
    return saved && Array.isArray(saved.sections) && saved.bookmarks === 0 ? saved : undefined
  } catch {
    return undefined // no storage, or not ours: the page waits for IndexedDB as it always did
  }
}

/** Drops the snapshot (bookmarks changed): the next start waits for IndexedDB and the home page writes it anew. */
export function forgetHomeSnapshot(): void {
  try {
    localStorage.removeItem(KEY)
  } catch {
    // No storage: there is no snapshot either.
  }
}

/** The sections with their task counts, as the home page lists them. */
export const sectionsOf = (dataset: Dataset): HomeSnapshot['sections'] =>
  dataset.sections.map(({ id, ordinal, title }) => ({
    id,
    ordinal,
    title,
    count: dataset.tasks.filter((task) => task.sectionId === id).length,
  }))

/** Keeps the snapshot equal to what the page shows once IndexedDB has answered. */
export function keepHomeSnapshot(dataset: Ref<Dataset | undefined>, bookmarks: Ref<number[] | undefined>): void {
  watch([dataset, bookmarks], ([d, b]) => {
    if (!d || !b) return
    const snapshot: HomeSnapshot = {
      version: d.version,
      documentNumber: d.document.number,
      sections: sectionsOf(d),
      bookmarks: b.length,
    }
    try {
      const text = JSON.stringify(snapshot)
      if (localStorage.getItem(KEY) !== text) localStorage.setItem(KEY, text)
    } catch {
      // Only a head start for the next reload.
    }
  })
}
