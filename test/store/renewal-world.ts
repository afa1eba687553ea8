/**
 * What the shared-renewal tests (test/store/ on a MemoryTokenStore, test/redis/ on Redis) run
 * against: the real oidc-provider with refresh-token rotation and the fixture service account
 * registered for the JWT bearer grant, a resource that checks tokens, and the clients they make.
 */
import { createPublicKey } from 'node:crypto'
import { readFileSync } from 'node:fs'
import type { Test } from 'tap'
import { AssertionClient } from '../../lib/oauth2/assertion-client.js'
import { OAuth2Client, type OAuth2ClientOptions } from '../../lib/oauth2/client.js'
import type { ServiceAccountKey } from '../../lib/oauth2/service-account.js'
import type { OAuth2Token } from '../../lib/oauth2/token.js'
import type { TokenStore } from '../../lib/store/token-store.js'
import {
  DEFAULT_CLIENTS,
  type ProviderFixture,
  type ResourceFixture,
  startProvider,
  startResource,
  TEST_USER,
} from '../fixtures/provider.js'

export const account = JSON.parse(
  readFileSync(new URL('../fixtures/keys/service-account.json', import.meta.url), 'utf8'),
) as ServiceAccountKey & { client_id: string }

export interface RenewalWorld {
  op: ProviderFixture
  rs: ResourceFixture
  /** A confidential client of the provider (client_secret_basic) with a refresh-token scope. */
  client(options?: OAuth2ClientOptions): OAuth2Client
  /** A service-account client of the JWT bearer grant on `store`. */
  assertionClient(store: TokenStore, subject?: string): AssertionClient
  /** A token of the password grant, with a refresh token the provider rotates. */
  userToken(): Promise<OAuth2Token>
  /** `n` concurrent GETs of the resource through `c`: their status codes. */
  getAll(c: OAuth2Client | AssertionClient, n: number): Promise<number[]>
}

/** Starts the provider and the resource, closed at the end of `t`. */
export async function startRenewalWorld(t: Test): Promise<RenewalWorld> {
  const publicJwk = {
    ...createPublicKey(account.private_key).export({ format: 'jwk' }),
    kid: account.private_key_id,
  }
  const op = await startProvider({
    rotateRefreshToken: true,
    serviceAccounts: [{ clientId: account.client_id, issuer: account.client_email, publicJwk }],
  })
  const rs = await startResource(op.provider)
  t.teardown(async () => {
    await rs.close()
    await op.close()
  })
  const { basic } = DEFAULT_CLIENTS
  const client = (options: OAuth2ClientOptions = {}) =>
    new OAuth2Client({
      tokenEndpoint: op.urls.token,
      clientId: basic.client_id,
      clientSecret: basic.client_secret,
      scope: 'openid offline_access api:read',
      ...options,
    })
  return {
    op,
    rs,
    client,
    assertionClient: (store, subject) =>
      AssertionClient.fromServiceAccount(
        { ...account, token_uri: op.urls.token },
        {
          scope: ['api:read'],
          clientId: account.client_id,
          tokenStore: store,
          ...(subject === undefined ? {} : { subject }),
        },
      ),
    async userToken() {
      await using c = client()
      return await c.fetchToken(undefined, { username: TEST_USER.username, password: TEST_USER.password })
    },
    getAll: (c, n) =>
      Promise.all(
        Array.from({ length: n }, async () => {
          const { statusCode, body } = await c.get(`${rs.url}/data`)
          await body.dump()
          return statusCode
        }),
      ),
  }
}

/** `token` as it would be past its expiry. */
export const expired = (token: OAuth2Token): OAuth2Token => ({ ...token, expires_at: Date.now() / 1000 - 5 })
