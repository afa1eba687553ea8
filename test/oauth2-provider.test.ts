/**
 * OAuth2Client against the real oidc-provider on 127.0.0.1: every grant, refresh with rotation,
 * single-flight renewal under load, the 401 path, token placement, revocation, introspection and
 * discovery.
 */
import { Readable } from 'node:stream'
import { inspect } from 'node:util'
import t from 'tap'
import { request } from 'undici'
import { OAuthError } from '../lib/errors.js'
import { OAuth2Client, type OAuth2ClientOptions } from '../lib/oauth2/client.js'
import type { ClientAuthMethodName } from '../lib/oauth2/client-auth-method.js'
import type { OAuth2Token } from '../lib/oauth2/token.js'
import { oauthError } from './fixtures/match.js'
import {
  DEFAULT_CLIENTS,
  REDIRECT_URI,
  startProvider,
  startResource,
  TEST_USER,
} from './fixtures/provider.js'

const op = await startProvider({ clientCredentialsTTL: 2 })
const rs = await startResource(op.provider)
t.teardown(async () => {
  await rs.close()
  await op.close()
})

const basic = DEFAULT_CLIENTS.basic
const post = DEFAULT_CLIENTS.post
const pub = DEFAULT_CLIENTS.public

function client(options: OAuth2ClientOptions): OAuth2Client {
  return new OAuth2Client({
    tokenEndpoint: op.urls.token,
    revocationEndpoint: op.urls.revocation,
    introspectionEndpoint: op.urls.introspection,
    ...options,
  })
}

interface ResourceAnswer {
  ok: boolean
  client?: string
  sub?: string
  where?: string
}

async function getResource(
  c: OAuth2Client,
  path = '/data',
): Promise<{ status: number; json: ResourceAnswer }> {
  const { statusCode, body } = await c.get(`${rs.url}${path}`)
  return { status: statusCode, json: (await body.json()) as ResourceAnswer }
}

/** A token the client believes expired, with the same refresh token. */
function expire(token: OAuth2Token): OAuth2Token {
  return { ...token, expires_at: Math.floor(Date.now() / 1000) - 5 }
}

async function dropAccessToken(value: string): Promise<void> {
  const token = await op.provider.AccessToken.find(value)
  await (token as unknown as { destroy(): Promise<void> }).destroy()
}

async function passwordClient(options: OAuth2ClientOptions = {}): Promise<OAuth2Client> {
  const c = client({
    clientId: basic.client_id,
    clientSecret: basic.client_secret,
    scope: 'openid api:read',
    ...options,
  })
  await c.fetchToken(undefined, { username: TEST_USER.username, password: TEST_USER.password })
  return c
}

t.test('client credentials with client_secret_basic and client_secret_post', async t => {
  for (const registered of [basic, post]) {
    await using c = client({
      clientId: registered.client_id,
      clientSecret: registered.client_secret,
      tokenEndpointAuthMethod: registered.token_endpoint_auth_method as ClientAuthMethodName,
      scope: ['api:read'],
      // The fixture's client-credentials tokens live 2 s: on a slow machine the resource call may
      // come after the client's renewal point, when it obtains a new one by itself.
      grantType: 'client_credentials',
    })
    const token = await c.fetchToken()
    t.equal(token.token_type.toLowerCase(), 'bearer')
    t.type(token.expires_at, 'number')
    t.equal(c.token, token)
    const { status, json } = await getResource(c)
    t.equal(status, 200)
    t.equal(json.client, registered.client_id, `${registered.token_endpoint_auth_method} works`)
  }
  await using wrong = client({ clientId: basic.client_id, clientSecret: 'wrong-secret' })
  const err = await wrong.fetchToken().catch((e: unknown) => e)
  t.ok(err instanceof OAuthError)
  t.match(err, { error: 'invalid_client', statusCode: 401 })
  t.notMatch(String((err as Error).message), /wrong-secret/)
})

t.test('authorization code + PKCE S256, end to end through the dev interactions', async t => {
  await using c = client({
    clientId: pub.client_id,
    redirectUri: REDIRECT_URI,
    scope: 'openid offline_access api:read',
  })
  const { url, state, codeVerifier, nonce } = c.createAuthorizationUrl(op.urls.authorization, {
    extraParams: { prompt: 'consent' },
  })
  const params = new URL(url).searchParams
  t.equal(params.get('code_challenge_method'), 'S256')
  t.ok(codeVerifier && codeVerifier.length >= 43)
  t.ok(nonce, 'openid scope gets a nonce')
  const redirect = await op.driveAuthorization(url)
  t.match(redirect, /^http:\/\/127\.0\.0\.1\/cb\?code=/)
  const token = await c.fetchToken(undefined, { authorizationResponse: redirect, state, codeVerifier })
  t.type(token.refresh_token, 'string')
  t.type(token.id_token, 'string')
  const { status, json } = await getResource(c)
  t.same([status, json.sub], [200, TEST_USER.username])

  await using wrongVerifier = client({
    clientId: pub.client_id,
    redirectUri: REDIRECT_URI,
    scope: 'openid api:read',
  })
  const second = wrongVerifier.createAuthorizationUrl(op.urls.authorization)
  const redirect2 = await op.driveAuthorization(second.url)
  await t.rejects(
    wrongVerifier.fetchToken(undefined, {
      authorizationResponse: redirect2,
      state: second.state,
      codeVerifier: 'x'.repeat(43),
    }),
    oauthError('invalid_grant'),
    'the provider checks the PKCE verifier',
  )
})

