import { useI18n } from 'vue-i18n'
import type { Department, Section } from '@/kernel/dataset'

/**
 * Department names and section titles in the interface's language, from the locale files (the task text
 * stays as the source wrote it); a name the locale files do not know is shown as the source wrote it.
 * Reactive to the language where called inside a computed or a template.
 */
export function useDatasetNames() {
  const { t } = useI18n()
  const translated = (key: string, source: string) => {
    const text = t(key)
    return text === key ? source : text
  }
  return {
    departmentName: (d: Department) => translated(`plan.departments.${d.pinyin}`, d.name),
    sectionTitle: (s: Section) => translated(`plan.sections.s${s.id}`, s.title),
  }
}
