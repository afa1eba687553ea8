/**
 * A proxy in front of the provider's token endpoint that can stall: in `hold` mode it keeps each
 * arriving token request open without forwarding it (the token endpoint "stalls before answering",
 * and the provider never sees the request, so a refresh token it carries stays unused); in `pass`
 * mode it forwards the request and relays the answer.
 */
import { once } from 'node:events'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { request } from 'undici'

export interface TokenProxy {
  /** The token endpoint to give the clients. */
  readonly url: string
  mode: 'pass' | 'hold'
  /** Resolves at the next arrival (rejects after `timeoutMs`). */
  nextArrival(timeoutMs: number): Promise<void>
  close(): Promise<void>
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => resolve(Buffer.concat(chunks)))
    req.on('error', reject)
  })
}

export async function startTokenProxy(target: string): Promise<TokenProxy> {
  const waiters = new Set<() => void>()
  /** Requests held open (hold mode), destroyed at close. */
  const held: ServerResponse[] = []
  const proxy = {
    url: '',
    mode: 'pass' as 'pass' | 'hold',
    nextArrival(timeoutMs: number) {
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(arrived)
          reject(new Error(`no token request within ${timeoutMs} ms`))
        }, timeoutMs)
        const arrived = () => {
          clearTimeout(timer)
          waiters.delete(arrived)
          resolve()
        }
        waiters.add(arrived)
      })
    },
    close: async () => {
      for (const res of held) res.destroy()
      server.closeAllConnections()
      server.close()
      await once(server, 'close')
    },
  }
  const server = createServer(async (req, res) => {
    const body = await readBody(req)
    for (const waiter of [...waiters]) waiter()
    if (proxy.mode === 'hold') {
      held.push(res)
      return
    }
    const headers: Record<string, string> = {}
    for (const name of ['authorization', 'content-type', 'accept']) {
      const value = req.headers[name]
      if (typeof value === 'string') headers[name] = value
    }
    try {
      const answer = await request(target, {
        method: 'POST',
        headers,
        body,
        signal: AbortSignal.timeout(10_000),
      })
      const text = await answer.body.text()
      res.writeHead(answer.statusCode, {
        'content-type': String(answer.headers['content-type'] ?? 'application/json'),
        'cache-control': 'no-store',
      })
      res.end(text)
    } catch {
      res.destroy()
    }
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`
  return proxy
}
