/**
 * A protected resource for fleet tests that records which access token each request carried
 * (RFC 6750 §2.1 header only), so a test can tell which tokens the fleet used and when. Tokens are
 * validated against the real oidc-provider's own storage, as test/fixtures/provider.ts's
 * startResource does.
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

export async function startRecordingResource(provider: Provider): Promise<RecordingResource> {
  const arrivals: Arrival[] = []
  const server = createServer(async (req, res) => {
    const at = Date.now()
    const token = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1] ?? ''
    const found =
      token === ''
        ? undefined
        : ((await provider.AccessToken.find(token)) ?? (await provider.ClientCredentials.find(token)))
    const status = found?.isValid ? 200 : 401
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
