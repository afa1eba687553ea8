/**
 * DPoP (RFC 9449) end to end against the real oidc-provider with DPoP on and nonces required on
 * every token request: client credentials, code + PKCE (dpop_jkt on the URL and the pushed
 * request) and refresh obtain DPoP-bound tokens whose cnf.jkt is the client's thumbprint, and a
 * resource server that verifies every proof with jose accepts `request`, `fetch` and the
 * dispatcher, and refuses the same token presented as Bearer.
 */
import { generateKeyPairSync } from 'node:crypto'
import { calculateJwkThumbprint, exportJWK } from 'jose'
import t from 'tap'
import { request } from 'undici'
import { AssertionClient } from '../../lib/oauth2/assertion-client.js'
import { OAuth2Client } from '../../lib/oauth2/client.js'
import { type DpopResource, introspectAt, startDpopResource } from '../fixtures/dpop-resource.js'
import { oauthError } from '../fixtures/match.js'
import {
  DEFAULT_CLIENTS,
  JWT_BEARER_GRANT,
  REDIRECT_URI,
  type ServiceAccountGrant,
  startProvider,
} from '../fixtures/provider.js'

const accountKeys = generateKeyPairSync('ec', { namedCurve: 'P-256' })
const ACCOUNT: ServiceAccountGrant = {
  clientId: 'dpop-robot',
  issuer: 'dpop-robot@example.com',
  publicJwk: { ...(await exportJWK(accountKeys.publicKey)), kid: 'robot-1', alg: 'ES256' },
}

const op = await startProvider({ dpop: true, serviceAccounts: [ACCOUNT] })
const basic = DEFAULT_CLIENTS.basic
const pub = DEFAULT_CLIENTS.public
const introspect = introspectAt(op.urls.introspection, basic.client_id, basic.client_secret)
const rs: DpopResource = await startDpopResource({ introspect })
t.teardown(async () => {
  await rs.close()
  await op.close()
})

function basicClient(): OAuth2Client {
  const client = new OAuth2Client({
    clientId: basic.client_id,
    clientSecret: basic.client_secret,
    tokenEndpoint: op.urls.token,
    introspectionEndpoint: op.urls.introspection,
    grantType: 'client_credentials',
    scope: 'api:read',
    dpop: true,
  })
  t.teardown(() => client.close())
  return client
}

t.test('client credentials: a DPoP-bound token, its cnf.jkt the client thumbprint', async t => {
  const client = basicClient()
  op.counters.reset()
  const token = await client.fetchToken()
  t.equal(token.token_type, 'DPoP')
  // oidc-provider requires a nonce: the first attempt is answered 400 use_dpop_nonce, repeated once.
  t.same(op.counters.statuses, { 400: 1, 200: 1 }, 'one nonce repeat, then the token')
  const info = await client.introspectToken(undefined, { token: token.access_token })
  t.equal(info.active, true)
  t.equal((info.cnf as { jkt?: string } | undefined)?.jkt, client.dpopThumbprint, 'cnf.jkt is the thumbprint')
  t.equal(info.token_type, 'DPoP')
  // A second token call reuses the learned nonce: no 400 this time.
  op.counters.reset()
  await client.fetchToken()
  t.same(op.counters.statuses, { 200: 1 }, 'the nonce learned is used straight away')
})

t.test('request, fetch and the dispatcher are all accepted by a proof-checking resource', async t => {
  const client = basicClient()
  rs.reset()
  const viaRequest = await client.get(`${rs.url}/api/items?page=2#frag`, { headers: { 'x-via': 'request' } })
  t.equal(viaRequest.statusCode, 200, 'request')
  const body = (await viaRequest.body.json()) as { jkt: string }
  t.equal(body.jkt, client.dpopThumbprint)
  const posted = await client.post(`${rs.url}/api/items`, { json: { a: 1 }, headers: { 'x-via': 'request' } })
  t.equal(posted.statusCode, 200, 'request POST')
  await posted.body.dump()
  const viaFetch = await client.fetch(`${rs.url}/api/items`, { headers: { 'x-via': 'fetch' } })
  t.equal(viaFetch.status, 200, 'fetch')
  await viaFetch.arrayBuffer()
  const viaDispatcher = await request(`${rs.url}/api/items`, {
    dispatcher: client.dispatcher,
    headers: { 'x-via': 'dispatcher' },
  })
  t.equal(viaDispatcher.statusCode, 200, 'dispatcher')
  await viaDispatcher.body.dump()
  t.same(
    rs.counters.seen.map(s => `${s.method} ${s.via}`),
    ['GET request', 'POST request', 'GET fetch', 'GET dispatcher'],
  )
  t.same(rs.counters.refused, {}, 'no proof refused')
  // The first request learned the resource's nonce from its 401 and was repeated once.
  t.equal(rs.counters.nonceChallenges, 1, 'one nonce challenge in all')
})

t.test('the same token presented as Bearer is refused', async t => {
  const client = basicClient()
  const token = await client.fetchToken()
  const { statusCode, headers, body } = await request(`${rs.url}/api/items`, {
    headers: { authorization: `Bearer ${token.access_token}` },
  })
  await body.dump()
  t.equal(statusCode, 401)
  t.match(headers['www-authenticate'], /error="invalid_token"/)
  t.equal(rs.counters.refused['bound token presented as Bearer'], 1)
})

