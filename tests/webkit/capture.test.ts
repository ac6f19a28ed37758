/**
 * iPhones run WebKit, where selecting a number field's value on focus is unreliable: there too the counts an
 * inspector taps into and types are the counts saved, with the defaults shown as placeholders, not values.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createUser } from '../../server/auth/accounts'
import type { CheckIn } from '../../src/kernel/sync-schema'
import { startServer, type RunningServer } from '../helpers/browser'
import { realDataset } from '../helpers/seed'
import { WebKitSession, webkitAvailable } from '../helpers/webdriver'

if (process.env.CI && !webkitAvailable) throw new Error('CI must run the WebKit tests: WebKitGTK is not installed')

const USERNAME = 'webkit.counter'
const PASSWORD = 'webkit-password-long'

let server: RunningServer
let wk: WebKitSession

describe.skipIf(!webkitAvailable)('WebKit: the check-in form’s counts', () => {
  beforeAll(async () => {
    server = await startServer()
    await createUser(server.store.db, new Set(realDataset.departments.map((d) => d.name)), {
      username: USERNAME,
      displayName: '苹果手机巡查员',
      department: '省知识产权局',
      role: 'inspector',
      password: PASSWORD,
    })
    wk = await WebKitSession.start()
    await wk.setWindowSize(360, 740)
  })
  afterAll(async () => {
    await wk?.close()
    await server?.app.close()
  })

  it('saves 12 premises and 35 items when 12 and 35 are typed into the tapped fields', async () => {
    await wk.go(`${server.url}/signin`)
    await wk.type('[data-testid="sign-in-username"]', USERNAME)
    await wk.type('[data-testid="sign-in-password"]', PASSWORD)
    await wk.click('[data-testid="sign-in-submit"]')
    await wk.waitFor(async () => !new URL(await wk.url()).pathname.startsWith('/signin'), 'leaving the sign-in page')

    await wk.go(`${server.url}/checkins/new?task=28`)
    await wk.waitFor(() => wk.count('[data-testid="venue-name"]'), 'the check-in form')
    await wk.type('[data-testid="venue-name"]', '琶洲展馆 D 区')
    await wk.click('[data-testid="premises"]')
    await wk.type('[data-testid="premises"]', '12')
    await wk.click('[data-testid="seized"]')
    await wk.type('[data-testid="seized"]', '35')
    expect(
      await wk.run<string[]>(
        'return ["premises", "seized"].map((t) => document.querySelector(`[data-testid="${t}"]`).value)',
      ),
    ).toEqual(['12', '35'])
    await wk.click('[data-testid="save-checkin"]')
    // No location: the form asks once before saving without one.
    await wk.click('[data-testid="confirm-save"]')
    await wk.waitFor(() => wk.count('[data-testid="checkin-page"]'), 'the saved check-in')
    const id = (await wk.url()).split('/checkins/')[1]!
    const saved = await wk.runAsync<CheckIn>(
      `return await new Promise((resolve, reject) => {
        const open = indexedDB.open('zhixun')
        open.onerror = () => reject(open.error)
        open.onsuccess = () => {
          const get = open.result.transaction('checkins').objectStore('checkins').get(a[0])
          get.onsuccess = () => resolve(get.result.data)
          get.onerror = () => reject(get.error)
        }
      })`,
      id,
    )
    expect(saved).toMatchObject({ venueName: '琶洲展馆 D 区', premisesInspected: 12, itemsSeized: 35 })
  })
})
