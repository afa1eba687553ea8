/** A user token with a refresh token, obtained once by the test itself (RFC 6749 §4.3). */
import { request } from 'undici'
import type { OAuth2Token } from '../../lib/index.js'
import { DEFAULT_CLIENTS, type ProviderFixture, TEST_USER } from '../fixtures/provider.js'
import { fleetConfigs } from './fleet.js'
import type { OAuth2ClientSpec, WorkerConfig } from './protocol.js'

const { basic } = DEFAULT_CLIENTS

/** The token as the worker options take it, already expired: the fleet's first requests renew it. */
export async function expiredUserToken(op: ProviderFixture): Promise<OAuth2Token> {
  const { statusCode, body } = await request(op.urls.token, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${basic.client_id}:${basic.client_secret}`).toString('base64')}`,
    },
    body: new URLSearchParams({
      grant_type: 'password',
      username: TEST_USER.username,
      password: TEST_USER.password,
      scope: 'api:read',
    }).toString(),
    signal: AbortSignal.timeout(10_000),
  })
  const token = (await body.json()) as OAuth2Token & { expires_in?: number }
  if (statusCode !== 200 || typeof token.refresh_token !== 'string') {
    throw new Error(`password grant answered ${statusCode} without a refresh token`)
  }
  const { expires_in: _lifetime, ...rest } = token
  return { ...rest, expires_at: Math.floor(Date.now() / 1000) - 10 }
}

/**
 * `count` workers sharing alice's grant on `redisUrl`: the confidential client, `token` (one of
 * expiredUserToken's), and the key given, since nothing in a user grant's options tells one user
 * from another. `options` adds client options (leeway, timeout, ...).
 */
export function aliceGrantFleet(
  count: number,
  fleet: { redisUrl: string; resource: string; tokenEndpoint: string; token: OAuth2Token },
  options: Omit<OAuth2ClientSpec['options'], 'tokenEndpoint' | 'clientId' | 'clientSecret' | 'token'> = {},
): WorkerConfig[] {
  return fleetConfigs(count, {
    redisUrl: fleet.redisUrl,
    resource: fleet.resource,
    storeKey: 'grant:alice',
    client: {
      kind: 'oauth2',
      options: {
        tokenEndpoint: fleet.tokenEndpoint,
        clientId: basic.client_id,
        clientSecret: basic.client_secret,
        token: fleet.token,
        ...options,
      },
    },
  })
}
