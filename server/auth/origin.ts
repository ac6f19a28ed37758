/**
 * Where a request comes from: the proxy setting that decides the client's address, protocol and host,
 * and the refusal of state-changing requests that another site's page sends with the user's cookie.
 */
import { isIP } from 'node:net'
import type { FastifyRequest } from 'fastify'
import { ZhixunError } from '../../src/kernel/errors'
import { ApiRefusal } from '../http/errors'

/**
 * Fastify's `trustProxy`, from the TRUST_PROXY setting: unset, empty, `0` or `false` trusts no proxy (the
 * socket's address is the client's; X-Forwarded-* headers are ignored); `true` trusts every hop (only for a
 * server no one can reach but through its proxy); otherwise the proxy's addresses or ranges, comma
 * separated (`127.0.0.1`, `10.0.0.0/8`, `loopback`, `uniquelocal`…).
 */
export type TrustProxy = boolean | string

const NAMED_RANGES = new Set(['loopback', 'linklocal', 'uniquelocal'])

export function trustProxySetting(value: string | undefined): TrustProxy {
  const text = (value ?? '').trim()
  if (text === '' || text === '0' || text === 'false') return false
  if (text === 'true') return true
  for (const part of text.split(',').map((p) => p.trim())) {
    const [address, bits, ...rest] = part.split('/')
    const family = isIP(address ?? '')
    const range = bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (family === 6 ? 128 : 32))
    if (!NAMED_RANGES.has(part) && (!family || !range || rest.length > 0)) {
      throw new ZhixunError(
        'invalid_setting',
        `TRUST_PROXY must be true, or the proxy's addresses or ranges, comma separated; not "${part}"`,
      )
    }
  }
  return text
}

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

/**
 * Whether `origin` (an Origin header) is the request's own origin: the same host as the request's Host
 * (with TRUST_PROXY, the proxy's X-Forwarded-Host), and the same scheme or https. An https page behind a
 * TLS proxy that is not trusted reaches the server as http; an http page of an https server is not the same.
 */
function isOwnOrigin(origin: string, req: FastifyRequest): boolean {
  let claimed: URL
  let own: URL
  if (!req.host) return false
  try {
    claimed = new URL(origin)
    own = new URL(`${req.protocol}://${req.host}`)
  } catch {
    return false
  }
  if (claimed.protocol !== 'http:' && claimed.protocol !== 'https:') return false
  return claimed.host === own.host && (claimed.protocol === own.protocol || claimed.protocol === 'https:')
}

/**
 * An onRequest hook: a POST, PUT, PATCH or DELETE whose Sec-Fetch-Site is not `same-origin` or `none`, or
 * whose Origin is another (or `null`), is refused with 403 `cross_site` before anything reads its body. The
 * session cookie is SameSite=Strict already; this also stops a same-site page (another port or subdomain)
 * and browsers that ignore SameSite. A request with neither header (a script, curl) is not a browser's
 * cross-site request and passes.
 */
export async function refuseCrossSite(req: FastifyRequest): Promise<void> {
  if (!STATE_CHANGING.has(req.method)) return
  const site = req.headers['sec-fetch-site']
  const origin = req.headers.origin
  if (
    (site !== undefined && site !== 'same-origin' && site !== 'none') ||
    (origin !== undefined && !isOwnOrigin(String(origin), req))
  ) {
    throw new ApiRefusal(403, 'cross_site', 'Refused: the request was sent from another site')
  }
}
