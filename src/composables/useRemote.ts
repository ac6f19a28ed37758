import { shallowRef } from 'vue'
import { useI18n } from 'vue-i18n'
import { errorMessageKey } from '@/api/http'

/**
 * A server call a page waits for: its result, whether it is running, and what went wrong as a locale key
 * (offline, signed out, not allowed, …) the page shows in the user's language. A failed call keeps the
 * last result on screen.
 */
export function useRemote<T, A extends unknown[]>(load: (...args: A) => Promise<T>) {
  const { te } = useI18n()
  const data = shallowRef<T>()
  const loading = shallowRef(false)
  const problem = shallowRef<string>()
  let latest = 0

  async function run(...args: A): Promise<T | undefined> {
    const call = ++latest
    loading.value = true
    problem.value = undefined
    try {
      const result = await load(...args)
      if (call === latest) data.value = result
      return result
    } catch (err) {
      if (call === latest) problem.value = errorMessageKey(err, te)
      return undefined
    } finally {
      if (call === latest) loading.value = false
    }
  }

  return { data, loading, problem, run }
}
