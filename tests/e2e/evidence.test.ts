import { readFileSync } from 'node:fs'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { canonicalJson, recordHash, sha256Hex } from '../../src/kernel/canonical'
import { launchChromium, signInThroughUi, startServer, type RunningServer } from '../helpers/browser'

// Evidence integrity in the real browser: the signing key is a non-extractable CryptoKey that IndexedDB keeps
// across reloads, a record saved offline is signed, an export file changed after the fact is refused (in
// Chinese) on another phone, the server verifies the signatures, and a server copy that differs is shown.

let browser: Browser
let server: RunningServer

beforeAll(async () => {
  server = await startServer()
  browser = await launchChromium()
})
afterAll(async () => {
  await browser?.close()
  await server?.app.close()
})

async function newPhone(): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 360, height: 740 }, locale: 'zh-CN' })
  const page = await context.newPage()
  await page.goto(server.url)
  await page.locator('[data-testid="section-list"] li').first().waitFor()
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null)
  return { context, page }
}

async function signIn(page: Page, username: string): Promise<void> {
  await page.goto(`${server.url}/signin`)
  await page.getByTestId('sign-in-username').fill(username)
  await page.getByTestId('sign-in-password').fill('e2e-password-long')
  await page.getByTestId('sign-in-submit').click()
  await page.waitForURL((u) => !u.pathname.startsWith('/signin'))
}

async function checkIn(page: Page, venue: string, seized: number): Promise<string> {
  await page.goto(`${server.url}/checkins/new?task=28`)
  await page.getByTestId('venue-name').fill(venue)
  await page.getByTestId('venue-type').selectOption('trade_fair')
  await page.getByTestId('outcome-suspected').check()
  await page.locator('#ci-seized').fill(String(seized))
  await page.getByTestId('save-checkin').click()
  // No location: the form asks once before saving without one.
  await page.getByTestId('confirm-save').click()
  await page.getByTestId('checkin-page').waitFor()
  return page.url().split('/checkins/')[1]!
}

const stateOf = (page: Page) => page.getByTestId('record-state').first().getAttribute('data-state')

const serverRow = (id: string) =>
  server.store.db
    .selectFrom('records')
    .select(['signature_status', 'hash', 'data'])
    .where('id', '=', id)
    .executeTakeFirst()

interface FileEntry {
  id: string
  hash: string
  state: string
  deleted?: boolean
  signature?: { keyId: string }
  [field: string]: unknown
}
interface ExportFile {
  exportedAt: string
  clientId: string
  checkIns: FileEntry[]
  notes: FileEntry[]
  photos: { sha256: string; size: number; type: string }[]
  manifest: { keyId: string | null }
}

/** What someone editing the file would redo: each record's hash, then the manifest (as src/records/export.ts makes it). */
async function redoHashesAndManifest(file: ExportFile): Promise<void> {
  for (const e of [...file.checkIns, ...file.notes]) {
    const data: Record<string, unknown> = { ...e }
    for (const f of ['state', 'reason', 'hash', 'signature', 'deleted']) delete data[f]
    e.hash = await recordHash(data)
  }
  file.manifest = {
    exportedAt: file.exportedAt,
    clientId: file.clientId,
    keyId: file.manifest.keyId,
    checkIns: file.checkIns.map((c) => ({ id: c.id, hash: c.hash, state: c.state, keyId: c.signature?.keyId ?? null })),
    notes: file.notes.map((n) => ({
      id: n.id,
      hash: n.hash,
      state: n.state,
      deleted: n.deleted,
      keyId: n.signature?.keyId ?? null,
    })),
    photos: file.photos.map((p) => ({ sha256: p.sha256, size: p.size, type: p.type })),
  } as ExportFile['manifest']
}

async function importFile(page: Page, file: ExportFile): Promise<string> {
  await page.goto(`${server.url}/records`)
  await page.getByTestId('import-records').setInputFiles({
    name: 'zhixun-records.json',
    mimeType: 'application/json',
    buffer: Buffer.from(JSON.stringify(file)),
  })
  const outcome = page.locator('[data-testid="import-problem"], [data-testid="import-result"]')
  await outcome.first().waitFor()
  return (await outcome.first().textContent())!.trim()
}

