/**
 * Safari's engine, WebKit, driven through Debian's WebKitGTK WebDriver (W3C WebDriver over HTTP). No client
 * library: the few commands the tests need are plain fetches. No browser is downloaded; the driver starts
 * WebKitGTK's MiniBrowser under a virtual X display (see ../shared docs on WebKit).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createServer } from 'node:net'

export const WEBKIT_DRIVER = '/usr/bin/WebKitWebDriver'
export const MINIBROWSER = '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser'
export const XVFB_RUN = '/usr/bin/xvfb-run'

/** Whether this machine can run the WebKit tests; CI installs the packages, so there it must be true. */
export const webkitAvailable = [WEBKIT_DRIVER, MINIBROWSER, XVFB_RUN].every((p) => existsSync(p))

const ELEMENT = 'element-6066-11e4-a52e-4f735466cecf'

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number }
      srv.close(() => resolve(port))
    })
  })
}

export class WebDriverError extends Error {
  constructor(
    readonly command: string,
    readonly error: string,
    message: string,
  ) {
    super(`${command}: ${error}: ${message}`)
    this.name = 'WebDriverError'
  }
}

/** One running WebKitWebDriver with one browser session. */
export class WebKitSession {
  private constructor(
    private readonly driver: ChildProcess,
    /** The driver's root until the session exists, then the session's URL. */
    private base: string,
  ) {}

  static async start(): Promise<WebKitSession> {
    const port = await freePort()
    // Its own process group, so the X server that xvfb-run starts goes with it.
    const driver = spawn(
      XVFB_RUN,
      ['-a', '-s', '-screen 0 1280x1024x24', WEBKIT_DRIVER, `--port=${port}`, '--host=127.0.0.1'],
      { detached: true, stdio: 'ignore' },
    )
    const root = `http://127.0.0.1:${port}`
    const session = new WebKitSession(driver, root)
    // The driver answers /status once it listens; give it up to 20 s on a loaded machine.
    const until = Date.now() + 20_000
    for (;;) {
      try {
        const res = await fetch(`${root}/status`)
        if (res.ok) break
      } catch {
        // not listening yet
      }
      if (Date.now() > until) {
        session.kill()
        throw new Error('WebKitWebDriver did not start within 20 s')
      }
      await new Promise((r) => setTimeout(r, 100))
    }
    const created = (await session.command('POST', '/session', {
      capabilities: {
        alwaysMatch: {
          browserName: 'MiniBrowser',
          'webkitgtk:browserOptions': {
            binary: MINIBROWSER,
            args: ['--automation', '--features=+StorageAPI,+StorageAPIEstimate'],
          },
        },
      },
    })) as { sessionId: string }
    session.base = `${root}/session/${created.sessionId}`
    return session
  }

  private kill(): void {
    try {
      if (this.driver.pid) process.kill(-this.driver.pid, 'SIGTERM')
    } catch {
      // already gone
    }
  }

  async close(): Promise<void> {
    try {
      await this.command('DELETE', '')
    } finally {
      this.kill()
    }
  }

  private async command(method: string, path: string, body?: unknown): Promise<unknown> {
    const res = await fetch(`${this.base}${path}`, {
      method,
      headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const json = (await res.json()) as { value: unknown }
    if (!res.ok) {
      const v = json.value as { error?: string; message?: string }
      throw new WebDriverError(`${method} ${path}`, v.error ?? String(res.status), v.message ?? '')
    }
    return json.value
  }

  async setWindowSize(width: number, height: number): Promise<void> {
    await this.command('POST', '/window/rect', { width, height })
  }

  async go(url: string): Promise<void> {
    await this.command('POST', '/url', { url })
  }

  async reload(): Promise<void> {
    await this.command('POST', '/refresh', {})
  }

  async url(): Promise<string> {
    return (await this.command('GET', '/url')) as string
  }

  /** Runs a function body in the page; `return` gives a JSON value back. */
  async run<T>(script: string, ...args: unknown[]): Promise<T> {
    return (await this.command('POST', '/execute/sync', { script, args })) as T
  }

  /** Runs an async function body (await allowed) in the page. */
  async runAsync<T>(script: string, ...args: unknown[]): Promise<T> {
    const wrapped = `const done = arguments[arguments.length - 1];
      (async (...a) => { ${script} })(...Array.prototype.slice.call(arguments, 0, -1))
        .then((v) => done({ ok: v }), (e) => done({ err: String(e && e.stack || e) }))`
    const out = (await this.command('POST', '/execute/async', { script: wrapped, args })) as { ok?: T; err?: string }
    if (out.err) throw new Error(`in page: ${out.err}`)
    return out.ok as T
  }

  /** The element, once the page has rendered it (a single-page app renders after navigation ends). */
  async find(css: string, timeoutMs = 10_000): Promise<string> {
    type Found = Record<string, string>[]
    return this.waitFor(
      async () =>
        ((await this.command('POST', '/elements', { using: 'css selector', value: css })) as Found)[0]?.[ELEMENT],
      css,
      timeoutMs,
    )
  }

  async count(css: string): Promise<number> {
    return ((await this.command('POST', '/elements', { using: 'css selector', value: css })) as unknown[]).length
  }

  /** Taps the element, scrolled to the middle of the screen first as a person would (clear of sticky bars). */
  async click(css: string): Promise<void> {
    const el = await this.find(css)
    await this.command('POST', '/execute/sync', {
      script: 'arguments[0].scrollIntoView({ block: "center" })',
      args: [{ [ELEMENT]: el }],
    })
    await this.command('POST', `/element/${el}/click`, {})
  }

  /** Types as a keyboard does, key by key, into the element (focusing it first). */
  async type(css: string, text: string): Promise<void> {
    await this.command('POST', `/element/${await this.find(css)}/value`, { text })
  }

  async text(css: string): Promise<string> {
    return (await this.command('GET', `/element/${await this.find(css)}/text`)) as string
  }

  async attribute(css: string, name: string): Promise<string | null> {
    return (await this.command('GET', `/element/${await this.find(css)}/attribute/${name}`)) as string | null
  }

  /** Where the page is and what it shows, for a failure to explain itself. */
  private async scene(): Promise<string> {
    try {
      const seen = await this.runAsync<{ url: string; text: string }>(
        'return { url: location.href, text: document.body.innerText.slice(0, 1500) }',
      )
      return `\n  at ${seen.url}\n  showing: ${seen.text.replace(/\s+/g, ' ')}`
    } catch (err) {
      return `\n  (the page could not be read: ${String(err)})`
    }
  }

  /**
   * Waits until `check` (run in Node) returns a truthy value, polling every 100 ms; the page is asked again
   * each time. Fails after `timeoutMs` with what the last check said, and where the page is and what it shows.
   */
  async waitFor<T>(check: () => Promise<T>, what: string, timeoutMs = 15_000): Promise<NonNullable<T>> {
    const until = Date.now() + timeoutMs
    let last: unknown
    for (;;) {
      try {
        const v = await check()
        if (v) return v as NonNullable<T>
        last = v
      } catch (err) {
        last = err
      }
      if (Date.now() > until)
        throw new Error(`waited ${timeoutMs} ms for ${what}; last: ${String(last)}${await this.scene()}`)
      await new Promise((r) => setTimeout(r, 100))
    }
  }
}
