/**
 * OpenID Connect against the real oidc-provider on 127.0.0.1 (issue 15 acceptance 1, 3, 4, 5):
 * the code flow with PKCE and nonce for each signing algorithm, refresh (§12.2), userinfo, key
 * rotation counted at the provider's /jwks, socket reuse, and RP-Initiated Logout round trip.
 */
import t from 'tap'
import { request } from 'undici'
import { IdTokenValidationError } from '../../../lib/errors.js'
import { OAuth2Client, type OAuth2ClientOptions } from '../../../lib/oauth2/client.js'
import {
  type ClientMetadata,
  PROVIDER_OIDC_JWKS,
  REDIRECT_URI,
  ROTATED_RSA_JWK,
  startProvider,
  TEST_USER,
} from '../../fixtures/provider.js'

const ALGS = ['RS256', 'PS256', 'ES256', 'EdDSA'] as const
const LOGOUT_REDIRECT = 'http://127.0.0.1/logged-out'

/** One public client per ID token signing algorithm (RFC 7591 `id_token_signed_response_alg`). */
const clientFor = (alg: string): ClientMetadata => ({
  client_id: `oidc-${alg.toLowerCase()}`,
  token_endpoint_auth_method: 'none',
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  redirect_uris: [REDIRECT_URI],
  post_logout_redirect_uris: [LOGOUT_REDIRECT],
  scope: 'openid offline_access api:read',
  id_token_signed_response_alg: alg,
})

const op = await startProvider({ oidcKeys: true, extraClients: ALGS.map(clientFor) })
t.teardown(() => op.close())

function discover(alg: string, options: OAuth2ClientOptions = {}): Promise<OAuth2Client> {
  return OAuth2Client.discover(op.issuer, {
    clientId: clientFor(alg).client_id,
    redirectUri: REDIRECT_URI,
    scope: 'openid offline_access api:read',
    idTokenSignedResponseAlg: alg,
    ...options,
  })
}

/** Signs in through the provider's login and consent pages; returns the token and the nonce used. */
async function signIn(client: OAuth2Client, maxAge?: number): Promise<{ nonce: string }> {
  const { url, state, codeVerifier, nonce } = client.createAuthorizationUrl(undefined, {
    prompt: 'consent',
    ...(maxAge === undefined ? {} : { maxAge }),
  })
  const redirect = await op.driveAuthorization(url)
  await client.fetchToken(undefined, { authorizationResponse: redirect, state, codeVerifier, nonce, maxAge })
  return { nonce: nonce! }
}

for (const alg of ALGS) {
  t.test(`code + PKCE + nonce, ID token signed ${alg}: validated, claims, userinfo, refresh`, async t => {
    await using client = await discover(alg)
    const { nonce } = await signIn(client, 600)
    const claims = client.idTokenClaims()!
    t.equal(claims.iss, op.issuer)
    t.equal(claims.sub, TEST_USER.username)
    t.equal(claims.aud, clientFor(alg).client_id)
    t.equal(claims.nonce, nonce, 'the nonce passed back is the one in the token')
    t.type(claims.auth_time, 'number', 'max_age asked: auth_time present')
    const [, header] = /^([^.]+)\./.exec(client.token!.id_token!)!
    t.equal(JSON.parse(Buffer.from(header!, 'base64url').toString()).alg, alg, `the provider signed ${alg}`)
    const info = await client.userinfo()
    t.equal(info.sub, claims.sub, 'userinfo names the same subject')

    const refreshed = await client.refreshToken()
    t.type(refreshed.id_token, 'string', 'the refresh answer carries an ID token')
    t.equal(client.idTokenClaims()?.sub, claims.sub, 'validated against the original (§12.2)')
    t.equal(client.idTokenClaims()?.auth_time, claims.auth_time)
  })
}

t.test('a code exchange for openid without the nonce passed back is refused', async t => {
  await using client = await discover('RS256')
  const { url, state, codeVerifier } = client.createAuthorizationUrl()
  const redirect = await op.driveAuthorization(url)
  await t.rejects(client.fetchToken(undefined, { authorizationResponse: redirect, state, codeVerifier }), {
    code: 'ERR_OAUTH_ID_TOKEN',
    claim: 'nonce',
  })
  t.equal(client.token, undefined, 'nothing stored')
})