t.test('a denied authorization surfaces as OAuthError access_denied', async t => {
  await using c = client({ clientId: pub.client_id, redirectUri: REDIRECT_URI, scope: 'openid' })
  const { url, state } = c.createAuthorizationUrl(op.urls.authorization)
  const redirect = await op.driveAuthorization(url, { deny: true })
  await t.rejects(
    c.fetchToken(undefined, { authorizationResponse: redirect, state }),
    oauthError('access_denied'),
  )
})

t.test('refresh with rotation: updateToken gets the new token and the old refresh token', async t => {
  const updates: [OAuth2Token, { refreshToken?: string; accessToken?: string }][] = []
  await using c = await passwordClient({ updateToken: (token, ctx) => void updates.push([token, ctx]) })
  const first = c.token!
  const refreshed = await c.refreshToken()
  t.not(refreshed.refresh_token, first.refresh_token, 'the provider rotated the refresh token')
  t.not(refreshed.access_token, first.access_token)
  t.same(
    updates.map(([token, ctx]) => [token.access_token, ctx]),
    [[refreshed.access_token, { refreshToken: first.refresh_token, source: 'endpoint' }]],
  )
  const again = await c.refreshToken()
  t.not(again.refresh_token, refreshed.refresh_token)
  t.equal((await getResource(c)).status, 200)
})

t.test(
  'single flight: 1,000 concurrent requests on an expired token make ONE refresh, three rounds',
  async t => {
    const updates: [OAuth2Token, { refreshToken?: string }][] = []
    await using c = await passwordClient({ updateToken: (token, ctx) => void updates.push([token, ctx]) })
    for (let round = 1; round <= 3; round++) {
      const old = c.token!
      c.token = expire(old)
      updates.length = 0
      op.counters.reset()
      const results = await Promise.all(Array.from({ length: 1_000 }, () => getResource(c)))
      t.equal(results.filter(r => r.status === 200).length, 1_000, `round ${round}: all 1,000 succeed`)
      t.equal(op.counters.byGrantType.refresh_token, 1, `round ${round}: exactly one token-endpoint call`)
      t.equal(op.counters.total(), 1)
      t.same(op.counters.statuses, { 200: 1 }, 'no invalid_grant')
      t.equal(updates.length, 1, 'updateToken called once')
      t.equal(updates[0]![0], c.token, 'with the new token')
      t.same(
        updates[0]![1],
        { refreshToken: old.refresh_token, source: 'endpoint' },
        'and the old refresh token',
      )
    }
  },
)

t.test('grantType client_credentials: the first request obtains a token; 100 share one re-grant', async t => {
  const updates: { accessToken?: string }[] = []
  await using c = client({
    clientId: basic.client_id,
    clientSecret: basic.client_secret,
    grantType: 'client_credentials',
    scope: 'api:read',
    updateToken: (_token, ctx) => void updates.push(ctx),
  })
  op.counters.reset()
  t.equal((await getResource(c)).status, 200)
  t.equal(op.counters.byGrantType.client_credentials, 1, 'obtained by itself')
  const first = c.token!
  // The fixture issues 2-second tokens: past half their life the client renews them.
  await new Promise(resolve => setTimeout(resolve, 1_100))
  const results = await Promise.all(Array.from({ length: 100 }, () => getResource(c)))
  t.ok(results.every(r => r.status === 200))
  t.equal(op.counters.byGrantType.client_credentials, 2, 'one shared re-grant')
  t.not(c.token!.access_token, first.access_token)
  t.same(updates, [{ source: 'endpoint' }, { accessToken: first.access_token, source: 'endpoint' }])
})

t.test(
  '401 invalid_token: one shared refresh and one retry for 50 requests with the same stale token',
  async t => {
    await using c = await passwordClient()
    const stale = c.token!
    // The provider drops the access token (as on a server-side expiry); the client still believes it valid.
    await dropAccessToken(stale.access_token)
    op.counters.reset()
    rs.counters.rejected = 0
    const results = await Promise.all(Array.from({ length: 50 }, () => getResource(c)))
    t.ok(
      results.every(r => r.status === 200),
      'all 50 succeed after the retry',
    )
    t.equal(rs.counters.rejected, 50, 'each carried the stale token once')
    t.equal(op.counters.byGrantType.refresh_token, 1, 'exactly one refresh')
    t.not(c.token!.access_token, stale.access_token)

    await dropAccessToken(c.token!.access_token)
    const streamed = await c.post(`${rs.url}/upload`, {
      body: Readable.from(['a=1']),
      headers: { 'content-type': 'text/plain' },
    })
    await streamed.body.dump()
    t.equal(streamed.statusCode, 401, 'a stream body is not retried: its 401 is returned')
  },
)

