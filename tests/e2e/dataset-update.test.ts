import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Dataset } from '../../src/kernel/dataset'
import { launchChromium, startServer } from '../helpers/browser'

let browser: Browser
let newDist: string

beforeAll(async () => {
  browser = await launchChromium()
  newDist = mkdtempSync(join(tmpdir(), 'zhixun-dist-v2-'))
  cpSync('dist', newDist, { recursive: true })
  const dataset = JSON.parse(readFileSync(join(newDist, 'data', 'dataset.json'), 'utf8')) as Dataset
  dataset.version = 'e2e0000000000002'
  dataset.tasks[0]!.text = '这是服务器上更新后的任务一。'
  writeFileSync(join(newDist, 'data', 'dataset.json'), JSON.stringify(dataset))
})
afterAll(async () => {
  await browser?.close()
  rmSync(newDist, { recursive: true, force: true })
})

describe('a new dataset on the server', () => {
  it('replaces the cached one on the next online start, whole', async () => {
    const first = await startServer()
    const port = first.port
    const page = await browser.newPage()
    await page.goto(`${first.url}/tasks/1`)
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null)
    await page.getByTestId('task-text').waitFor()
    expect(await page.getByTestId('task-text').textContent()).toMatch(/^认真贯彻落实/)
    await first.app.close()

    // The same origin, now serving a dataset of another version.
    const second = await startServer({ distDir: newDist, port })
    try {
      await page.reload()
      await expect
        .poll(() => page.getByTestId('task-text').textContent(), { timeout: 10_000 })
        .toBe('这是服务器上更新后的任务一。')
      await page.goto(`${second.url}/settings`)
      await expect.poll(() => page.getByTestId('dataset-version').textContent()).toBe('e2e0000000000002')
      await page.goto(`${second.url}/tasks/160`)
      await expect.poll(() => page.getByTestId('task-text').textContent()).toMatch(/^省知识产权局负责统筹/)
    } finally {
      await page.close()
      await second.app.close()
    }
  })
})
