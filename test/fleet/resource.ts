/**
 * A protected resource for fleet tests that records which access token each request carried
 * (RFC 6750 §2.1 header only), so a test can tell which tokens the fleet used and when. Tokens are
 * validated against the real oidc-provider's own storage, as test/fixtures/provider.ts's
 * startResource does, but each token at most every REVALIDATE_MS: a fleet sends hundreds of
 * requests per second with one token, and the provider runs in the test's own process, on a
 * loaded 2-core machine. Between lookups the token's own expiry still applies.
 */

import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Provider } from 'oidc-provider'

export interface Arrival {
  /** Epoch ms the request arrived. */
  at: number
  /** The bearer token it carried ('' without one). */
  token: string
  status: number
}

export interface RecordingResource {
  readonly url: string
  readonly arrivals: Arrival[]
  close(): Promise<void>
}

const REVALIDATE_MS = 500

export async function startRecordingResource(provider: Provider): Promise<RecordingResource> {
  const arrivals: Arrival[] = []
  /** Per token: when it was last looked up, and its expiry in epoch seconds (0: not valid). */
  const checked = new Map<string, { at: number; exp: number }>()
  const validUntil = async (token: string, now: number): Promise<number> => {
    const cached = checked.get(token)
    if (cached !== undefined && now - cached.at < REVALIDATE_MS) return cached.exp
    const found = (await provider.AccessToken.find(token)) ?? (await provider.ClientCredentials.find(token))
    const exp = found?.isValid ? (found.exp ?? 0) : 0
    checked.set(token, { at: now, exp })
    return exp
  }
  const server = createServer(async (req, res) => {
    const at = Date.now()
    const token = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1] ?? ''
    const status = token !== '' && at < (await validUntil(token, at)) * 1000 ? 200 : 401
    arrivals.push({ at, token, status })
    res.writeHead(status, {
      'content-type': 'application/json',
      ...(status === 401 ? { 'www-authenticate': 'Bearer realm="fleet", error="invalid_token"' } : {}),
    })
    res.end(JSON.stringify({ ok: status === 200 }))
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    arrivals,
    close: async () => {
      server.closeAllConnections()
      server.close()
      await once(server, 'close')
    },
  }
}
