import { ROLES, type Dataset } from './dataset'
import { ZhixunError } from './errors'

/** A downloaded dataset the app cannot rely on; `path` is where it first went wrong. */
export class DatasetShapeError extends ZhixunError<'invalid'> {
  constructor(readonly path: string) {
    super('invalid', `dataset: unexpected value at ${path}`)
    this.name = 'DatasetShapeError'
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/** Checks what the app relies on before a downloaded dataset may replace the cached one. */
export function assertDataset(value: unknown): Dataset {
  const need = (ok: boolean, path: string) => {
    if (!ok) throw new DatasetShapeError(path)
  }
  need(isObject(value), '$')
  const d = value as Record<string, unknown>
  need(typeof d.version === 'string' && d.version.length > 0, 'version')
  need(isObject(d.document) && typeof d.document.number === 'string', 'document')
  need(Array.isArray(d.sections) && d.sections.length > 0, 'sections')
  need(Array.isArray(d.tasks) && d.tasks.length > 0, 'tasks')
  need(Array.isArray(d.departments), 'departments')
  need(d.readings === undefined || typeof d.readings === 'string', 'readings')
  const sectionIds = new Set<unknown>()
  ;(d.sections as unknown[]).forEach((s, i) => {
    need(
      isObject(s) && Number.isInteger(s.id) && typeof s.title === 'string' && typeof s.ordinal === 'string',
      `sections[${i}]`,
    )
    sectionIds.add((s as Record<string, unknown>).id)
  })
  ;(d.tasks as unknown[]).forEach((t, i) => {
    need(isObject(t) && t.number === i + 1 && typeof t.text === 'string' && sectionIds.has(t.sectionId), `tasks[${i}]`)
    const depts = (t as Record<string, unknown>).departments
    need(Array.isArray(depts), `tasks[${i}].departments`)
    ;(depts as unknown[]).forEach((dep, j) => {
      need(
        isObject(dep) && typeof dep.name === 'string' && ROLES.includes(dep.role as never),
        `tasks[${i}].departments[${j}]`,
      )
    })
  })
  ;(d.departments as unknown[]).forEach((dep, i) => {
    need(
      isObject(dep) && typeof dep.name === 'string' && typeof dep.initials === 'string' && isObject(dep.counts),
      `departments[${i}]`,
    )
  })
  return value as Dataset
}
