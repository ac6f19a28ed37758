/**
 * `fetchColleagues` (src/api/users.ts) against the real server: what an inspector's phone keeps for picking
 * co-inspectors offline.
 */
import { afterAll, beforeAll, expect, it, vi } from 'vitest'
import { fetchColleagues } from '../../src/api/users'
import { ApiError } from '../../src/api/http'
import { makeServer, signedIn, type TestServer } from '../helpers/server'

let s: TestServer
beforeAll(async () => {
  s = await makeServer('sqlite')
})
afterAll(async () => {
  vi.unstubAllGlobals()
  await s.close()
})

/** The phone's fetches, answered by the server's own routes with `cookie`. */
const answerAs = (cookie: string | undefined) =>
  vi.stubGlobal('fetch', async (input: string, init: RequestInit = {}) => {
    const res = await s.app.inject({
      method: (init.method ?? 'GET') as 'GET',
      url: input,
      headers: cookie ? { cookie } : {},
    })
    return new Response(res.body, {
      status: res.statusCode,
      headers: { 'content-type': String(res.headers['content-type']) },
    })
  })

it('gives the signed-in inspector their colleagues with certificates, and refuses a signed-out phone', async () => {
  const admin = await signedIn(s, 'admin')
  const me = await signedIn(s)
  const teammate = await signedIn(s)
  const elsewhere = await signedIn(s, 'inspector', '省工商局')
  const set = await s.app.inject({
    method: 'PATCH',
    url: `/api/users/${teammate.user.id}`,
    headers: { cookie: admin.cookie },
    payload: { certificateNumber: '44010020009', certificateExpiry: '2027-03-31' },
  })
  expect(set.statusCode).toBe(200)

  answerAs(me.cookie)
  const colleagues = await fetchColleagues()
  expect(colleagues.find((c) => c.id === teammate.user.id)).toEqual({
    id: teammate.user.id,
    displayName: teammate.user.displayName,
    department: '省知识产权局',
    certificateNumber: '44010020009',
    certificateExpiry: '2027-03-31',
  })
  expect(colleagues.find((c) => c.id === me.user.id)).toMatchObject({ certificateNumber: null })
  expect(colleagues.map((c) => c.id)).not.toContain(elsewhere.user.id)

  answerAs(undefined)
  const refused = await fetchColleagues().catch((err: unknown) => err)
  expect(refused).toBeInstanceOf(ApiError)
  expect((refused as ApiError).code).toBe('signed_out')
})