describe('evidence on the phone, in Chromium', () => {
  it('signs offline with a key no script can export, refuses a changed export in Chinese, and the server verifies', async () => {
    const { context, page } = await newPhone()
    const user = await signInThroughUi(page, server)
    // Signing in registered this phone's public key as the inspector's.
    await expect
      .poll(
        async () =>
          (await server.store.db.selectFrom('client_keys').selectAll().where('user_id', '=', user.id).execute()).length,
      )
      .toBe(1)

    await context.setOffline(true)
    const id = await checkIn(page, '广交会展馆 A 区', 3)
    expect(await stateOf(page)).toBe('waiting')
    await page.reload()
    await page.getByTestId('checkin-page').waitFor()
    // The key came back from IndexedDB as a CryptoKey: it still signs, it cannot be exported, and the
    // record's signature verifies with the public key the server has.
    const key = await page.evaluate(async (recordId) => {
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const open = indexedDB.open('zhixun')
        open.onsuccess = () => resolve(open.result)
        open.onerror = () => reject(open.error)
      })
      const read = <T>(store: string, fn: (s: IDBObjectStore) => IDBRequest) =>
        new Promise<T>((resolve, reject) => {
          const req = fn(db.transaction(store).objectStore(store))
          req.onsuccess = () => resolve(req.result as T)
          req.onerror = () => reject(req.error)
        })
      const row = await read<{ hash: string; signature: { keyId: string; value: string } }>('checkins', (s) =>
        s.get(recordId),
      )
      const [k] = await read<{ keyId: string; publicKey: JsonWebKey; privateKey: CryptoKey }[]>('signingKeys', (s) =>
        s.getAll(),
      )
      const algorithm = { name: 'ECDSA', namedCurve: 'P-256' }
      const pub = await crypto.subtle.importKey('jwk', k!.publicKey, algorithm, false, ['verify'])
      const b64 = row.signature.value.replace(/-/g, '+').replace(/_/g, '/')
      const signature = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))
      const text = new TextEncoder().encode(`zhixun-record/1 checkin ${row.hash}`)
      let exportable = true
      await crypto.subtle.exportKey('jwk', k!.privateKey).catch(() => (exportable = false))
      const fresh = await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, k!.privateKey, text)
      return {
        isCryptoKey: k!.privateKey instanceof CryptoKey,
        extractable: k!.privateKey.extractable,
        exportable,
        signsStill: fresh.byteLength,
        verifies: await crypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, pub, signature, text),
        sameKey: row.signature.keyId === k!.keyId,
      }
    }, id)
    expect(key).toEqual({
      isCryptoKey: true,
      extractable: false,
      exportable: false,
      signsStill: 64,
      verifies: true,
      sameKey: true,
    })

    // Exported while still offline.
    await page.goto(`${server.url}/records`)
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-records').click()])
    const file = JSON.parse(readFileSync((await download.path())!, 'utf8')) as ExportFile

    // Back online: the server checks the signature, and the phone says so.
    await context.setOffline(false)
    await page.goto(`${server.url}/checkins/${id}`)
    await expect.poll(() => stateOf(page), { timeout: 20_000 }).toBe('verified')
    expect((await serverRow(id))?.signature_status).toBe('valid')
    await expect.poll(() => page.getByTestId('record-signature').textContent()).toBe('签名已核验')

    // Another phone, the same inspector: a file changed after it was exported is refused, whatever was redone.
    const other = await newPhone()
    await signIn(other.page, user.username)
    const edited = structuredClone(file)
    edited.checkIns[0]!.venueName = '别处的仓库'
    edited.checkIns[0]!.itemsSeized = 300
    expect(await importFile(other.page, edited)).toBe('文件中的记录在导出后被改动过，未导入任何记录。')
    await redoHashesAndManifest(edited)
    expect(await importFile(other.page, edited)).toBe('文件的签名与内容不符：导出后被改动过，未导入任何记录。')
    const added = structuredClone(file)
    added.checkIns.unshift({ ...added.checkIns[0]!, id: '01900000-0000-7000-8000-000000000abc' })
    await redoHashesAndManifest(added)
    expect(await importFile(other.page, added)).toBe('文件的签名与内容不符：导出后被改动过，未导入任何记录。')
    // Nothing of the refused files was taken in: the one check-in listed is the original, pulled from the server
    // (the inspector's own records made on another phone are listed too).
    await other.page.goto(`${server.url}/records`)
    await expect
      .poll(() => other.page.locator('[data-testid="checkin-list"] li').allTextContents(), { timeout: 20_000 })
      .toEqual([expect.stringContaining('广交会展馆 A 区')])
    expect(await other.page.getByTestId('checkin-list').textContent()).not.toContain('别处的仓库')
    // The file as it was is taken in without complaint (its record already came down from the server).
    expect(await importFile(other.page, file)).toBe(
      '已导入 0 条，联网时上传；1 条本机已有；0 条服务器已有，会自动同步回来。',
    )
    await other.context.close()
    await context.close()
  })

  it('shows a check-in whose copy on the server is not the one sent as not matching, and why', async () => {
    const { context, page } = await newPhone()
    await signInThroughUi(page, server)
    const id = await checkIn(page, '华南国际小商品城', 3)
    await expect.poll(() => stateOf(page), { timeout: 20_000 }).toBe('verified')

    // The server's copy is changed behind the phone's back, as a new version.
    const row = (await serverRow(id))!
    const data = canonicalJson({ ...JSON.parse(row.data!), itemsSeized: 300 })
    const hash = await sha256Hex(data)
    await server.store.db.transaction().execute(async (tx) => {
      const { value } = await tx
        .updateTable('counters')
        .set((eb) => ({ value: eb('value', '+', 1) }))
        .where('name', '=', 'version')
        .returning('value')
        .executeTakeFirstOrThrow()
      await tx.updateTable('records').set({ data, hash, version: value }).where('id', '=', id).execute()
    })
    await page.goto(`${server.url}/records`)
    await page.getByTestId('sync-now').click()
    await page.goto(`${server.url}/checkins/${id}`)
    await expect.poll(() => stateOf(page), { timeout: 20_000 }).toBe('mismatch')
    expect(await page.getByTestId('record-state').first().textContent()).toBe('与服务器不一致')
    expect(await page.getByTestId('checkin-page').textContent()).toContain(
      '服务器上这条检查记录的副本与本机保存的不一致',
    )
    expect(await page.getByTestId('reject-reason').textContent()).toBe(
      `服务器上的副本不同（其哈希以 ${hash.slice(0, 12)} 开头）；本机记录未被改动。`,
    )
    // This phone's copy is what the inspector saved.
    expect(await page.locator('.facts').textContent()).toContain('3')
    await context.close()
  })
})
