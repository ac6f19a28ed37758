import { useI18n } from 'vue-i18n'
import type { Department, Section } from '@/kernel/dataset'
import { useDatasetStore } from '@/stores/dataset'

/**
 * Department names and section titles in the interface's language, from the locale files (the task text
 * stays as the source wrote it); a name the locale files do not know is shown as the source wrote it.
 * Reactive to the language where called inside a computed or a template.
 */
export function useDatasetNames() {
  const { t, te, locale } = useI18n()
  const datasetStore = useDatasetStore()
  // The source is Chinese: in Chinese its own words (whose locale names may not be loaded yet on the first screen).
  const translated = (key: string, source: string) => (locale.value !== 'zh-CN' && te(key) ? t(key) : source)
  const departmentName = (d: Pick<Department, 'name' | 'pinyin'>) => translated(`plan.departments.${d.pinyin}`, d.name)
  return {
    departmentName,
    /** A department named as the source (or an account) wrote it, e.g. 省知识产权局, in the interface's language. */
    departmentNameOf: (name: string) => {
      const known = datasetStore.departmentByName.get(name)
      return known ? departmentName(known) : name
    },
    sectionTitle: (s: Pick<Section, 'id' | 'title'>) => translated(`plan.sections.s${s.id}`, s.title),
  }
}
