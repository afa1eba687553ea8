/**
 * `npm run demo`: undici-oauth against a real OAuth 2.0 server, all on 127.0.0.1.
 * Starts an embedded oidc-provider and a protected resource, then walks through client
 * credentials, authorization code + PKCE, OpenID Connect sign-in (validated ID token, userinfo,
 * logout URL), the device flow, a long-running worker whose tokens keep expiring, revocation and
 * introspection, then registers a client and pushes its authorization request, mutual TLS (RFC
 * 8705) against a second provider over HTTPS, and finally DPoP (RFC 9449) against a third one that
 * requires nonces, with a resource that verifies every proof. Exits by itself.
 */
import { OAuth2Client, type OAuth2Token } from '../lib/index.js'
import { introspectAt, startDpopResource } from '../test/fixtures/dpop-resource.js'
import {
  MTLS_CLIENTS,
  MTLS_KEYS,
  startBoundResource,
  startMtlsProvider,
} from '../test/fixtures/mtls-provider.js'
import {
  DEFAULT_CLIENTS,
  DEVICE_CLIENTS,
  type ProviderFixture,
  REDIRECT_URI,
  startProvider,
  startResource,
} from '../test/fixtures/provider.js'

const TOKEN_LIFETIME = 3 // seconds: short, so the worker sees several refreshes
const WORKER_SECONDS = 12
const CONCURRENCY = 64

const say = (text: string) => console.log(text)
const step = (title: string) => say(`\n== ${title}`)

/**
 * RFC 8628: the device shows a code, the user approves it on another screen (here: the provider's
 * own /device pages, driven over HTTP), and the device's poll then holds the token.
 */
async function deviceFlow(op: ProviderFixture, resource: string): Promise<void> {
  await using tv = await OAuth2Client.discover(op.issuer, {
    clientId: DEVICE_CLIENTS.public.client_id,
    scope: 'openid api:read',
  })
  const authorization = await tv.deviceAuthorization()
  say(`1. the device shows: go to ${authorization.verification_uri} and enter ${authorization.user_code}`)
  say(
    `   polling every ${authorization.interval} s until the user approves (codes expire in ${authorization.expires_in} s)`,
  )
  const polling = tv.pollDeviceToken(authorization)
  await op.approveDevice(authorization.user_code) // alice logs in and confirms, as on her phone
  say('2. the user approved on the device pages')
  const token = await polling
  say(`3. the poll holds the token: ${token.token_type}, expires_at ${token.expires_at}`)
  const { statusCode, body } = await tv.get(`${resource}/tv`)
  say(`GET /tv -> ${statusCode} ${JSON.stringify(await body.json())}`)
}

/** RFC 8705: tls_client_auth through the mTLS alias, and a token bound to the certificate. */
async function mutualTls(): Promise<void> {
  step('mutual TLS (RFC 8705): tls_client_auth and a certificate-bound token')
  const mtls = await startMtlsProvider()
  const resource = await startBoundResource(mtls.provider)
  try {
    await using client = await OAuth2Client.discover(mtls.issuer, {
      clientId: MTLS_CLIENTS.tls,
      tokenEndpointAuthMethod: 'tls_client_auth',
      grantType: 'client_credentials',
      tls: { ...MTLS_KEYS.client, ca: MTLS_KEYS.ca },
    })
    const { statusCode, body } = await client.get(`${resource.url}/reports`)
    say(`GET /reports over https -> ${statusCode} ${JSON.stringify(await body.json())}`)
    const token = mtls.received.find(request => request.path === '/token')
    const secretSent = /^authorization:|client_secret|client_assertion/im.test(token?.raw ?? '')
    say(`token request at the ${token?.origin} origin, a secret sent: ${secretSent}`)
  } finally {
    await resource.close()
    await mtls.close()
  }
}

