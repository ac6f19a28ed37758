import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { buildServer } from './app'
import { openStore } from './db/database'

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
// PostgreSQL when DATABASE_URL is set; otherwise an embedded SQLite file, created on first start.
const databaseUrl = process.env.DATABASE_URL || resolve(process.env.DATA_DIR ?? 'data', 'zhixun.sqlite')
// DATABASE_SCHEMA puts Zhixun's tables in a PostgreSQL schema of their own (created if missing).
const store = await openStore(databaseUrl, { schema: process.env.DATABASE_SCHEMA || undefined })
const app = await buildServer({ distDir, store, logger: true })
app.addHook('onClose', () => store.close())
await app.listen({ port, host: process.env.HOST ?? '0.0.0.0' })
app.log.info(`storage: ${store.dialect}${store.dialect === 'sqlite' ? ` at ${databaseUrl}` : ''}`)
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void app.close().then(() => process.exit(0)))
}
