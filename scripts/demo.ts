/**
 * `npm run demo`: undici-oauth against a real OAuth 2.0 server, all on 127.0.0.1.
 * Starts an embedded oidc-provider and a protected resource, then walks through client
 * credentials, authorization code + PKCE, a long-running worker whose tokens keep expiring,
 * revocation and introspection, then mutual TLS (RFC 8705) against a second provider over HTTPS.
 * Exits by itself.
 */
import { OAuth2Client, type OAuth2Token } from '../lib/index.js'
import {
  MTLS_CLIENTS,
  MTLS_KEYS,
  startBoundResource,
  startMtlsProvider,
} from '../test/fixtures/mtls-provider.js'
import { DEFAULT_CLIENTS, REDIRECT_URI, startProvider, startResource } from '../test/fixtures/provider.js'

const TOKEN_LIFETIME = 3 // seconds: short, so the worker sees several refreshes
const WORKER_SECONDS = 12
const CONCURRENCY = 64

const say = (text: string) => console.log(text)
const step = (title: string) => say(`\n== ${title}`)

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

  await mutualTls()
} finally {
  await rs.close()
  await op.close()
}
say('\nall clients closed; bye')
