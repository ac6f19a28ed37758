import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { chromium, type Browser, type Page } from 'playwright-core'
import { buildServer } from '../../server/app'
import { openStore, type Store } from '../../server/db/database'

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
]

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS })
}

export interface RunningServer {
  app: FastifyInstance
  store: Store
  url: string
  port: number
  /** The SQLite file, so a restarted server can open the same data. */
  dbFile: string
}

/**
 * The real server over the built app, with SQLite in a file of its own, on a free loopback port (or `port`,
 * to come back where a stopped one was). `configure` may add hooks before it starts listening.
 */
export async function startServer(
  options: { distDir?: string; port?: number; dbFile?: string; configure?: (app: FastifyInstance) => void } = {},
): Promise<RunningServer> {
  const dbFile = options.dbFile ?? join(mkdtempSync(join(tmpdir(), 'zhixun-e2e-')), 'zhixun.sqlite')
  const store: Store = await openStore(dbFile)
  const app = await buildServer({ distDir: options.distDir ?? 'dist', store })
  app.addHook('onClose', () => store.close())
  options.configure?.(app)
  const url = await app.listen({ port: options.port ?? 0, host: '127.0.0.1' })
  return { app, store, url, port: Number(new URL(url).port), dbFile }
}

/** Adds a user to a running server's database and signs them in through the app's sign-in page. */
export async function signInThroughUi(
  page: import('playwright-core').Page,
  server: RunningServer,
  role: 'inspector' | 'supervisor' | 'admin' = 'inspector',
  department = '省知识产权局',
): Promise<{ id: string; username: string }> {
  const { createUser } = await import('../../server/auth/accounts')
  const { realDataset } = await import('./seed')
  const username = `e2e.${role}.${Math.random().toString(36).slice(2, 8)}`
  const password = 'e2e-password-long'
  const user = await createUser(server.store.db, new Set(realDataset.departments.map((d) => d.name)), {
    username,
    displayName: '测试巡查员',
    department,
    role,
    password,
  })
  await page.goto(`${server.url}/signin`)
  await page.getByTestId('sign-in-username').fill(username)
  await page.getByTestId('sign-in-password').fill(password)
  await page.getByTestId('sign-in-submit').click()
  await page.waitForURL((u) => !u.pathname.startsWith('/signin'))
  return { id: user.id, username }
}

/**
 * Waits until the page has stopped changing: its fonts loaded, then `frames` animation frames in a row with no
 * change to the document (a MutationObserver watches). What a page fills in late (from IndexedDB, a fetch,
 * a font) starts the count again, so a measurement taken after it sees the page as the user does.
 */
export async function untilStill(page: Page, frames = 3): Promise<void> {
  await page.evaluate(async (frames) => {
    await document.fonts.ready
    await new Promise<void>((resolve) => {
      let quiet = 0
      const observer = new MutationObserver(() => (quiet = 0))
      observer.observe(document, { subtree: true, childList: true, attributes: true, characterData: true })
      const frame = () => {
        if (++quiet > frames) {
          observer.disconnect()
          resolve()
        } else requestAnimationFrame(frame)
      }
      requestAnimationFrame(frame)
    })
  }, frames)
}

/** How many rows a store of the phone's IndexedDB holds. */
export const countIn = (page: Page, store: string): Promise<number> =>
  page.evaluate(
    (name) =>
      new Promise<number>((resolve, reject) => {
        const open = indexedDB.open('zhixun')
        open.onerror = () => reject(open.error)
        open.onsuccess = () => {
          const req = open.result.transaction(name).objectStore(name).count()
          req.onsuccess = () => {
            open.result.close()
            resolve(req.result)
          }
        }
      }),
    store,
  )
