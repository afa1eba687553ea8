/**
 * A proxy in front of the provider's token endpoint that can stall: in `hold` mode it keeps each
 * arriving token request open without forwarding it (the token endpoint "stalls before answering",
 * and the provider never sees the request, so a refresh token it carries stays unused); in `pass`
 * mode it forwards the request and relays the answer. It reports every arrival and every answer.
 */
import { once } from 'node:events'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { request } from 'undici'

export interface Relayed {
  /** Epoch ms the answer was sent back. */
  at: number
  status: number
  /** The access token of a successful answer. */
  accessToken?: string
}

export interface TokenProxy {
  /** The token endpoint to give the clients. */
  readonly url: string
  mode: 'pass' | 'hold'
  /** Epoch ms of every request's arrival. */
  readonly arrivals: number[]
  readonly relayed: Relayed[]
  /** Requests held open, oldest first. */
  readonly held: { at: number; res: ServerResponse }[]
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
  const proxy = {
    url: '',
    mode: 'pass' as 'pass' | 'hold',
    arrivals: [] as number[],
    relayed: [] as Relayed[],
    held: [] as { at: number; res: ServerResponse }[],
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
      for (const { res } of proxy.held) res.destroy()
      server.closeAllConnections()
      server.close()
      await once(server, 'close')
    },
  }
  const server = createServer(async (req, res) => {
    const body = await readBody(req)
    proxy.arrivals.push(Date.now())
    for (const waiter of [...waiters]) waiter()
    if (proxy.mode === 'hold') {
      proxy.held.push({ at: Date.now(), res })
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
      let accessToken: string | undefined
      if (answer.statusCode === 200)
        accessToken = (JSON.parse(text) as { access_token?: string }).access_token
      proxy.relayed.push({ at: Date.now(), status: answer.statusCode, accessToken })
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
