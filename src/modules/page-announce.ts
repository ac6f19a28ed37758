import { nextTick, onBeforeUnmount, onMounted, watch, type Ref } from 'vue'
import { START_LOCATION, useRoute, useRouter, type RouteLocationNormalizedLoaded } from 'vue-router'
import { i18n } from './i18n'

/*
 * A screen reader hears that the page changed: each page has a title of its own in the user's language, and after a
 * navigation inside the app the focus goes to the new page's heading (its <h1>), or to <main> while it has none yet,
 * rather than dropping to <body> or staying on the link just followed. Done here, for every page, once.
 */

/** How long a page still loading may take to show its heading before the focus stays on <main>. */
const HEADING_WAIT_MS = 5000

/** The page's own heading: the first <h1> in <main>, with its words on one line. */
function headingText(main: Element | null): string {
  return main?.querySelector('h1')?.textContent?.replace(/\s+/g, ' ').trim() ?? ''
}

/** What a page without a heading (yet) is called: those with none at all, and a task's before the dataset is in. */
function routeTitle(route: RouteLocationNormalizedLoaded): string {
  const { t } = i18n.global
  switch (route.name) {
    case 'home':
      return t('nav.home')
    case 'search':
      return t('nav.search')
    case 'task':
      return t('task.title', { n: Number(route.params.number) })
    default:
      return ''
  }
}

/** "任务 28 · 知巡", "Task 28 · Zhixun": the page's heading, or what its route is called, then the app's name. */
export function pageTitle(route: RouteLocationNormalizedLoaded, main: Element | null): string {
  const app = i18n.global.t('app.name')
  const page = headingText(main) || routeTitle(route)
  return page && page !== app ? `${page} · ${app}` : app
}

function focusQuietly(el: HTMLElement): void {
  // Focusable by script only, never a stop on the Tab key's way.
  if (!el.hasAttribute('tabindex')) el.setAttribute('tabindex', '-1')
  el.focus({ preventScroll: true })
}

/** For App.vue: keeps document.title and the focus in step with the page shown in <main>. */
export function usePageAnnouncer(mainRef: Readonly<Ref<HTMLElement | null>>): void {
  const route = useRoute()
  const router = useRouter()
  let main: HTMLElement | null = null
  let titleObserver: MutationObserver | undefined
  let stopWaiting: (() => void) | undefined
  /** What had the focus when the navigation started: the link followed, or <body>. */
  let focusedBefore: Element | null = null

  const updateTitle = () => {
    const title = pageTitle(route, main)
    if (document.title !== title) document.title = title
  }

  /** Once the new page has rendered: the focus to its heading, unless the page gave it to one of its fields. */
  const moveFocus = () => {
    stopWaiting?.()
    if (!main) return
    const active = document.activeElement
    if (active && active !== document.body && active !== focusedBefore && main.contains(active)) return
    const heading = main.querySelector('h1')
    if (heading) return focusQuietly(heading)
    focusQuietly(main)
    // Still loading (the dataset, a record): the heading comes in a moment, and takes the focus if nobody moved it.
    const target = main
    const observer = new MutationObserver(() => {
      if (document.activeElement !== target) return stopWaiting?.()
      const late = target.querySelector('h1')
      if (late) {
        stopWaiting?.()
        focusQuietly(late)
      }
    })
    observer.observe(target, { childList: true, subtree: true })
    const timer = setTimeout(() => stopWaiting?.(), HEADING_WAIT_MS)
    stopWaiting = () => {
      observer.disconnect()
      clearTimeout(timer)
      stopWaiting = undefined
    }
  }

  const removeBefore = router.beforeEach(() => {
    focusedBefore = document.activeElement
  })
  const removeAfter = router.afterEach((to, from, failure) => {
    // The first page of a visit keeps the focus where the browser puts it; a new query or hash is the same page.
    if (failure || from === START_LOCATION || to.path === from.path) return
    void nextTick(moveFocus)
  })

  watch([() => route.fullPath, () => i18n.global.locale.value], () => void nextTick(updateTitle))
  onMounted(() => {
    main = mainRef.value
    updateTitle()
    // The heading is filled in when the page's data arrives, and changes with the language.
    titleObserver = new MutationObserver(updateTitle)
    if (main) titleObserver.observe(main, { childList: true, subtree: true, characterData: true })
  })
  onBeforeUnmount(() => {
    removeBefore()
    removeAfter()
    stopWaiting?.()
    titleObserver?.disconnect()
  })
}
