/**
 * `npm run demo`: undici-oauth against a real OAuth 2.0 server, all on 127.0.0.1.
 * Starts an embedded oidc-provider and a protected resource, then walks through client
 * credentials, authorization code + PKCE, a long-running worker whose tokens keep expiring,
 * revocation and introspection, then registers a client and pushes its authorization request.
 * Exits by itself.
 */
import { OAuth2Client, type OAuth2Token } from '../lib/index.js'
import { DEFAULT_CLIENTS, REDIRECT_URI, startProvider, startResource } from '../test/fixtures/provider.js'

const TOKEN_LIFETIME = 3 // seconds: short, so the worker sees several refreshes
const WORKER_SECONDS = 12
const CONCURRENCY = 64

const say = (text: string) => console.log(text)
const step = (title: string) => say(`\n== ${title}`)

const op = await startProvider({ accessTokenTTL: TOKEN_LIFETIME, clientCredentialsTTL: TOKEN_LIFETIME })
const rs = await startResource(op.provider)
say(`authorization server  ${op.issuer}`)
say(`protected resource    ${rs.url}`)

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
  const { url, state, codeVerifier } = user.createAuthorizationUrl()
  say(`1. send the user to ${url.slice(0, 90)}…`)
  const redirect = await op.driveAuthorization(url) // logs in as alice and consents, as a browser would
  say(`2. the provider redirects back to ${redirect.slice(0, 60)}…`)
  const token = await user.fetchToken(undefined, { authorizationResponse: redirect, state, codeVerifier })
  say(`3. code exchanged: access token + refresh token, expires_at ${token.expires_at}`)
  const me = await user.get(`${rs.url}/me`)
  say(`GET /me -> ${me.statusCode} ${JSON.stringify(await me.body.json())}`)

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
