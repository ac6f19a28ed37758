/**
 * Enter in a single-line field of a form that makes a record moves on to the next field; it never saves.
 * The browser's implicit submission (Enter in a text field submits its form; on a phone the keyboard's
 * "Go"/"前往" key) saved whole check-ins with fields still untouched: only the form's own save button saves.
 * Put on the `<form>` as `@keydown.enter="enterMovesOn"`; a field that gives Enter a meaning of its own (add a
 * task, go to the search results) handles it first and prevents the default, and is left alone here.
 */
export function enterMovesOn(e: KeyboardEvent): void {
  // While an input method is composing (pinyin), Enter picks the candidate: never the form's business.
  if (e.key !== 'Enter' || e.defaultPrevented || e.isComposing) return
  const field = e.target
  // A textarea takes a new line; a button (the save button too) and a select do what they do.
  if (!(field instanceof HTMLInputElement) || OWN_ENTER.has(field.type)) return
  e.preventDefault()
  // A checkbox or a radio button: Enter does nothing (Space ticks it).
  if (!TYPED.has(field.type)) return
  // The last field ("done"): Enter does nothing, and the focus stays where the inspector is.
  nextField(field)?.focus()
}

/** Inputs that are buttons: Enter activates them as it should. */
const OWN_ENTER = new Set(['submit', 'button', 'reset', 'image', 'file'])
/** Inputs typed into, where Enter moves on. */
const TYPED = new Set([
  'text',
  'search',
  'tel',
  'url',
  'email',
  'password',
  'number',
  'date',
  'time',
  'datetime-local',
  'month',
  'week',
])

/** The field after `field` in its form, as Tab would reach it: shown, enabled, a checked radio of a group. */
function nextField(field: HTMLInputElement): HTMLElement | undefined {
  const form = field.form ?? field.closest('form')
  if (!form) return undefined
  const fields = [
    ...form.querySelectorAll<HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement>('input, select, textarea'),
  ]
  return fields
    .slice(fields.indexOf(field) + 1)
    .find(
      (el) =>
        !el.disabled &&
        el.tabIndex >= 0 &&
        el.getClientRects().length > 0 &&
        !(el instanceof HTMLInputElement && (OWN_ENTER.has(el.type) || (el.type === 'radio' && !el.checked))),
    )
}
