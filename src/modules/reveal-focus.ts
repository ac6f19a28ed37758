/**
 * A text box (textarea) that takes the keyboard focus is brought whole into view, clear of the sticky header, a
 * page's sticky save bar and the bottom navigation (the scroll padding in main.css says where they are). Chromium
 * reveals only the line with the caret: a note box tabbed to just above the save bar stayed under it but for its
 * first line. One taller than half the screen is left as the browser put it, its caret in view.
 */
export function revealFocusedTextAreas(doc: Document = document): void {
  doc.addEventListener('focusin', (event) => {
    const el = event.target
    if (!(el instanceof HTMLTextAreaElement)) return
    // After the browser's own scrolling to the caret.
    requestAnimationFrame(() => {
      if (doc.activeElement !== el || el.getBoundingClientRect().height > window.innerHeight / 2) return
      el.scrollIntoView({ block: 'nearest' })
    })
  })
}
