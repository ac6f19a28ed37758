import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { buildServer } from './app'
import { trustProxySetting, type TrustProxy } from './auth/origin'
import { databaseFromEnv, openStoreFromEnv } from './db/database'
import { FolderPhotoStorage, photoStorageFromEnv, type PhotoStorage } from './photos/storage'

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
// How long a stopping server waits for the requests it is answering before it exits anyway (seconds).
const shutdownTimeoutS = Number(process.env.SHUTDOWN_TIMEOUT ?? 10)
if (!Number.isFinite(shutdownTimeoutS) || shutdownTimeoutS < 0) {
  console.error(`SHUTDOWN_TIMEOUT must be a number of seconds, not "${process.env.SHUTDOWN_TIMEOUT}".`)
  process.exit(1)
}
let trustProxy: TrustProxy
try {
  trustProxy = trustProxySetting(process.env.TRUST_PROXY)
} catch (err) {
  console.error((err as Error).message)
  process.exit(1)
}
// Photos in the database, or in the folder ZHIXUN_PHOTO_DIR names: a folder that cannot be written stops the start.
let photoStorage: PhotoStorage
try {
  photoStorage = await photoStorageFromEnv()
} catch (err) {
  console.error(`ZHIXUN_PHOTO_DIR cannot be written: ${(err as Error).message}`)
  process.exit(1)
}
// PostgreSQL when DATABASE_URL is set; otherwise an embedded SQLite file, created on first start.
const store = await openStoreFromEnv()
const app = await buildServer({ distDir, store, logger: true, trustProxy, photoStorage })
app.addHook('onClose', () => store.close())
await app.listen({ port, host: process.env.HOST ?? '0.0.0.0' })
app.log.info(`storage: ${store.dialect}${store.dialect === 'sqlite' ? ` at ${databaseFromEnv().url}` : ''}`)
app.log.info(`photos: ${photoStorage instanceof FolderPhotoStorage ? `folder ${photoStorage.dir}` : 'database'}`)
// A rolling restart sends SIGTERM: stop accepting connections, answer the requests already running (a push
// commits or rolls back in its transaction, and is answered either way), then close the database (the onClose
// hook above runs after Fastify's server has closed). A request stuck past SHUTDOWN_TIMEOUT does not keep the
// process: it exits 1, and the database rolls back whatever that request had not committed. A second signal
// while stopping exits at once, the same way.
let stopping = false
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) {
      app.log.warn(`${signal} again: stopping now, without waiting for requests in flight`)
      process.exit(1)
    }
    stopping = true
    app.log.info(`${signal}: answering the requests in flight (waiting at most ${shutdownTimeoutS} s), then stopping`)
    setTimeout(() => {
      app.log.error(`requests still in flight after ${shutdownTimeoutS} s: stopping without their answers`)
      process.exit(1)
    }, shutdownTimeoutS * 1000)
    app.close().then(
      () => {
        app.log.info('stopped')
        process.exit(0)
      },
      (err: unknown) => {
        app.log.error({ err }, 'failed to stop cleanly')
        process.exit(1)
      },
    )
  })
}