/** RFC 9449: client credentials with `dpop: true`, and a resource that checks every proof. */
async function dpop(): Promise<void> {
  step('DPoP (RFC 9449): a token bound to the client key, a proof on every request')
  const server = await startProvider({ dpop: true })
  const { client_id, client_secret } = DEFAULT_CLIENTS.basic
  const resource = await startDpopResource({
    introspect: introspectAt(server.urls.introspection, client_id, client_secret),
  })
  try {
    await using client = new OAuth2Client({
      clientId: client_id,
      clientSecret: client_secret,
      tokenEndpoint: server.urls.token,
      grantType: 'client_credentials',
      scope: 'api:read',
      dpop: true, // an ES256 key pair generated for this client
    })
    const first = await client.get(`${resource.url}/reports`)
    say(`GET /reports -> ${first.statusCode} ${JSON.stringify(await first.body.json())}`)
    say(`token_type ${client.token?.token_type}, the client's jkt ${client.dpopThumbprint}`)
    const fetched = await client.fetch(`${resource.url}/reports`)
    say(`fetch /reports -> ${fetched.status} (the nonce learned before is in the proof)`)
    await fetched.arrayBuffer()
    const stolen = await fetch(`${resource.url}/reports`, {
      headers: { authorization: `Bearer ${client.token?.access_token}` },
    })
    await stolen.arrayBuffer()
    say(`the same token as a plain Bearer token -> ${stolen.status}`)
    const { accepted, nonceChallenges, jtis } = resource.counters
    say(`resource: ${accepted} accepted, ${nonceChallenges} nonce challenge(s), ${jtis.size} distinct jti`)
  } finally {
    await resource.close()
    await server.close()
  }
}

const op = await startProvider({
  accessTokenTTL: TOKEN_LIFETIME,
  clientCredentialsTTL: TOKEN_LIFETIME,
  deviceFlow: true,
})
const rs = await startResource(op.provider)
say(`authorization server  ${op.issuer}`)
say(`protected resource    ${rs.url}`)

/** OpenID Connect: sign in, the validated ID token's claims, userinfo, and the logout URL. */
async function openIdConnect(): Promise<void> {
  step('OpenID Connect sign-in: validated ID token, userinfo, logout URL')
  await using rp = await OAuth2Client.discover(op.issuer, {
    clientId: DEFAULT_CLIENTS.public.client_id,
    redirectUri: REDIRECT_URI,
    scope: 'openid',
  })
  const { url, state, codeVerifier, nonce } = rp.createAuthorizationUrl(undefined, { maxAge: 300 })
  const redirect = await op.driveAuthorization(url)
  // The ID token is checked before the token is stored: signature against the provider's JWKS
  // (fetched once through this client's own pool), iss, aud, exp, iat, nonce, auth_time, at_hash.
  await rp.fetchToken(undefined, { authorizationResponse: redirect, state, codeVerifier, nonce, maxAge: 300 })
  const { iss, sub, aud, auth_time, nonce: echoed } = rp.idTokenClaims() ?? {}
  say(`validated ID token: ${JSON.stringify({ iss, sub, aud, auth_time, nonceMatches: echoed === nonce })}`)
  say(`userinfo -> ${JSON.stringify(await rp.userinfo())}`)
  const logout = rp.createEndSessionUrl({
    postLogoutRedirectUri: 'http://127.0.0.1/logged-out',
    state: 'bye',
  })
  say(`logout URL: ${logout.slice(0, 100)}…`)
}

