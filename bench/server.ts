// The bench's loopback resource server and counting token endpoint, run in a child process of
// its own so that server CPU is never charged to the client being measured.
//
//   GET  /resource     -> 200 "ok" (keep-alive; a DPoP proof is counted, not verified)
//   POST /token?ttl=N[&latency=M]
//                      -> a client_credentials answer whose access token expires in N seconds,
//                         sent M ms after the request arrived (an identity provider's own latency)
//
// The parent talks to it over IPC: { type: 'stats' } answers the counters, { type: 'reset' }
// zeroes them. The process exits when the parent disconnects, so it never outlives the bench.
import { createServer } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'

export interface ServerStats {
  requests: number
  /** Resource requests that arrived without an Authorization header (a misconfigured client). */
  withoutAuthorization: number
  /** Resource requests that carried a `DPoP` proof header (bench/dpop.ts). */
  proofs: number
  tokenCalls: number
  openSockets: number
  maxOpenSockets: number
}

export type ServerCommand = { type: 'stats' } | { type: 'reset' }
export type ServerMessage = { type: 'listening'; port: number } | { type: 'stats'; stats: ServerStats }

const stats: ServerStats = {
  requests: 0,
  withoutAuthorization: 0,
  proofs: 0,
  tokenCalls: 0,
  openSockets: 0,
  maxOpenSockets: 0,
}
let tokenSerial = 0

function base64url(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url')
}

/**
 * A JWT-shaped (unsigned) access token: undici-oidc-interceptor reads the expiry out of the token
 * itself and cannot use opaque ones.
 */
function accessToken(ttl: number): string {
  const exp = Math.floor(Date.now() / 1000) + ttl
  return `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url({ exp, jti: String(++tokenSerial) })}.sig`
}

const server = createServer((req, res) => {
  if (req.method === 'POST' && req.url?.startsWith('/token')) {
    stats.tokenCalls++
    const query = new URL(req.url, 'http://x').searchParams
    const ttl = Number(query.get('ttl') ?? 3600)
    const latency = Number(query.get('latency') ?? 0)
    const answer = () => {
      const body = JSON.stringify({ access_token: accessToken(ttl), token_type: 'Bearer', expires_in: ttl })
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
      res.end(body)
    }
    // The form is read to the end so that the socket can be reused; its content does not matter.
    req.resume()
    req.on('end', () => {
      if (latency > 0) setTimeout(answer, latency)
      else answer()
    })
    return
  }
  stats.requests++
  if (req.headers.authorization === undefined) stats.withoutAuthorization++
  if (req.headers.dpop !== undefined) stats.proofs++
  req.resume()
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 2 })
  res.end('ok')
})
// Longer than any pause in the bench, so that pooled sockets are not closed under the clients.
server.keepAliveTimeout = 120_000
server.on('connection', (socket: Socket) => {
  stats.openSockets++
  if (stats.openSockets > stats.maxOpenSockets) stats.maxOpenSockets = stats.openSockets
  socket.on('close', () => stats.openSockets--)
})

process.on('message', (command: ServerCommand) => {
  if (command.type === 'reset') {
    stats.requests = 0
    stats.withoutAuthorization = 0
    stats.proofs = 0
    stats.tokenCalls = 0
    stats.maxOpenSockets = stats.openSockets
  }
  process.send?.({ type: 'stats', stats: { ...stats } } satisfies ServerMessage)
})
process.on('disconnect', () => process.exit(0))

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo
  process.send?.({ type: 'listening', port } satisfies ServerMessage)
})
