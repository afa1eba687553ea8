/**
 * Resource indicators (RFC 8707): against the real oidc-provider issuing JWT access tokens for the
 * resource, the token's `aud` is the resource asked for on the code exchange, the refresh and
 * client credentials (automatic renewals included); the wire and the checks against a scripted server.
 */
import { createRemoteJWKSet, jwtVerify } from 'jose'
import t from 'tap'
import { OAuth2Client, type OAuth2ClientOptions } from '../../lib/oauth2/client.js'
import type { OAuth2Token } from '../../lib/oauth2/token.js'
import { startServer } from '../fixtures/http-server.js'
import { DEFAULT_CLIENTS, REDIRECT_URI, startProvider } from '../fixtures/provider.js'

const ORDERS = 'https://orders.example.com/'
const BILLING = 'https://billing.example.com/api'
const op = await startProvider({ jwtResources: [ORDERS, BILLING] })
t.teardown(() => op.close())
const jwks = createRemoteJWKSet(new URL(op.urls.jwks))

/** The access token verified as the resource would verify it: signature, issuer, audience. */
async function claims(token: OAuth2Token, audience: string): Promise<Record<string, unknown>> {
  const { payload } = await jwtVerify(token.access_token, jwks, { issuer: op.issuer, audience })
  return payload
}

function client(options: OAuth2ClientOptions): OAuth2Client {
  const c = new OAuth2Client({
    clientId: DEFAULT_CLIENTS.basic.client_id,
    clientSecret: DEFAULT_CLIENTS.basic.client_secret,
    authorizationEndpoint: op.urls.authorization,
    tokenEndpoint: op.urls.token,
    ...options,
  })
  t.teardown(() => c.close())
  return c
}

t.test('authorization code, then refresh: each access token carries the resource asked for', async t => {
  const c = client({ redirectUri: REDIRECT_URI, scope: 'openid offline_access api:read', resource: ORDERS })
  const { url, state, codeVerifier } = c.createAuthorizationUrl(undefined, { resource: [ORDERS, BILLING] })
  t.same(new URL(url).searchParams.getAll('resource'), [ORDERS, BILLING], 'both on the authorization URL')
  const redirect = await op.driveAuthorization(url)
  const token = await c.fetchToken(undefined, { authorizationResponse: redirect, state, codeVerifier })
  t.match(await claims(token, ORDERS), { aud: ORDERS, sub: 'alice', scope: 'api:read' }, 'code: the option')

  const billing = await c.refreshToken(undefined, { resource: BILLING })
  t.match(await claims(billing, BILLING), { aud: BILLING }, 'refresh: the parameter wins over the option')

  c.token = { ...billing, expires_at: Math.floor(Date.now() / 1000) - 5 }
  const renewed = await c.ensureActiveToken()
  t.not(renewed.access_token, billing.access_token, 'renewed automatically')
  t.match(await claims(renewed, ORDERS), { aud: ORDERS }, 'an automatic refresh sends the option')
})

t.test('client credentials: the option, a parameter, and the automatic re-grant', async t => {
  const c = client({ scope: 'api:read', resource: ORDERS, grantType: 'client_credentials' })
  t.match(await claims(await c.fetchToken(), ORDERS), {
    aud: ORDERS,
    client_id: DEFAULT_CLIENTS.basic.client_id,
  })
  t.match(await claims(await c.fetchToken(undefined, { resource: BILLING }), BILLING), { aud: BILLING })
  c.token = undefined
  t.match(
    await claims(await c.ensureActiveToken(), ORDERS),
    { aud: ORDERS },
    'obtained by itself, same resource',
  )
})

t.test('without a resource the provider issues its opaque token, as before', async t => {
  const c = client({ scope: 'api:read' })
  const token = await c.fetchToken()
  t.equal(token.access_token.split('.').length, 1, 'not a JWT')
})

t.test(
  'the wire: resource repeated for an array, refused in extraParams, checked as RFC 8707 §2 says',
  async t => {
    const bodies: URLSearchParams[] = []
    const server = await startServer((_req, res, body) => {
      bodies.push(new URLSearchParams(body.toString()))
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ access_token: `t${bodies.length}`, token_type: 'Bearer', refresh_token: 'r' }))
    })
    t.teardown(server.close)
    const c = client({ tokenEndpoint: `${server.url}/token`, resource: [ORDERS, BILLING] })
    const url = new URL(c.createAuthorizationUrl().url)
    t.same(url.searchParams.getAll('resource'), [ORDERS, BILLING], 'the option on the authorization URL')
    t.same(
      new URL(c.createAuthorizationUrl(undefined, { resource: BILLING }).url).searchParams.getAll('resource'),
      [BILLING],
    )
    await c.fetchToken()
    await c.refreshToken()
    await c.refreshToken(undefined, { resource: [BILLING] })
    t.same(
      bodies.map(body => body.getAll('resource')),
      [[ORDERS, BILLING], [ORDERS, BILLING], [BILLING]],
      'grant and refresh: the option, unless the call gives its own',
    )

    t.throws(() => c.createAuthorizationUrl(undefined, { extraParams: { resource: ORDERS } }), {
      message: /extraParams.resource is set from `resource`/,
    })
    await t.rejects(c.fetchToken(undefined, { extraParams: { resource: ORDERS } }), {
      message: /extraParams.resource is a parameter the client sets itself/,
    })
    t.throws(() => c.createAuthorizationUrl(undefined, { resource: 'orders' }), {
      code: 'ERR_OAUTH_INVALID_ARGUMENT',
      message: /`resource` must be an absolute URI without a fragment/,
    })
    await t.rejects(c.refreshToken(undefined, { resource: [ORDERS, `${BILLING}#part`] }), {
      code: 'ERR_OAUTH_INVALID_ARGUMENT',
      message: /`resource\[1\]` must be an absolute URI/,
    })
    const options: [unknown, RegExp][] = [
      ['orders', /option `resource` must be an absolute URI/],
      [[], /not an empty array, got object/],
      [[ORDERS, 7], /option `resource\[1\]`/],
      [`${ORDERS}#x`, /without a fragment/],
    ]
    for (const [resource, message] of options) {
      t.throws(() => new OAuth2Client({ resource: resource as string }), {
        code: 'ERR_OAUTH_INVALID_OPTION',
        message,
      })
    }
    t.equal(bodies.length, 3, 'nothing more was sent')
  },
)
