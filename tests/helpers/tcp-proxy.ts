import { createConnection, createServer, type Socket } from 'node:net'

/**
 * A TCP proxy in front of a database, so a test can take the database away from a server: `stop()` cuts
 * every open connection and refuses new ones, as a crashed or unreachable database server does.
 */
export interface TcpProxy {
  port: number
  stop(): Promise<void>
}

/** A proxy to `target` on `port` (any free one when not given: a stopped proxy's port starts it again). */
export async function tcpProxy(target: { host: string; port: number }, port = 0): Promise<TcpProxy> {
  const sockets = new Set<Socket>()
  const track = (s: Socket) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
    s.on('error', () => undefined)
  }
  const server = createServer((client) => {
    const upstream = createConnection(target)
    track(client)
    track(upstream)
    client.pipe(upstream)
    upstream.pipe(client)
    client.on('close', () => upstream.destroy())
    upstream.on('close', () => client.destroy())
  })
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('the proxy has no port')
  return {
    port: address.port,
    async stop() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      for (const s of sockets) s.destroy()
      await closed
    },
  }
}
