import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { buildServer } from './app'

const distDir = resolve(process.env.DIST_DIR ?? 'dist')
if (!existsSync(resolve(distDir, 'index.html'))) {
  console.error(`No built app in ${distDir}: run \`npm run build\` first (\`npm start\` does both).`)
  process.exit(1)
}
const port = Number(process.env.PORT ?? 8080)
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`PORT must be a port number, not "${process.env.PORT}".`)
  process.exit(1)
}
const app = await buildServer({ distDir, logger: true })
await app.listen({ port, host: process.env.HOST ?? '0.0.0.0' })
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void app.close().then(() => process.exit(0)))
}
