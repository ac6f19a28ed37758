import { describe, expect, it } from 'vitest'
import { SignInError, type SignInProblem } from '../../src/api/auth'
import { ApiError, errorMessageKey, type ErrorMessages } from '../../src/api/http'
import { parseSeed, SeedFormatError } from '../../src/dataset/parse'
import { RecordInvalidError } from '../../src/db/records'
import { UnsentRecordsError } from '../../src/db/session'
import { assertDataset, DatasetShapeError } from '../../src/kernel/dataset-validate'
import { ZhixunError } from '../../src/kernel/errors'
import { i18n } from '../../src/modules/i18n'
import { PhotoError } from '../../src/photos/compress'
import { ImportError, type ImportProblem } from '../../src/records/import'
import { SyncFailure } from '../../src/sync/engine'

const { t, te } = i18n.global
const known = (key: string) => te(key)
const offline = () => new TypeError('Failed to fetch')
const timeout = () => new DOMException('signal timed out', 'TimeoutError')
const storage = () => Object.assign(new Error('QuotaExceededError'), { name: 'QuotaExceededError' })

/** The screens that explain errors, each with where its own messages are and what it says otherwise. */
const SCREENS = {
  signIn: { under: 'signIn.errors', fallback: 'signIn.errors.server' },
  import: { under: 'import.errors', fallback: 'import.errors.storage' },
  checkIn: { under: 'checkin.errors', fallback: 'checkin.errors.storage' },
  note: { under: 'note.errors', fallback: 'checkin.errors.storage' },
  account: { under: 'account', fallback: 'account.failed' },
  photo: { under: 'checkin.photos', fallback: 'checkin.photos.unreadable' },
} satisfies Record<string, ErrorMessages>

describe('the error classes', () => {
  it('all extend ZhixunError and keep their code as `code`, and their name for logs', () => {
    const cases: [ZhixunError, string, string][] = [
      [new ApiError(403, { error: 'forbidden' }), 'ApiError', 'forbidden'],
      [new SignInError('locked', 900), 'SignInError', 'locked'],
      [new ImportError('photo_damaged'), 'ImportError', 'photo_damaged'],
      [new RecordInvalidError('invalid venueName: venue name is required'), 'RecordInvalidError', 'invalid'],
      [new UnsentRecordsError(3), 'UnsentRecordsError', 'unsent'],
      [new SyncFailure('seq_gap', 'the server lost records'), 'SyncFailure', 'seq_gap'],
      [new PhotoError('too_large'), 'PhotoError', 'too_large'],
      [new DatasetShapeError('tasks[3]'), 'DatasetShapeError', 'invalid'],
      [new SeedFormatError(12, 'a task', '???'), 'SeedFormatError', 'seed_format'],
    ]
    for (const [err, name, code] of cases) {
      expect(err, name).toBeInstanceOf(ZhixunError)
      expect(err, name).toBeInstanceOf(Error)
      expect(err.name).toBe(name)
      expect(err.code, name).toBe(code)
      expect(err.message, name).not.toBe('')
    }
  })

  it('keep what each one says besides its code', () => {
    const api = new ApiError(503, { error: 'unavailable', message: 'down for upkeep' }, 20)
    expect(api).toMatchObject({ status: 503, body: { error: 'unavailable' }, retryAfter: 20 })
    expect(api.message).toBe('HTTP 503 unavailable: down for upkeep')
    expect(new SignInError('locked', 600).retryAfterS).toBe(600)
    const invalid = new RecordInvalidError('invalid venueName: venue name is required')
    expect(invalid.detail).toBe('invalid venueName: venue name is required')
    expect(invalid.message).toBe(invalid.detail)
    expect(new UnsentRecordsError(3).count).toBe(3)
    expect(new DatasetShapeError('tasks[3]').path).toBe('tasks[3]')
    expect(new SeedFormatError(12, 'a task', '???')).toMatchObject({ line: 12, expected: 'a task', found: '???' })
  })

  it('give a server answer without a code one made of its status', () => {
    const err = new ApiError(502, { message: '<html>Bad gateway' })
    expect(err.code).toBe('http_502')
    expect(err.message).toBe('HTTP 502: <html>Bad gateway')
  })

  it('are what the code that throws them throws', () => {
    expect(() => assertDataset({})).toThrow(DatasetShapeError)
    expect(() => parseSeed('')).toThrow(SeedFormatError)
  })
})

