import { getCurrentScope, onScopeDispose } from 'vue'

export function tryOnScopeDispose(fn: () => void): boolean {
  if (!getCurrentScope()) return false
  onScopeDispose(fn)
  return true
}
