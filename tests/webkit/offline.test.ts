/**
 * iPhones run WebKit. Through WebKitGTK's WebDriver: the first visit caches everything, the server is then
 * stopped (WebDriver cannot fake a lost network), and the inspector still browses, deep-links, searches and
 * checks in; the check-in survives a reload and reaches the server exactly once when it is back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createUser } from '../../server/auth/accounts'
import type { CheckIn } from '../../src/kernel/sync-schema'
import { startServer, type RunningServer } from '../helpers/browser'
import { realDataset } from '../helpers/seed'
import { storedChanges } from '../helpers/stored-changes'
import { WebKitSession, webkitAvailable } from '../helpers/webdriver'

// CI installs WebKitGTK; a machine without it shows these tests as skipped, and CI refuses that.
if (process.env.CI && !webkitAvailable) throw new Error('CI must run the WebKit tests: WebKitGTK is not installed')

const USERNAME = 'webkit.inspector'
const PASSWORD = 'webkit-password-long'

let server: RunningServer
let wk: WebKitSession

describe.skipIf(!webkitAvailable)('WebKit (Safari’s engine) with no server to reach', () => {
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

  const sections = () => wk.count('[data-testid="section-list"] li')
  const stateOfRecord = () => wk.attribute('[data-testid="record-state"]', 'data-state')

  it('first visit: the service worker takes control and the dataset is in IndexedDB', async () => {
    await wk.go(server.url)
    await wk.waitFor(async () => (await sections()) === 9, '9 sections listed')
    await wk.runAsync('await navigator.serviceWorker.ready')
    await wk.waitFor(() => wk.run<boolean>('return navigator.serviceWorker.controller !== null'), 'SW control')
    const tasks = await wk.runAsync<number>(`
      return await new Promise((resolve, reject) => {
        const open = indexedDB.open('zhixun')
        open.onerror = () => reject(open.error)
        open.onsuccess = () => {
          const count = open.result.transaction('tasks').objectStore('tasks').count()
          count.onsuccess = () => resolve(count.result)
        }
      })`)
    expect(tasks).toBe(160)
  })

  it('signs in with the keyboard while the server is there', async () => {
    await wk.go(`${server.url}/signin`)
    await wk.type('[data-testid="sign-in-username"]', USERNAME)
    await wk.type('[data-testid="sign-in-password"]', PASSWORD)
    await wk.click('[data-testid="sign-in-submit"]')
    await wk.waitFor(async () => !new URL(await wk.url()).pathname.startsWith('/signin'), 'leaving the sign-in page')
  })

  it('reloads with the server stopped and still lists every section', async () => {
    await server.app.close()
    await wk.reload()
    await wk.waitFor(async () => (await sections()) === 9, '9 sections after an offline reload')
    expect(await wk.text('[data-testid="section-list"] li')).toContain('谋划知识产权科学发展')
  })

  it('opens a deep link to a task and searches, all from the phone', async () => {
    await wk.go(`${server.url}/tasks/153`)
    await wk.waitFor(() => wk.count('[data-testid="task-page"]'), 'the task page')
    expect(await wk.text('h1')).toBe('任务 153')
    expect(await wk.count('[data-testid="task-department"]')).toBe(6)
    await wk.go(`${server.url}/search`)
    await wk.type('[data-testid="search-input"]', '展会')
    await wk.waitFor(
      async () => (await wk.count('[data-testid="task-hits"] .task-item')) === 2,
      'two tasks found for 展会',
    )
    expect(await wk.text('[data-testid="task-hits"] mark')).toBe('展会')
  })

  let id = ''
  it('saves a check-in with no server, and it survives a reload, waiting', async () => {
    await wk.go(`${server.url}/checkins/new?task=28`)
    await wk.waitFor(() => wk.count('[data-testid="venue-name"]'), 'the check-in form')
    await wk.type('[data-testid="venue-name"]', '琶洲展馆 B 区')
    await wk.click('[data-testid="venue-type"] option[value="trade_fair"]')
    await wk.click('[data-testid="outcome-suspected"]')
    await wk.type('[data-testid="checkin-note"]', '展位上的耳机疑似仿冒。')
    await wk.click('[data-testid="save-checkin"]')
    // No location: the form asks once before saving without one.
    await wk.click('[data-testid="confirm-save"]')
    await wk.waitFor(() => wk.count('[data-testid="checkin-page"]'), 'the saved check-in')
    id = (await wk.url()).split('/checkins/')[1]!
    expect(await stateOfRecord()).toBe('waiting')
    await wk.reload()
    await wk.waitFor(() => wk.count('[data-testid="checkin-page"]'), 'the check-in after a reload')
    expect(await wk.text('h1')).toBe('琶洲展馆 B 区')
    expect(await stateOfRecord()).toBe('waiting')
  })

  it('reaches the server exactly once when it is back, and shows verified', async () => {
    server = await startServer({ port: server.port, dbFile: server.dbFile })
    // The phone is backing off after failed attempts; "sync now" is what an inspector taps.
    await wk.go(`${server.url}/records`)
    await wk.waitFor(() => wk.count('[data-testid="sync-now"]'), 'the sync panel')
    await wk.click('[data-testid="sync-now"]')
    await wk.waitFor(
      async () => (await wk.text('[data-testid="unsent-count"]')).includes('所有记录都已上传到服务器'),
      'everything sent',
      30_000,
    )
    const copies = (await storedChanges(server.store.db)).filter((c) => c.id === id)
    expect(copies).toHaveLength(1)
    expect(copies[0]!.data as CheckIn).toMatchObject({
      venueName: '琶洲展馆 B 区',
      venueType: 'trade_fair',
      outcome: 'suspected',
      taskNumbers: [28],
    })
    await wk.go(`${server.url}/checkins/${id}`)
    await wk.waitFor(async () => (await stateOfRecord()) === 'verified', 'the check-in verified')
  })
})
