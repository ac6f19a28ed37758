import type { FastifyInstance } from 'fastify'
import { chromium, type Browser } from 'playwright-core'
import { buildServer } from '../../server/app'

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

/** The real server over the built app, on a free loopback port. */
export async function startServer(distDir = 'dist', port = 0): Promise<{ app: FastifyInstance; url: string }> {
  const app = await buildServer({ distDir })
  const address = await app.listen({ port, host: '127.0.0.1' })
  return { app, url: address }
}
