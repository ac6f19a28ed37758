import * as v from 'valibot'
import { describe, expect, it } from 'vitest'
import { isProxy, reactive } from 'vue'
import {
  correctionDraft,
  countValue,
  draftKey,
  draftProblems,
  draftToCheckIn,
  emptyDraft,
  largeCounts,
  newDraft,
  phoneDateTimeInput,
  plainDraft,
  tasksWithCampaign,
  withTypedTask,
  type CheckInDraft,
} from '../../src/components/checkin/draft'
import { parseCheckInQuery } from '../../src/components/checkin/query'
import { CheckInSchema } from '../../src/kernel/sync-schema'
import { makeCheckIn } from '../helpers/records'

const now = new Date(2026, 10, 20, 9, 5)
const known = new Set([1, 17, 28, 40])
const AUTHOR = '01900000-0000-7000-8000-0000000000aa'
const campaign = { id: 'campaign-1', taskNumbers: [28, 40] }

/** A draft the inspector could save as it is. */
function filled(overrides: Partial<CheckInDraft> = {}): CheckInDraft {
  return { ...emptyDraft([28], now), venueName: '广交会展馆 A 区', ...overrides }
}

describe('a new check-in draft', () => {
  it('starts now, in the phone’s own time, with nothing the inspector has to undo', () => {
    expect(phoneDateTimeInput(now)).toBe('2026-11-20T09:05')
    const d = emptyDraft([28], now)
    expect(d).toMatchObject({
      venueName: '',
      venueType: 'market',
      occurredAt: '2026-11-20T09:05',
      location: null,
      outcome: 'no_problem',
      // Empty count fields: the defaults show as placeholders, so what is typed is the whole number.
      premisesInspected: '',
      itemsSeized: '',
      taskNumbers: [28],
      campaignId: null,
      photos: [],
      correctionOf: null,
    })
    expect(d.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(emptyDraft([], now).id).not.toBe(d.id)
  })

  it('opened from a task has that task; from a campaign, the campaign and its tasks', () => {
    expect(newDraft(undefined, undefined, now).taskNumbers).toEqual([])
    expect(newDraft(17, undefined, now)).toMatchObject({ taskNumbers: [17], campaignId: null })
    const under = newDraft(undefined, campaign, now)
    expect(under).toMatchObject({ taskNumbers: [28, 40], campaignId: 'campaign-1' })
    expect(under.taskNumbers).not.toBe(campaign.taskNumbers)
    // A task named in the link is kept: the campaign's tasks come in only when none are chosen.
    expect(newDraft(17, campaign, now)).toMatchObject({ taskNumbers: [17], campaignId: 'campaign-1' })
  })

  it('for a correction starts from the original, as a new record that names it', () => {
    const original = makeCheckIn({ photos: [{ sha256: 'a'.repeat(64), size: 10, type: 'image/jpeg' }] })
    const d = correctionDraft(original, now)
    expect(d).toMatchObject({
      venueName: original.venueName,
      venueType: original.venueType,
      occurredAt: phoneDateTimeInput(new Date(original.occurredAt)),
      location: original.location,
      outcome: original.outcome,
      premisesInspected: original.premisesInspected,
      itemsSeized: original.itemsSeized,
      note: original.note,
      taskNumbers: original.taskNumbers,
      campaignId: original.campaignId,
      correctionOf: original.id,
      photos: [],
    })
    expect(d.id).not.toBe(original.id)
  })

  it('is kept under one key for a new check-in, and one per check-in corrected', () => {
    expect(draftKey(undefined)).toBe('checkin:new')
    expect(draftKey('')).toBe('checkin:new')
    expect(draftKey('abc')).toBe('checkin:correct:abc')
  })
})

describe('editing the tasks of a draft', () => {
  it('brings a chosen campaign’s tasks in only when none are chosen yet', () => {
    const none: number[] = []
    expect(tasksWithCampaign(none, campaign)).toEqual([28, 40])
    expect(tasksWithCampaign(none, campaign)).not.toBe(campaign.taskNumbers)
    const chosen = [17]
    expect(tasksWithCampaign(chosen, campaign)).toBe(chosen)
    expect(tasksWithCampaign(none, undefined)).toBe(none)
  })

  it('adds a typed task number the dataset has, once', () => {
    const tasks = [28]
    expect(withTypedTask(tasks, '17', known)).toEqual([28, 17])
    expect(withTypedTask(tasks, ' 40 ', known)).toEqual([28, 40])
    expect(withTypedTask(tasks, '28', known)).toBe(tasks)
    expect(tasks).toEqual([28])
  })

  it('refuses a number the dataset does not have, or anything that is not a whole number', () => {
    for (const typed of ['999', '0', '-1', '2.5', 'abc', ''])
      expect(withTypedTask([], typed, known), typed).toBe(undefined)
  })
})

describe('draftProblems', () => {
  it('finds nothing wrong with a filled-in draft', () => {
    expect(draftProblems(filled(), known)).toEqual([])
    expect(draftProblems(filled({ premisesInspected: 0, itemsSeized: 1_000_000 }), known)).toEqual([])
  })

  it('asks for a venue name that is more than spaces', () => {
    expect(draftProblems(filled({ venueName: '' }), known)).toEqual(['venueName'])
    expect(draftProblems(filled({ venueName: ' \u3000 ' }), known)).toEqual(['venueName'])
  })

  it('asks for a time that can be read', () => {
    expect(draftProblems(filled({ occurredAt: '' }), known)).toEqual(['occurredAt'])
    expect(draftProblems(filled({ occurredAt: 'yesterday' }), known)).toEqual(['occurredAt'])
  })

  it('takes counts from 0 to a million, in whole numbers', () => {
    for (const n of [-1, 1.5, 1_000_001, Number.NaN, '-1', '1.5', '1e3', '12a', '1000001', '+3'] as const) {
      expect(draftProblems(filled({ premisesInspected: n }), known), String(n)).toEqual(['counts'])
      expect(draftProblems(filled({ itemsSeized: n }), known), String(n)).toEqual(['counts'])
    }
  })

  it('reads a count as typed, full-width digits too, and an empty field as its default', () => {
    const counts = (premisesInspected: number | string, itemsSeized: number | string) => {
      const d = filled({ premisesInspected, itemsSeized })
      return [countValue(d, 'premisesInspected'), countValue(d, 'itemsSeized')]
    }
    expect(counts('', '')).toEqual([1, 0])
    expect(counts(' 12 ', '35')).toEqual([12, 35])
    expect(counts('１２', '０３５')).toEqual([12, 35])
    // Drafts kept by earlier versions hold numbers.
    expect(counts(1, 0)).toEqual([1, 0])
    expect(draftProblems(filled({ premisesInspected: '12', itemsSeized: '0' }), known)).toEqual([])
  })

  it('calls counts above 100 premises or 10,000 items unusual', () => {
    expect(largeCounts(filled({ premisesInspected: '100', itemsSeized: '10000' }))).toEqual([])
    expect(largeCounts(filled({ premisesInspected: '101', itemsSeized: '10001' }))).toEqual([
      'premisesInspected',
      'itemsSeized',
    ])
    expect(largeCounts(filled({ premisesInspected: 'x' }))).toEqual([])
  })

  it('needs at least one task, and only tasks the dataset has', () => {
    expect(draftProblems(filled({ taskNumbers: [] }), known)).toEqual(['taskNumbers'])
    expect(draftProblems(filled({ taskNumbers: [28, 999] }), known)).toEqual(['taskNumbers'])
    expect(draftProblems(filled({ taskNumbers: [28] }), new Set())).toEqual(['taskNumbers'])
  })

  it('lists every problem at once, in the order of the form', () => {
    const d = filled({ venueName: '', occurredAt: '', itemsSeized: '-', taskNumbers: [] })
    expect(draftProblems(d, known)).toEqual(['venueName', 'occurredAt', 'counts', 'taskNumbers'])
  })
})

describe('a draft on its way to IndexedDB and the server', () => {
  const bytes = new Uint8Array([1, 2, 3]).buffer
  const photo = { sha256: 'b'.repeat(64), size: 3, type: 'image/jpeg' as const, bytes }

  it('is copied out of Vue’s proxies, which IndexedDB cannot store, keeping the photo bytes as they are', () => {
    const d = reactive(filled({ location: { lat: 23.1, lng: 113.3, accuracy: 8 }, photos: [photo] }))
    expect(() => structuredClone(d)).toThrow()
    const plain = plainDraft(d)
    expect(() => structuredClone(plain)).not.toThrow()
    expect(isProxy(plain.location) || isProxy(plain.taskNumbers) || isProxy(plain.photos[0])).toBe(false)
    expect(plain.photos[0]!.bytes).toBe(bytes)
    expect(plain).toEqual({
      ...filled({ location: { lat: 23.1, lng: 113.3, accuracy: 8 }, photos: [photo] }),
      id: d.id,
    })
  })

  it('becomes a check-in the sync schema accepts: trimmed, in UTC, counts as numbers, photos without bytes', () => {
    const d = filled({ venueName: '  东门市场 ', premisesInspected: '3', photos: [photo], campaignId: 'campaign-1' })
    const checkIn = draftToCheckIn(d, AUTHOR, new Date('2026-11-20T01:06:00Z'))
    expect(checkIn).toMatchObject({
      id: d.id,
      authorId: AUTHOR,
      venueName: '东门市场',
      occurredAt: new Date('2026-11-20T09:05').toISOString(),
      premisesInspected: 3,
      itemsSeized: 0,
      campaignId: 'campaign-1',
      photos: [{ sha256: photo.sha256, size: 3, type: 'image/jpeg' }],
      createdAt: '2026-11-20T01:06:00.000Z',
    })
    expect(checkIn.photos[0]).not.toHaveProperty('bytes')
    expect(v.safeParse(CheckInSchema, checkIn).success).toBe(true)
  })
})

describe('the link that opens the check-in form', () => {
  it('names a check-in to correct, a task or a campaign to start from', () => {
    expect(parseCheckInQuery({})).toEqual({})
    expect(parseCheckInQuery({ correct: 'abc' })).toEqual({ correct: 'abc' })
    expect(parseCheckInQuery({ task: '28' })).toEqual({ task: 28 })
    expect(parseCheckInQuery({ campaign: 'c1', task: '17' })).toEqual({ campaign: 'c1', task: 17 })
  })

  it('leaves out a part it cannot use, and keeps the rest', () => {
    for (const task of ['0', '-3', '2.5', 'abc', '', ['1', '2'], null])
      expect(parseCheckInQuery({ task, campaign: 'c1' }), String(task)).toEqual({ campaign: 'c1' })
    expect(parseCheckInQuery({ correct: '', campaign: ['a', 'b'], other: 'x' })).toEqual({})
  })
})