t.test('token placement: header, body and uri arrive where the resource looks', async t => {
  for (const placement of ['header', 'body', 'uri'] as const) {
    await using c = await passwordClient({ tokenPlacement: placement })
    const { statusCode, body } = await c.post(`${rs.url}/placed`, { form: { a: '1' } })
    const json = (await body.json()) as ResourceAnswer
    t.equal(statusCode, 200)
    t.equal(json.where, placement === 'uri' ? 'query' : placement, `${placement} placement`)
  }
  await using bodyGet = await passwordClient({ tokenPlacement: 'body' })
  await t.rejects(bodyGet.get(`${rs.url}/x`), oauthError('invalid_request', { message: /needs a form body/ }))
})

t.test('revocation: revoked access and refresh tokens are refused', async t => {
  const refused = async (access: string) => {
    const { statusCode, body } = await request(`${rs.url}/x`, {
      headers: { authorization: `Bearer ${access}` },
    })
    await body.dump()
    return statusCode === 401
  }
  await using c1 = await passwordClient()
  const first = c1.token!
  await c1.revokeToken(undefined, { token: first.access_token, tokenTypeHint: 'access_token' })
  t.ok(await refused(first.access_token), 'the resource refuses the revoked access token')
  // oidc-provider revokes every token of the grant with it.
  await t.rejects(c1.refreshToken(), oauthError('invalid_grant'))

  await using c2 = await passwordClient()
  const second = c2.token!
  await c2.revokeToken()
  t.ok(await refused(second.access_token), 'revoking the refresh token ends the grant')
  await t.rejects(
    c2.get(`${rs.url}/x`),
    oauthError('invalid_grant'),
    'the 401 leads to a refresh that the provider refuses',
  )
  await t.rejects(c2.revokeToken('http://example.invalid/revoke'), { code: 'ERR_OAUTH_INSECURE_TRANSPORT' })
})

t.test('introspection: active and inactive', async t => {
  await using c = await passwordClient()
  const active = await c.introspectToken(undefined, {
    token: c.token!.access_token,
    tokenTypeHint: 'access_token',
  })
  t.equal(active.active, true)
  t.equal(active.client_id, basic.client_id)
  const byDefault = await c.introspectToken()
  t.equal(byDefault.active, true, 'the refresh token by default')
  await c.revokeToken()
  t.same(await c.introspectToken(), { active: false })
})

t.test('discover() fills every endpoint from the issuer metadata', async t => {
  await using c = await OAuth2Client.discover(op.issuer, {
    clientId: basic.client_id,
    clientSecret: basic.client_secret,
    grantType: 'client_credentials',
  })
  t.equal(c.metadata.issuer, op.issuer)
  t.equal(c.metadata.authorization_endpoint, op.urls.authorization)
  t.equal(c.metadata.token_endpoint, op.urls.token)
  t.equal(c.metadata.revocation_endpoint, op.urls.revocation)
  t.equal(c.metadata.introspection_endpoint, op.urls.introspection)
  await c.fetchToken()
  t.equal((await getResource(c)).status, 200, 'usable straight away')
  await using overridden = await OAuth2Client.discover(op.issuer, {
    tokenEndpoint: 'https://override.test/token',
  })
  t.equal(overridden.metadata.token_endpoint, 'https://override.test/token', 'explicit options win')
})

t.test('the password grant registered in the fixture', async t => {
  await using c = client({
    clientId: post.client_id,
    clientSecret: post.client_secret,
    tokenEndpointAuthMethod: 'client_secret_post',
  })
  const token = await c.fetchToken(undefined, {
    username: TEST_USER.username,
    password: TEST_USER.password,
    scope: 'api:read',
  })
  t.type(token.refresh_token, 'string')
  t.equal((await getResource(c)).json.sub, TEST_USER.username)
  await t.rejects(
    c.fetchToken(undefined, { username: TEST_USER.username, password: 'nope' }),
    oauthError('invalid_grant'),
  )
})

t.test('no secret or token in messages, inspect or JSON', async t => {
  await using c = await passwordClient()
  const { access_token, refresh_token } = c.token!
  const shown = `${inspect(c, { depth: 10 })} ${JSON.stringify(c)}`
  for (const secret of [basic.client_secret, access_token, refresh_token!]) t.notOk(shown.includes(secret))
  t.match(inspect(c), /OAuth2Client/)
})