t.test(
  'key rotation at the provider: the next ID token validates after one JWKS fetch, on the same socket',
  async t => {
    await using client = await discover('RS256', { jwksCooldown: 0.05 })
    const start = op.traffic.byPath['/jwks'] ?? 0
    await signIn(client)
    const before = op.traffic.byPath['/jwks'] ?? 0
    const connections = op.traffic.connections
    t.equal(before - start, 1, 'the first validation fetched the JWKS once')

    await op.rotateSigningKeys({ keys: [ROTATED_RSA_JWK, ...PROVIDER_OIDC_JWKS.keys.slice(1)] })
    await new Promise(resolve => setTimeout(resolve, 60)) // past the cooldown since the first fetch
    const refreshed = await client.refreshToken()
    const kid = JSON.parse(Buffer.from(refreshed.id_token!.split('.')[0]!, 'base64url').toString()).kid
    t.equal(kid, 'oidc-rsa-rotated', 'the provider signs with the new key')
    t.equal(
      op.traffic.byPath['/jwks'],
      before + 1,
      'the next ID token validated after exactly one JWKS fetch',
    )

    for (let i = 0; i < 3; i++) t.equal((await client.userinfo()).sub, TEST_USER.username)
    await client.refreshToken()
    t.equal(op.traffic.byPath['/jwks'], before + 1, 'a known kid needs no fetch')
    t.equal(op.traffic.connections, connections, 'JWKS, token and userinfo calls reused the session socket')
  },
)

t.test('userinfo with an expired access token refreshes once and answers', async t => {
  await using client = await discover('ES256')
  await signIn(client)
  client.token = { ...client.token!, expires_at: Math.floor(Date.now() / 1000) - 1 }
  const info = await client.userinfo()
  t.equal(info.sub, TEST_USER.username)
})

t.test('RP-Initiated Logout: the end-session URL and a round trip through the provider', async t => {
  await using client = await discover('RS256')
  await signIn(client)
  const url = new URL(client.createEndSessionUrl({ postLogoutRedirectUri: LOGOUT_REDIRECT, state: 'bye' }))
  t.equal(`${url.origin}${url.pathname}`, client.metadata.end_session_endpoint)
  t.equal(url.searchParams.get('id_token_hint'), client.token!.id_token, 'the current ID token is the hint')
  t.equal(url.searchParams.get('client_id'), clientFor('RS256').client_id)
  t.equal(url.searchParams.get('post_logout_redirect_uri'), LOGOUT_REDIRECT)
  t.equal(url.searchParams.get('state'), 'bye')

  // The provider asks to confirm the logout with a form; submitting it sends the user back.
  const page = await request(url, { signal: AbortSignal.timeout(5_000) })
  t.equal(page.statusCode, 200)
  const html = await page.body.text()
  const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1]
  const xsrf = /name="xsrf" value="([^"]+)"/.exec(html)?.[1]
  t.ok(action && xsrf, 'a confirmation form with its xsrf token')
  const cookies = [page.headers['set-cookie'] ?? []].flat().map(line => line.split(';')[0])
  const confirm = await request(new URL(action!, url), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: cookies.join('; ') },
    body: new URLSearchParams({ xsrf: xsrf!, logout: 'yes' }).toString(),
    signal: AbortSignal.timeout(5_000),
  })
  await confirm.body.dump()
  t.equal(confirm.statusCode, 303)
  t.equal(confirm.headers.location, `${LOGOUT_REDIRECT}?state=bye`, 'back to the client with its state')
})

t.test('the client refuses an ID token signed with an algorithm it did not register', async t => {
  // The ES256 client's token, validated by a client that accepts only RS256.
  await using client = await discover('ES256', { idTokenSignedResponseAlg: 'RS256' })
  const { url, state, codeVerifier, nonce } = client.createAuthorizationUrl()
  const redirect = await op.driveAuthorization(url)
  const err = await client
    .fetchToken(undefined, { authorizationResponse: redirect, state, codeVerifier, nonce })
    .catch((e: unknown) => e)
  t.ok(err instanceof IdTokenValidationError)
  t.match(err, { claim: 'alg', message: /'ES256' is not accepted: expected one of RS256/ })
})
