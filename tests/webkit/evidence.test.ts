/**
 * iPhones run WebKit: there too the phone's signing key is a non-extractable CryptoKey that IndexedDB keeps
 * across a reload, the check-in saved after it is signed with it, and the server verifies the signature.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createUser } from '../../server/auth/accounts'
import { startServer, type RunningServer } from '../helpers/browser'
import { realDataset } from '../helpers/seed'
import { WebKitSession, webkitAvailable } from '../helpers/webdriver'

if (process.env.CI && !webkitAvailable) throw new Error('CI must run the WebKit tests: WebKitGTK is not installed')

const USERNAME = 'webkit.signer'
const PASSWORD = 'webkit-password-long'

let server: RunningServer
let wk: WebKitSession
let userId = ''

describe.skipIf(!webkitAvailable)('WebKit signs what the inspector saves', () => {
  beforeAll(async () => {
    server = await startServer()
    userId = (
      await createUser(server.store.db, new Set(realDataset.departments.map((d) => d.name)), {
        username: USERNAME,
        displayName: '苹果手机巡查员',
        department: '省知识产权局',
        role: 'inspector',
        password: PASSWORD,
      })
    ).id
    wk = await WebKitSession.start()
    await wk.setWindowSize(360, 740)
  })
  afterAll(async () => {
    await wk?.close()
    await server?.app.close()
  })

  it('keeps a non-extractable key through a reload, signs a check-in with it, and the server finds it valid', async () => {
    await wk.go(`${server.url}/signin`)
    await wk.type('[data-testid="sign-in-username"]', USERNAME)
    await wk.type('[data-testid="sign-in-password"]', PASSWORD)
    await wk.click('[data-testid="sign-in-submit"]')
    await wk.waitFor(async () => !new URL(await wk.url()).pathname.startsWith('/signin'), 'leaving the sign-in page')
    const registered = () =>
      server.store.db.selectFrom('client_keys').select('key_id').where('user_id', '=', userId).execute()
    await wk.waitFor(async () => (await registered()).length === 1, 'the key registered at sign-in')

    await wk.reload()
    const key = await wk.runAsync<{ isCryptoKey: boolean; extractable: boolean; exportable: boolean; keyId: string }>(`
      const db = await new Promise((resolve, reject) => {
        const open = indexedDB.open('zhixun')
        open.onsuccess = () => resolve(open.result)
        open.onerror = () => reject(open.error)
      })
      const [k] = await new Promise((resolve, reject) => {
        const all = db.transaction('signingKeys').objectStore('signingKeys').getAll()
        all.onsuccess = () => resolve(all.result)
        all.onerror = () => reject(all.error)
      })
      db.close()
      let exportable = true
      await crypto.subtle.exportKey('jwk', k.privateKey).catch(() => (exportable = false))
      return { isCryptoKey: k.privateKey instanceof CryptoKey, extractable: k.privateKey.extractable, exportable, keyId: k.keyId }`)
    expect(key).toMatchObject({ isCryptoKey: true, extractable: false, exportable: false })
    expect(key.keyId).toBe((await registered())[0]!.key_id)

    await wk.go(`${server.url}/checkins/new?task=28`)
    await wk.waitFor(() => wk.count('[data-testid="venue-name"]'), 'the check-in form')
    await wk.type('[data-testid="venue-name"]', '琶洲展馆 C 区')
    await wk.click('[data-testid="venue-type"] option[value="trade_fair"]')
    await wk.click('[data-testid="outcome-suspected"]')
    await wk.click('[data-testid="save-checkin"]')
    // No location: the form asks once before saving without one.
    await wk.click('[data-testid="confirm-save"]')
    await wk.waitFor(() => wk.count('[data-testid="checkin-page"]'), 'the saved check-in')
    const id = (await wk.url()).split('/checkins/')[1]!
    const status = () =>
      server.store.db.selectFrom('records').select('signature_status').where('id', '=', id).executeTakeFirst()
    await wk.waitFor(async () => (await status())?.signature_status, 'the check-in on the server', 30_000)
    expect((await status())?.signature_status).toBe('valid')
    await wk.waitFor(
      async () => (await wk.count('[data-testid="record-signature"][data-signature="valid"]')) === 1,
      'the phone saying the server verified the signature',
      30_000,
    )
  })
})