try {
  step('client credentials, in an `await using` block')
  {
    await using client = await OAuth2Client.discover(op.issuer, {
      clientId: DEFAULT_CLIENTS.basic.client_id,
      clientSecret: DEFAULT_CLIENTS.basic.client_secret,
      scope: 'api:read',
      grantType: 'client_credentials', // the first request obtains a token by itself
    })
    const { statusCode, body } = await client.get(`${rs.url}/reports`)
    say(`GET /reports -> ${statusCode} ${JSON.stringify(await body.json())}`)
    say(`token_type ${client.token?.token_type}, expires in ${client.token?.expires_in} s`)
  }
  say('block left: every socket of that client is closed')

  step('authorization code + PKCE (S256)')
  await using user = await OAuth2Client.discover(op.issuer, {
    clientId: DEFAULT_CLIENTS.public.client_id, // a public client: no secret, PKCE protects the code
    redirectUri: REDIRECT_URI,
    scope: 'openid offline_access api:read',
    leeway: 1,
  })
  const { url, state, codeVerifier, nonce } = user.createAuthorizationUrl()
  say(`1. send the user to ${url.slice(0, 90)}…`)
  const redirect = await op.driveAuthorization(url) // logs in as alice and consents, as a browser would
  say(`2. the provider redirects back to ${redirect.slice(0, 60)}…`)
  const token = await user.fetchToken(undefined, {
    authorizationResponse: redirect,
    state,
    codeVerifier,
    nonce, // the ID token must carry it: openid in the scope makes this an OpenID Connect sign-in
  })
  say(`3. code exchanged: access token + refresh token, expires_at ${token.expires_at}`)
  const me = await user.get(`${rs.url}/me`)
  say(`GET /me -> ${me.statusCode} ${JSON.stringify(await me.body.json())}`)

  await openIdConnect()
  step('device authorization grant (RFC 8628)')
  await deviceFlow(op, rs.url)

  step(
    `long-running worker: ${CONCURRENCY} concurrent requests for ${WORKER_SECONDS} s, tokens live ${TOKEN_LIFETIME} s`,
  )
  let refreshes = 0
  await using worker = await OAuth2Client.discover(op.issuer, {
    clientId: DEFAULT_CLIENTS.public.client_id,
    redirectUri: REDIRECT_URI,
    leeway: 1,
    token: user.token as OAuth2Token,
    updateToken: () => {
      refreshes++ // persist the new token here; it is awaited before waiting requests go on
    },
  })
  const stats = { requests: 0, failures: 0 }
  const connectionsBefore = rs.counters.connections
  op.counters.reset()
  const until = Date.now() + WORKER_SECONDS * 1000
  const ticker = setInterval(() => {
    say(
      `  requests ${String(stats.requests).padStart(7)}   refreshes ${refreshes}   failures ${stats.failures}   sockets opened ${rs.counters.connections - connectionsBefore}`,
    )
  }, 2_000)
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (Date.now() < until) {
        try {
          const { statusCode, body } = await worker.get(`${rs.url}/work`)
          await body.dump()
          if (statusCode === 200) stats.requests++
          else stats.failures++
        } catch {
          stats.failures++
        }
      }
    }),
  )
  clearInterval(ticker)
  say(
    `done: ${stats.requests} requests, ${stats.failures} failures, ${refreshes} refreshes, ` +
      `${op.counters.byGrantType.refresh_token ?? 0} refresh calls at the token endpoint, ` +
      `${rs.counters.connections - connectionsBefore} sockets (limit ${CONCURRENCY})`,
  )
  const presented = op.counters.refreshTokensPresented
  say(`every refresh token was sent once: ${new Set(presented).size === presented.length}`)

  step('introspection and revocation (RFC 7662, RFC 7009)')
  const before = await worker.introspectToken()
  say(`introspect refresh token -> active: ${before.active}`)
  await worker.revokeToken()
  say('revoked the refresh token (the provider ends the grant with it)')
  const after = await worker.introspectToken()
  say(`introspect again -> active: ${after.active}`)
  const refused = await worker.get(`${rs.url}/work`, { withholdToken: true })
  await refused.body.dump()
  say(`a request without credentials -> ${refused.statusCode}`)

  await registerAndPush()
  await mutualTls()
  await dpop()
} finally {
  await rs.close()
  await op.close()
}
say('\nall clients closed; bye')

/**
 * Dynamic client registration (RFC 7591/7592) and a pushed authorization request (RFC 9126), on a
 * provider of their own with registration switched on; the callback's `iss` is checked (RFC 9207).
 */
async function registerAndPush(): Promise<void> {
  step('dynamic client registration, then a pushed authorization request')
  const server = await startProvider({ registration: {} })
  const resource = await startResource(server.provider)
  try {
    const registered = await OAuth2Client.register(server.issuer, {
      client_name: 'demo app',
      redirect_uris: [REDIRECT_URI],
      grant_types: ['authorization_code', 'refresh_token'],
    })
    say(`registered client_id ${registered.client_id} (${registered.token_endpoint_auth_method})`)
    await using app = await OAuth2Client.discover(server.issuer, {
      clientId: registered.client_id,
      clientSecret: registered.client_secret,
      redirectUri: REDIRECT_URI,
      scope: 'openid api:read',
    })
    const pushed = await app.pushAuthorizationRequest()
    say(`pushed: send the user to ${pushed.url.slice(0, 90)}… (valid ${pushed.expiresIn} s)`)
    const callback = await server.driveAuthorization(pushed.url)
    await app.fetchToken(undefined, {
      authorizationResponse: callback, // its iss is compared with the issuer before the exchange
      state: pushed.state,
      codeVerifier: pushed.codeVerifier,
      nonce: pushed.nonce, // the ID token's nonce is checked (OpenID Connect Core §3.1.3.7)
    })
    const me = await app.get(`${resource.url}/me`)
    say(`GET /me -> ${me.statusCode} ${JSON.stringify(await me.body.json())}`)
    await OAuth2Client.deleteRegistration(registered)
    say('registration deleted')
  } finally {
    await resource.close()
    await server.close()
  }
}