describe('errorMessageKey', () => {
  it('explains a server answer by its code when the locale knows it, otherwise by its HTTP status', () => {
    const cases: [ApiError, string][] = [
      [new ApiError(403, { error: 'forbidden' }), 'apiError.forbidden'],
      [new ApiError(400, { error: 'unknown_task' }), 'apiError.unknown_task'],
      [new ApiError(409, { error: 'campaign_changed' }), 'apiError.campaign_changed'],
      [new ApiError(409, { error: 'something_new' }), 'apiError.conflict'],
      [new ApiError(401), 'apiError.signed_out'],
      [new ApiError(403), 'apiError.forbidden'],
      [new ApiError(404, { message: 'Not Found' }), 'apiError.not_found'],
      [new ApiError(409), 'apiError.conflict'],
      [new ApiError(422, { error: 'bad_shape' }), 'apiError.invalid'],
      [new ApiError(429), 'apiError.invalid'],
      [new ApiError(500), 'apiError.server'],
      [new ApiError(503, { error: 'unavailable' }, 20), 'apiError.server'],
    ]
    for (const [err, key] of cases) {
      expect(errorMessageKey(err, known), err.message).toBe(key)
      // Whatever the screen, a server answer reads the same.
      expect(errorMessageKey(err, known, SCREENS.checkIn), err.message).toBe(key)
    }
  })

  it('says the server was out of reach for anything else, unless the screen says otherwise', () => {
    for (const err of [offline(), timeout(), storage(), 'a string', undefined]) {
      expect(errorMessageKey(err, known)).toBe('apiError.offline')
      expect(errorMessageKey(err, known, SCREENS.import)).toBe('import.errors.storage')
    }
  })

  it('explains a sign-in as the sign-in page did', () => {
    const problems: SignInProblem[] = ['bad_credentials', 'locked', 'too_many_attempts', 'busy', 'offline', 'server']
    for (const p of problems)
      expect(errorMessageKey(new SignInError(p), known, SCREENS.signIn)).toBe(`signIn.errors.${p}`)
    expect(errorMessageKey(new UnsentRecordsError(2), known, SCREENS.signIn)).toBe('signIn.errors.unsent')
    for (const err of [offline(), storage(), new PhotoError('too_large')])
      expect(errorMessageKey(err, known, SCREENS.signIn)).toBe('signIn.errors.server')
    // The messages themselves, as the inspector reads them.
    expect(t('signIn.errors.unsent', { n: 2 })).toBe(
      '本机还有 2 条上一位用户的记录既未上传也未导出，暂时不能换人登录。请上一位用户登录后上传或导出。',
    )
    const wait = t('signIn.wait.minutes', { n: 10 })
    expect(t(errorMessageKey(new SignInError('locked', 600), known, SCREENS.signIn), { wait })).toBe(
      '这个账号密码错误次数太多，请 10 分钟后再试。',
    )
  })

  it('explains an import as the import button did', () => {
    const problems: ImportProblem[] = ['not_json', 'not_export', 'invalid', 'other_author', 'photo_damaged']
    for (const p of problems)
      expect(errorMessageKey(new ImportError(p), known, SCREENS.import)).toBe(`import.errors.${p}`)
    expect(errorMessageKey(storage(), known, SCREENS.import)).toBe('import.errors.storage')
  })

  it('explains saving a check-in or a note, signing out and adding a photo as those screens did', () => {
    const invalid = new RecordInvalidError('invalid venueName: venue name is required')
    expect(errorMessageKey(invalid, known, SCREENS.checkIn)).toBe('checkin.errors.invalid')
    expect(errorMessageKey(storage(), known, SCREENS.checkIn)).toBe('checkin.errors.storage')
    expect(t('checkin.errors.invalid', { reason: invalid.detail })).toBe(
      '记录不完整：invalid venueName: venue name is required',
    )
    expect(errorMessageKey(invalid, known, SCREENS.note)).toBe('note.errors.invalid')
    expect(errorMessageKey(storage(), known, SCREENS.note)).toBe('checkin.errors.storage')
    expect(errorMessageKey(new UnsentRecordsError(1), known, SCREENS.account)).toBe('account.unsent')
    expect(errorMessageKey(storage(), known, SCREENS.account)).toBe('account.failed')
    expect(errorMessageKey(new PhotoError('too_large'), known, SCREENS.photo)).toBe('checkin.photos.too_large')
    expect(errorMessageKey(new PhotoError('unreadable'), known, SCREENS.photo)).toBe('checkin.photos.unreadable')
    expect(errorMessageKey(new TypeError('not an image'), known, SCREENS.photo)).toBe('checkin.photos.unreadable')
  })

  it('falls back when the screen has no message for the code', () => {
    expect(errorMessageKey(new ImportError('invalid'), known, SCREENS.account)).toBe('account.failed')
    expect(errorMessageKey(new SyncFailure('hash_mismatch', 'x'), known, SCREENS.checkIn)).toBe(
      'checkin.errors.storage',
    )
  })
})
