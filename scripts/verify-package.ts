/**
 * `npm run verify-package -- evidence-….zip [--server https://zhixun.example] [--key server-key.pem]`
 * Checks an evidence package (GET /api/checkins/:id/evidence.zip): every file's SHA-256 and size against the
 * manifest, every record's hash, each phone's signature, and the server's Ed25519 signature of the manifest.
 * The server's key comes from --key (a PEM file), or from the server's /api/server-key with --server; without
 * either only the key inside the package is used, and a warning says so. Prints one line per check; exits 1
 * on any difference, 2 when it cannot check at all.
 */
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { checkLines, verifyPackage } from '../server/evidence/verify'

const USAGE = 'usage: npm run verify-package -- FILE.zip [--server URL | --key PEMFILE]'

async function serverKeyPem(url: string): Promise<string> {
  const res = await fetch(new URL('/api/server-key', url))
  if (!res.ok) throw new Error(`${url} answered ${res.status} for /api/server-key`)
  const body = (await res.json()) as { publicKeyPem?: unknown }
  if (typeof body.publicKeyPem !== 'string') throw new Error(`${url} gave no publicKeyPem`)
  return body.publicKeyPem
}

async function main(argv: string[]): Promise<number> {
  let parsed
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { server: { type: 'string' }, key: { type: 'string' } },
    })
  } catch (err) {
    console.error(`${String(err)}\n${USAGE}`)
    return 2
  }
  const { values, positionals } = parsed
  if (positionals.length !== 1 || (values.server && values.key)) {
    console.error(USAGE)
    return 2
  }
  const file = positionals[0]!
  let zip: Uint8Array
  let expectedKeyPem: string | undefined
  let expectedKeySource: string | undefined
  try {
    zip = new Uint8Array(readFileSync(file))
    if (values.key) {
      expectedKeyPem = readFileSync(values.key, 'utf8')
      expectedKeySource = values.key
    } else if (values.server) {
      expectedKeyPem = await serverKeyPem(values.server)
      expectedKeySource = values.server
    }
  } catch (err) {
    console.error(`cannot check ${file}: ${err instanceof Error ? err.message : String(err)}`)
    return 2
  }
  const { ok, checks } = await verifyPackage(zip, { expectedKeyPem, expectedKeySource })
  for (const line of checkLines(checks)) console.log(line)
  const failed = checks.filter((c) => c.status === 'failed').length
  console.log(
    ok
      ? `${file}: every check passed (${checks.length} checks)`
      : `${file}: ${failed} of ${checks.length} checks FAILED`,
  )
  return ok ? 0 : 1
}

process.exitCode = await main(process.argv.slice(2))
