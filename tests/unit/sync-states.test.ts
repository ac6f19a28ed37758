import 'fake-indexeddb/auto'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { ApiError } from '../../src/api/http'
import { db } from '../../src/db/db'
import { replaceDataset } from '../../src/db/dataset'
import { useDatasetSyncStore } from '../../src/stores/datasetSync'
import { failedPartOf, partReasonOf, recordsNoticeOf } from '../../src/stores/sync'
import { BUG_MIN_DELAY_MS, SyncPartFailure, SyncScheduler } from '../../src/sync/scheduler'
import { realDataset } from '../helpers/seed'

describe('which part of a sync failed', () => {
  it('names the campaign list when it failed after the records went up, with its own cause', () => {
    const timeout = new DOMException('signal timed out', 'TimeoutError')
    expect(failedPartOf(new SyncPartFailure('campaigns', timeout))).toEqual({ part: 'campaigns', problem: 'offline' })
    expect(failedPartOf(new SyncPartFailure('campaigns', new ApiError(500)))).toEqual({
      part: 'campaigns',
      problem: 'internal',
    })
    // Anything else is the records' own failure, as before.
    expect(failedPartOf(new TypeError('Failed to fetch'))).toEqual({ part: 'records', problem: 'offline' })
    expect(failedPartOf(new ApiError(503))).toEqual({ part: 'records', problem: 'server' })
  })

  it('says a few words for a part, whatever failed it', () => {
    expect(partReasonOf('offline')).toBe('offline')
    expect(partReasonOf('invalid')).toBe('invalid')
    expect(partReasonOf('gap')).toBe('unknown')
  })
})

describe('the records status line', () => {
  const base = { expired: false, signedOut: false, online: true, unsentCount: 0 }

  it('never shows a records problem while every record is on the server', () => {
    expect(recordsNoticeOf({ ...base, problem: 'offline' })).toBe('auto')
    expect(recordsNoticeOf({ ...base, problem: 'internal' })).toBe('auto')
    expect(recordsNoticeOf({ ...base, problem: 'offline', unsentCount: 2 })).toBe('problem')
  })

  it('puts signing in again, then being signed out, then being offline before any problem', () => {
    expect(recordsNoticeOf({ ...base, expired: true, online: false, problem: 'offline', unsentCount: 1 })).toBe(
      'expired',
    )
    expect(recordsNoticeOf({ ...base, signedOut: true, unsentCount: 1 })).toBe('signedOut')
    expect(recordsNoticeOf({ ...base, online: false, problem: 'offline', unsentCount: 1 })).toBe('offline')
  })
})

describe('the scheduler after a part failed', () => {
  beforeEach(() => vi.useFakeTimers())
  afterEach(() => vi.useRealTimers())

  it('waits as its cause says: a bug in the campaign list waits the slow 5 min, and reports the part', async () => {
    const errors: unknown[] = []
    const run = vi.fn(async () => {
      if (run.mock.calls.length === 1) throw new SyncPartFailure('campaigns', new ApiError(500))
    })
    const scheduler = new SyncScheduler({
      run,
      online: () => true,
      random: () => 1,
      onChange: (_s, info) => info.error && errors.push(info.error),
    })
    scheduler.trigger('startup')
    await vi.advanceTimersByTimeAsync(0)
    expect(errors[0]).toBeInstanceOf(SyncPartFailure)
    expect((errors[0] as SyncPartFailure).part).toBe('campaigns')
    // A save does not cut a bug's wait short, as for the records' own bugs.
    scheduler.trigger('saved')
    await vi.advanceTimersByTimeAsync(BUG_MIN_DELAY_MS - 1)
    expect(run).toHaveBeenCalledTimes(1)
    await vi.advanceTimersByTimeAsync(1)
    expect(run).toHaveBeenCalledTimes(2)
    scheduler.stop()
  })

  it('retries a campaign list that timed out on the quick backoff, honouring Retry-After of its cause', async () => {
    const run = vi.fn(async () => {
      if (run.mock.calls.length === 1) throw new SyncPartFailure('campaigns', new ApiError(503, {}, 30))
    })
    const scheduler = new SyncScheduler({ run, online: () => true, random: () => 1 })
    scheduler.trigger('startup')
    await vi.advanceTimersByTimeAsync(29_999)
    expect(run).toHaveBeenCalledTimes(1)
    await vi.advanceTimersByTimeAsync(1)
    expect(run).toHaveBeenCalledTimes(2)
    scheduler.stop()
  })
})

describe('when the dataset was last checked', () => {
  beforeEach(async () => {
    setActivePinia(createPinia())
    await db.delete()
    await db.open()
  })
  afterEach(() => vi.unstubAllGlobals())

  it('survives a reload: a new store reads it from the phone', async () => {
    await replaceDataset(db, realDataset)
    vi.stubGlobal('fetch', async () => new Response(null, { status: 304 }))
    const first = useDatasetSyncStore()
    await first.refresh()
    const checkedAt = first.lastCheckedAt
    expect(checkedAt).toBeTypeOf('number')

    // A reload: a fresh Pinia, a fresh store, nothing fetched.
    setActivePinia(createPinia())
    const after = useDatasetSyncStore()
    await vi.waitFor(() => expect(after.lastCheckedAt).toBe(checkedAt))
  })
})
