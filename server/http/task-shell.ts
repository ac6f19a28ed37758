import type { Dataset, Section, Task } from '../../src/kernel/dataset'
import { escapeHtml } from '../evidence/html'
import { contentTag, Representation } from './encoding'

/** Where the app mounts in the built index.html, empty as vite leaves it. */
const MOUNT = '<div id="app"></div>'

/** The one form of a task's address the server renders for: /tasks/28, not /tasks/028 or /tasks/28/. */
const TASK_PATH = /^\/tasks\/([1-9]\d{0,3})$/

/**
 * What a task's page (src/pages/TaskPage.vue) shows above and in the task's text, as static HTML with the page's
 * own elements and classes: the header's bar, the section link, the title's line, the text. The text paints with
 * the first response (LCP), not after the scripts and the dataset; the app replaces it once it can show the same
 * task (src/main.ts), with everything in the same place. Only what is right in either language of the interface:
 * the source's words as it wrote them, never the interface's own (the header's name and status, "任务 28"), so an
 * English user sees no Chinese flash by; their boxes are kept empty at the size the app fills them to. The header
 * and the title hold one line whatever their words, so nothing moves when they are filled in.
 */
export function taskFirstPaint(task: Task, section: Section | undefined): string {
  const sectionLink = section
    ? `<a href="/sections/${section.id}" class="small">（${escapeHtml(section.ordinal)}）${escapeHtml(section.title)}</a>`
    : ''
  return (
    '<header class="app-header"></header><main><div class="page">' +
    `<article data-first-paint="${task.number}">${sectionLink}<h1>&nbsp;</h1>` +
    `<p class="task-text">${escapeHtml(task.text)}</p></article></div></main>`
  )
}

/**
 * The shell's <title> ("知巡 Zhixun", in both languages as the interface's language is not known here) with the task
 * before it, in both as well, until the app names the page in the user's own ("任务 28 · 知巡"): a tab, the history and
 * a screen reader tell one task's page from another from the first response on.
 */
function withTaskTitle(head: string, task: Task): string {
  const n = escapeHtml(String(task.number))
  return head.replace(/<title>([^<]*)<\/title>/, (_, name: string) => `<title>任务 ${n} Task ${n} · ${name}</title>`)
}

/**
 * The app shell of each task's page, its first paint inside (taskFirstPaint): made on first demand and kept, as
 * the shell is, with a strong ETag of its own and its compressed forms made once (160 tasks, ~2 KB each).
 * Undefined for any other path, an unknown task, or a shell with no empty mount point: those get the plain shell.
 * The service worker precaches /index.html, the plain shell, and answers every navigation with it offline.
 */
export function taskShells(shell: Representation, dataset: Dataset): (path: string) => Representation | undefined {
  const html = shell.body.toString('utf8')
  const at = html.indexOf(MOUNT)
  const tasks = new Map(dataset.tasks.map((t) => [t.number, t]))
  const sections = new Map(dataset.sections.map((s) => [s.id, s]))
  const made = new Map<number, Representation>()
  return (path) => {
    const number = Number(TASK_PATH.exec(path)?.[1])
    const task = tasks.get(number)
    if (at < 0 || !task) return undefined
    let rep = made.get(number)
    if (!rep) {
      const body = Buffer.from(
        withTaskTitle(html.slice(0, at), task) +
          MOUNT.replace('</div>', `${taskFirstPaint(task, sections.get(task.sectionId))}</div>`) +
          html.slice(at + MOUNT.length),
      )
      rep = new Representation(body, shell.type, shell.cacheControl, contentTag(body))
      made.set(number, rep)
    }
    return rep
  }
}
