import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { buildServer } from './app'
import { trustProxySetting, type TrustProxy } from './auth/origin'
import { databaseFromEnv, openStoreFromEnv } from './db/database'

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
let trustProxy: TrustProxy
try {
  trustProxy = trustProxySetting(process.env.TRUST_PROXY)
} catch (err) {
  console.error((err as Error).message)
  process.exit(1)
}
// PostgreSQL when DATABASE_URL is set; otherwise an embedded SQLite file, created on first start.
const store = await openStoreFromEnv()
const app = await buildServer({ distDir, store, logger: true, trustProxy })
app.addHook('onClose', () => store.close())
await app.listen({ port, host: process.env.HOST ?? '0.0.0.0' })
app.log.info(`storage: ${store.dialect}${store.dialect === 'sqlite' ? ` at ${databaseFromEnv().url}` : ''}`)
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void app.close().then(() => process.exit(0)))
}
