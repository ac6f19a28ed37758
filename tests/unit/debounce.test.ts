import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { effectScope } from 'vue'
import { useDebouncedFn } from '../../src/composables/useDebouncedFn'

describe('useDebouncedFn', () => {
  beforeEach(() => {
    vi.useFakeTimers()
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('calls once the calls pause, with the last arguments', () => {
    const fn = vi.fn()
    const save = useDebouncedFn(fn, 300)
    save('a')
    vi.advanceTimersByTime(200)
    save('b')
    vi.advanceTimersByTime(299)
    expect(fn).not.toHaveBeenCalled()
    vi.advanceTimersByTime(1)
    expect(fn).toHaveBeenCalledTimes(1)
    expect(fn).toHaveBeenCalledWith('b')
    vi.advanceTimersByTime(1000)
    expect(fn).toHaveBeenCalledTimes(1)
  })

  it('drops the waiting call on cancel', () => {
    const fn = vi.fn()
    const save = useDebouncedFn(fn, 300)
    save('a')
    save.cancel()
    vi.advanceTimersByTime(1000)
    expect(fn).not.toHaveBeenCalled()
    // It still works afterwards.
    save('b')
    vi.advanceTimersByTime(300)
    expect(fn).toHaveBeenCalledWith('b')
  })

  it('makes the waiting call at once on flush, and only once', () => {
    const fn = vi.fn()
    const save = useDebouncedFn(fn, 300)
    save.flush()
    expect(fn).not.toHaveBeenCalled()
    save('a')
    save.flush()
    expect(fn).toHaveBeenCalledExactlyOnceWith('a')
    vi.advanceTimersByTime(1000)
    save.flush()
    expect(fn).toHaveBeenCalledTimes(1)
  })

  it('drops a waiting call when its scope is disposed', () => {
    const fn = vi.fn()
    const scope = effectScope()
    const save = scope.run(() => useDebouncedFn(fn, 300))!
    save('a')
    scope.stop()
    vi.advanceTimersByTime(1000)
    expect(fn).not.toHaveBeenCalled()
    expect(vi.getTimerCount()).toBe(0)
  })

  it('makes a waiting call when its scope is disposed, if asked to', () => {
    const fn = vi.fn()
    const scope = effectScope()
    const save = scope.run(() => useDebouncedFn(fn, 300, { onDispose: 'flush' }))!
    save('last edit')
    scope.stop()
    expect(fn).toHaveBeenCalledExactlyOnceWith('last edit')
    vi.advanceTimersByTime(1000)
    expect(fn).toHaveBeenCalledTimes(1)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('has nothing to do on dispose when nothing waits', () => {
    const fn = vi.fn()
    const scope = effectScope()
    scope.run(() => useDebouncedFn(fn, 300, { onDispose: 'flush' }))
    scope.stop()
    expect(fn).not.toHaveBeenCalled()
  })
})
