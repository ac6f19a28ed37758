import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchChromium, startServer, type RunningServer } from '../helpers/browser'

let browser: Browser
let nextDist: string

beforeAll(() => {
  // A second build of the same code under another name: what a new release looks like to a phone.
  nextDist = mkdtempSync(join(tmpdir(), 'zhixun-next-'))
  execFileSync('npx', ['vite', 'build', '--outDir', nextDist, '--emptyOutDir', '--logLevel', 'error'], {
    env: { ...process.env, ZHIXUN_BUILD: 'e2e-next-release' },
    stdio: 'inherit',
  })
}, 180_000)
beforeAll(async () => {
  browser = await launchChromium()
})
afterAll(async () => {
  await browser?.close()
  rmSync(nextDist, { recursive: true, force: true })
})

describe('a new release', () => {
  it('is offered with a prompt, never a silent reload, and keeps what the phone holds', async () => {
    let server: RunningServer = await startServer()
    const page = await browser.newPage({ viewport: { width: 360, height: 740 } })
    try {
      await page.goto(`${server.url}/tasks/5`)
      await page.waitForFunction(() => navigator.serviceWorker.controller !== null)
      await page.getByTestId('bookmark').click()
      await expect.poll(() => page.getByTestId('bookmark').getAttribute('aria-pressed')).toBe('true')
      await page.goto(`${server.url}/settings`)
      const firstBuild = await page.getByTestId('app-build').textContent()
      expect(firstBuild).not.toContain('e2e-next-release')

      // The server now serves the new release at the same address.
      const { port, dbFile } = server
      await server.app.close()
      server = await startServer({ distDir: nextDist, port, dbFile })
      await page.evaluate(async () => {
        await (await navigator.serviceWorker.getRegistration())?.update()
      })
      await page.getByTestId('update-prompt').waitFor({ timeout: 20_000 })
      // Still the old version: nothing reloaded behind the inspector's back.
      expect(await page.getByTestId('app-build').textContent()).toBe(firstBuild)

      await Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: '重新加载' }).click()])
      await expect
        .poll(() => page.getByTestId('app-build').textContent(), { timeout: 15_000 })
        .toContain('e2e-next-release')
      await page.goto(`${server.url}/`)
      await page.getByTestId('bookmark-list').waitFor()
      expect(await page.locator('[data-testid="bookmark-list"] .task-item').getAttribute('data-task')).toBe('5')
    } finally {
      await page.close()
      await server.app.close()
    }
  })
})
