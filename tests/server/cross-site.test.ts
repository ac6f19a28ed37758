import { afterAll, beforeAll, expect, it } from 'vitest'
import { trustProxySetting } from '../../server/auth/origin'
import { describeStores, makeServer, signedIn, type TestServer } from '../helpers/server'

/** Issue 9, item 6: state-changing requests from another site's page are refused; TRUST_PROXY behind a TLS proxy. */
describeStores('cross-site requests and proxies on %s', (kind) => {
  let s: TestServer
  let proxied: TestServer
  beforeAll(async () => {
    s = await makeServer(kind)
    proxied = await makeServer(kind, { trustProxy: '127.0.0.1' })
  })
  afterAll(async () => {
    await s.close()
    await proxied.close()
  })

  const me = (server: TestServer, cookie: string) => server.app.inject({ url: '/api/auth/me', headers: { cookie } })

  it('refuses a text/plain sign-out posted from another origin, and the session survives', async () => {
    const { cookie } = await signedIn(s)
    const res = await s.app.inject({
      method: 'POST',
      url: '/api/auth/logout',
      payload: 'x',
      headers: { cookie, 'content-type': 'text/plain', origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
    })
    expect(res.statusCode).toBe(403)
    expect(res.json()).toMatchObject({ error: 'cross_site' })
    expect(res.headers['set-cookie']).toBeUndefined()
    expect((await me(s, cookie)).statusCode).toBe(200)
  })

  it('refuses by Origin alone and by Sec-Fetch-Site alone, for every state-changing method', async () => {
    const { cookie } = await signedIn(s)
    const foreign: Record<string, string>[] = [
      { origin: 'https://evil.example' },
      { origin: 'http://localhost:8080' }, // another port is another origin
      { origin: 'null' },
      { origin: 'not a url' },
      { 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-site': 'same-site' },
      { origin: 'http://localhost', 'sec-fetch-site': 'same-site' },
    ]
    for (const [method, url] of [
      ['POST', '/api/auth/logout'],
      ['POST', '/api/sync/push'],
      ['PUT', '/api/campaigns/x'],
      ['PATCH', '/api/users/x'],
      ['DELETE', '/api/anything'],
    ] as const) {
      for (const headers of foreign) {
        const res = await s.app.inject({ method, url, payload: {}, headers: { cookie, ...headers } })
        expect([method, url, headers, res.statusCode, res.json().error]).toEqual([
          method,
          url,
          headers,
          403,
          'cross_site',
        ])
      }
    }
    expect((await me(s, cookie)).statusCode).toBe(200)
  })

  it('lets same-origin requests, requests with neither header, and reads from anywhere through', async () => {
    const { cookie } = await signedIn(s)
    const ownOrigin = [
      {},
      { origin: 'http://localhost' }, // inject's Host is localhost:80
      { origin: 'http://localhost:80' },
      { 'sec-fetch-site': 'same-origin' },
      { 'sec-fetch-site': 'none' },
      { origin: 'http://localhost', 'sec-fetch-site': 'same-origin' },
    ]
    for (const headers of ownOrigin) {
      const res = await s.app.inject({
        method: 'POST',
        url: '/api/sync/push',
        payload: {},
        headers: { cookie, ...headers },
      })
      // Past the origin check: the (empty) push itself is what is refused.
      expect(res.json().error).toBe('invalid_request')
    }
    const read = await s.app.inject({
      url: '/api/auth/me',
      headers: { cookie, origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
    })
    expect(read.statusCode).toBe(200)
    const out = await s.app.inject({
      method: 'POST',
      url: '/api/auth/logout',
      headers: { cookie, origin: 'http://localhost', 'sec-fetch-site': 'same-origin' },
    })
    expect(out.statusCode).toBe(200)
    expect((await me(s, cookie)).statusCode).toBe(401)
  })

  it('behind a trusted TLS proxy: a Secure cookie, the public origin, the client address', async () => {
    const { cookie } = await signedIn(proxied)
    const viaProxy = {
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'zhixun.example.gov.cn',
      'x-forwarded-for': '203.0.113.5',
      origin: 'https://zhixun.example.gov.cn',
      'sec-fetch-site': 'same-origin',
    }
    const username = (await me(proxied, cookie)).json().user.username
    const login = await proxied.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { username, password: 'test-password-long' },
      headers: viaProxy,
    })
    expect(login.statusCode).toBe(200)
    expect(String(login.headers['set-cookie'])).toMatch(/; HttpOnly; SameSite=Strict; Max-Age=\d+; Secure$/)
    // The Origin is compared with the public origin the proxy reports, not with the server's own Host.
    const foreign = await proxied.app.inject({
      method: 'POST',
      url: '/api/auth/logout',
      headers: { ...viaProxy, cookie, origin: 'https://localhost' },
    })
    expect(foreign.json()).toMatchObject({ error: 'cross_site' })
    const wrong = await proxied.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { username, password: 'not the password' },
      headers: viaProxy,
    })
    expect(wrong.statusCode).toBe(401)
    // The failure counts against the client's address; the proxy's own (127.0.0.1) counts nothing.
    const counted = await proxied.store.db
      .selectFrom('login_limits')
      .select('key')
      .where('scope', '=', 'addr')
      .where('failures', '>', 0)
      .execute()
    expect(counted.map((r) => r.key)).toEqual(['203.0.113.5'])
  })

  it('without TRUST_PROXY believes no X-Forwarded header', async () => {
    const { user } = await signedIn(s)
    const res = await s.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { username: user.username, password: 'test-password-long' },
      headers: { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'zhixun.example.gov.cn' },
    })
    expect(res.statusCode).toBe(200)
    expect(String(res.headers['set-cookie'])).not.toContain('Secure')
    const spoofed = await s.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { username: user.username, password: 'test-password-long' },
      headers: { 'x-forwarded-host': 'zhixun.example.gov.cn', origin: 'https://zhixun.example.gov.cn' },
    })
    expect(spoofed.json()).toMatchObject({ error: 'cross_site' })
    // An https page behind a TLS proxy that is not trusted still reaches its own server as http: the same host passes.
    const tls = await s.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { username: user.username, password: 'test-password-long' },
      headers: { host: 'zhixun.example.gov.cn', origin: 'https://zhixun.example.gov.cn' },
    })
    expect(tls.statusCode).toBe(200)
  })

  it('reads TRUST_PROXY', () => {
    expect([undefined, '', '0', 'false'].map(trustProxySetting)).toEqual([false, false, false, false])
    expect(trustProxySetting('true')).toBe(true)
    expect(trustProxySetting('127.0.0.1, 10.0.0.0/8, ::1, loopback')).toBe('127.0.0.1, 10.0.0.0/8, ::1, loopback')
    for (const bad of ['yes', '10.0.0.0/33', 'proxy.example', '2'])
      expect(() => trustProxySetting(bad)).toThrow(/TRUST_PROXY/)
  })
})