t.test(
  'code + PKCE: dpop_jkt on the URL and the pushed request, token bound, refreshes keep the key',
  async t => {
    const client = new OAuth2Client({
      clientId: pub.client_id,
      redirectUri: REDIRECT_URI,
      scope: 'openid offline_access api:read',
      authorizationEndpoint: op.urls.authorization,
      tokenEndpoint: op.urls.token,
      pushedAuthorizationRequestEndpoint: op.urls.pushedAuthorization,
      metadata: { issuer: op.issuer, jwks_uri: op.urls.jwks },
      dpop: true,
    })
    t.teardown(() => client.close())
    const jkt = client.dpopThumbprint!
    const plain = client.createAuthorizationUrl()
    t.equal(new URL(plain.url).searchParams.get('dpop_jkt'), jkt, 'dpop_jkt on the URL')
    const pushed = await client.pushAuthorizationRequest()
    const redirect = await op.driveAuthorization(pushed.url)
    const token = await client.fetchToken(undefined, {
      authorizationResponse: redirect,
      state: pushed.state,
      codeVerifier: pushed.codeVerifier,
      nonce: pushed.nonce,
    })
    t.equal(token.token_type, 'DPoP')
    t.ok(token.refresh_token, 'a refresh token')
    t.equal((await introspect(token.access_token)).jkt, jkt, 'access token cnf.jkt')
    rs.reset()
    const first = await client.get(`${rs.url}/me`)
    t.equal(first.statusCode, 200)
    await first.body.dump()
    // A public client's refresh token is bound to the key (RFC 9449 §5): two refreshes in a row.
    for (let i = 0; i < 2; i++) {
      const before = client.token!.refresh_token
      const refreshed = await client.refreshToken()
      t.equal(refreshed.token_type, 'DPoP', `refresh ${i + 1}: DPoP`)
      t.not(refreshed.refresh_token, before, `refresh ${i + 1}: rotated`)
      t.equal((await introspect(refreshed.access_token)).jkt, jkt, `refresh ${i + 1}: same jkt`)
      const after = await client.get(`${rs.url}/me`)
      t.equal(after.statusCode, 200, `refresh ${i + 1}: resource accepts the new token`)
      await after.body.dump()
    }
    t.same(rs.counters.refused, {})
    // A plain authorization URL drove too: its code is bound the same way.
    const redirect2 = await op.driveAuthorization(plain.url)
    const token2 = await client.fetchToken(undefined, {
      authorizationResponse: redirect2,
      state: plain.state,
      codeVerifier: plain.codeVerifier,
      nonce: plain.nonce,
    })
    t.equal((await introspect(token2.access_token)).jkt, jkt)
  },
)

t.test('a client with another key cannot use the bound refresh token', async t => {
  const client = new OAuth2Client({
    clientId: pub.client_id,
    redirectUri: REDIRECT_URI,
    scope: 'openid offline_access api:read',
    authorizationEndpoint: op.urls.authorization,
    tokenEndpoint: op.urls.token,
    metadata: { issuer: op.issuer, jwks_uri: op.urls.jwks },
    dpop: true,
  })
  t.teardown(() => client.close())
  const auth = client.createAuthorizationUrl()
  const token = await client.fetchToken(undefined, {
    authorizationResponse: await op.driveAuthorization(auth.url),
    state: auth.state,
    codeVerifier: auth.codeVerifier,
    nonce: auth.nonce,
  })
  const thief = new OAuth2Client({ clientId: pub.client_id, tokenEndpoint: op.urls.token, dpop: true })
  t.teardown(() => thief.close())
  await t.rejects(
    thief.refreshToken(undefined, { refreshToken: token.refresh_token! }),
    oauthError('invalid_grant'),
  )
})

t.test('AssertionClient: the jwt-bearer grant with DPoP', async t => {
  const keys = generateKeyPairSync('ed25519')
  const client = new AssertionClient({
    tokenEndpoint: op.urls.token,
    issuer: ACCOUNT.issuer,
    subject: 'alice',
    audience: op.urls.token,
    key: accountKeys.privateKey,
    header: { alg: 'ES256', kid: 'robot-1' },
    clientId: ACCOUNT.clientId,
    tokenEndpointAuthMethod: 'none',
    scope: 'api:read',
    dpop: { privateKey: keys.privateKey, publicKey: keys.publicKey },
  })
  t.teardown(() => client.close())
  rs.reset()
  const response = await client.get(`${rs.url}/reports`)
  t.equal(response.statusCode, 200)
  await response.body.dump()
  t.equal(client.token?.token_type, 'DPoP')
  t.equal((await introspect(client.token!.access_token)).jkt, client.dpopThumbprint)
  t.equal(client.dpopThumbprint, await calculateJwkThumbprint(await exportJWK(keys.publicKey)))
  t.same(rs.counters.refused, {})
  t.ok(op.counters.byGrantType[JWT_BEARER_GRANT]! >= 1)
})
