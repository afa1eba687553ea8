import t from 'tap'
import { request as undiciRequest } from 'undici'
import { OAuth2Client, type OAuth2ClientOptions } from '../../lib/oauth2/client.js'
import { Session } from '../../lib/session.js'
import { startConnectProxy } from '../fixtures/connect-proxy.js'
import { oauthError } from '../fixtures/match.js'
import {
  BOUND_BASIC_SECRET,
  certificateThumbprint,
  MTLS_CLIENTS,
  MTLS_KEYS,
  type ReceivedRequest,
  startBoundResource,
  startMtlsProvider,
} from '../fixtures/mtls-provider.js'

const op = await startMtlsProvider()
const rs = await startBoundResource(op.provider)
t.teardown(async () => {
  await rs.close()
  await op.close()
})

const { ca, client: clientCert, other, selfSigned } = MTLS_KEYS
const CLIENT_X5T = certificateThumbprint(clientCert.cert)
const SELF_SIGNED_X5T = certificateThumbprint(selfSigned.cert)
/** A secret the TLS clients hold but must never send. */
const UNUSED_SECRET = 'held-but-never-sent-secret-0123456789'

function discover(options: OAuth2ClientOptions): Promise<OAuth2Client> {
  return OAuth2Client.discover(op.issuer, { grantType: 'client_credentials', scope: 'api:read', ...options })
}

/** The requests the fixture received from `since` on at `path`, by origin. */
function at(path: string, since: number): { mtls: ReceivedRequest[]; issuer: ReceivedRequest[] } {
  const seen = op.received.slice(since).filter(request => request.path === path)
  return {
    mtls: seen.filter(request => request.origin === 'mtls'),
    issuer: seen.filter(request => request.origin === 'issuer'),
  }
}

/** The secret-bearing parts of RFC 6749 §2.3 and RFC 7523 §2.2 client authentication. */
const SECRET_CARRIERS = /^authorization:|client_secret|client_assertion/im

t.test(
  'tls_client_auth: discovery over https, a token through the mTLS alias, bound to the certificate',
  async t => {
    const since = op.received.length
    await using client = await discover({
      clientId: MTLS_CLIENTS.tls,
      clientSecret: UNUSED_SECRET,
      tokenEndpointAuthMethod: 'tls_client_auth',
      tls: { ...clientCert, ca },
    })
    t.same(client.metadata.mtls_endpoint_aliases, op.aliases, 'the metadata publishes the aliases')

    // The token is obtained on the first request, through the alias, on the session's own pool.
    const first = await client.get(`${rs.url}/api`)
    t.equal(first.statusCode, 200)
    t.same(await first.body.json(), { ok: true, client: MTLS_CLIENTS.tls, x5t: CLIENT_X5T })
    const token = at('/token', since)
    t.equal(token.mtls.length, 1, 'one token request, at the mTLS alias')
    t.equal(token.issuer.length, 0, 'none at the conventional token endpoint')
    t.equal(token.mtls[0]!.certificate, CLIENT_X5T, 'the token endpoint saw the client certificate')
    t.match(token.mtls[0]!.raw, /\r\n\r\n.*client_id=tls-client/s, 'client_id in the body (RFC 8705 §2)')
    t.notMatch(token.mtls[0]!.raw, SECRET_CARRIERS, 'no Authorization header, secret or assertion')

    // fetch and the dispatcher present the same certificate, so the bound token works there too.
    const fetched = await client.fetch(`${rs.url}/api`)
    t.equal(fetched.status, 200)
    t.equal(((await fetched.json()) as { x5t: string }).x5t, CLIENT_X5T)
    const viaDispatcher = await undiciRequest(`${rs.url}/api`, { dispatcher: client.dispatcher })
    t.equal(viaDispatcher.statusCode, 200)
    await viaDispatcher.body.dump()

    // RFC 7662 through its alias: the token's confirmation is the certificate's thumbprint.
    const introspected = await client.introspectToken(undefined, { token: client.token!.access_token })
    t.equal(introspected.active, true)
    t.same(introspected['cnf'], { 'x5t#S256': CLIENT_X5T }, 'cnf.x5t#S256 (RFC 8705 §3.1)')
    t.equal(at('/token/introspection', since).mtls.length, 1, 'introspection at its alias')

    // RFC 7009 through its alias: afterwards the resource refuses the token.
    const revoked = client.token!.access_token
    await client.revokeToken(undefined, { token: revoked, tokenTypeHint: 'access_token' })
    t.equal(at('/token/revocation', since).mtls.length, 1, 'revocation at its alias')
    const after = await undiciRequest(`${rs.url}/api`, {
      dispatcher: client.dispatcher,
      headers: { authorization: `Bearer ${revoked}` },
    })
    t.equal(after.statusCode, 401, 'the revoked token is refused')
    await after.body.dump()

    const all = op.received.slice(since)
    const conventional = all.filter(request => request.origin === 'issuer')
    t.ok(
      conventional.every(request => request.path.startsWith('/.well-known/')),
      'the conventional origin served discovery only',
    )
    for (const request of all) {
      t.notOk(
        request.raw.includes(UNUSED_SECRET),
        `${request.path}: the secret the client holds was never sent`,
      )
      t.notMatch(request.raw, SECRET_CARRIERS, `${request.path}: no client secret or assertion`)
    }
  },
)

t.test(
  'self_signed_tls_client_auth: the self-signed certificate registered in jwks binds the token',
  async t => {
    const since = op.received.length
    await using client = await discover({
      clientId: MTLS_CLIENTS.selfSigned,
      tokenEndpointAuthMethod: 'self_signed_tls_client_auth',
      tls: { ...selfSigned, ca },
    })
    const token = await client.fetchToken()
    t.equal(token.token_type, 'Bearer')
    const response = await client.get(`${rs.url}/api`)
    t.same(await response.body.json(), { ok: true, client: MTLS_CLIENTS.selfSigned, x5t: SELF_SIGNED_X5T })
    const { mtls, issuer } = at('/token', since)
    t.equal(mtls.length, 1, 'through the alias')
    t.equal(issuer.length, 0)
    t.equal(mtls[0]!.certificate, SELF_SIGNED_X5T)
    t.notMatch(mtls[0]!.raw, SECRET_CARRIERS, 'no secret sent')
  },
)

t.test('another client certificate is refused: at the resource and at the token endpoint', async t => {
  await using client = await discover({
    clientId: MTLS_CLIENTS.tls,
    tokenEndpointAuthMethod: 'tls_client_auth',
    tls: { ...clientCert, ca },
  })
  const { access_token } = await client.fetchToken()

  // The same token, presented on a connection that shows another (CA-issued) certificate or none.
  for (const [name, tls] of [
    ['another certificate', { ...other, ca }],
    ['no certificate', { ca }],
  ] as const) {
    await using thief = new Session({ tls })
    const response = await thief.get(`${rs.url}/api`, {
      headers: { authorization: `Bearer ${access_token}` },
    })
    t.equal(response.statusCode, 401, `${name}: the bound token is refused`)
    t.match(response.headers['www-authenticate'], /invalid_token/)
    await response.body.dump()
  }

  // tls_client_auth with another client's certificate: the subject does not match (§2.1.2).
  await using impostor = await discover({
    clientId: MTLS_CLIENTS.tls,
    tokenEndpointAuthMethod: 'tls_client_auth',
    tls: { ...other, ca },
  })
  await t.rejects(impostor.fetchToken(), oauthError('invalid_client', { statusCode: 401 }))

  // self_signed_tls_client_auth with a certificate that is not the registered one (§2.2).
  await using unregistered = await discover({
    clientId: MTLS_CLIENTS.selfSigned,
    tokenEndpointAuthMethod: 'self_signed_tls_client_auth',
    tls: { ...clientCert, ca },
  })
  await t.rejects(unregistered.fetchToken(), oauthError('invalid_client'))
})

t.test('an explicit endpoint is called as given: the conventional one sees no certificate', async t => {
  const since = op.received.length
  await using client = await discover({
    clientId: MTLS_CLIENTS.tls,
    tokenEndpointAuthMethod: 'tls_client_auth',
    tokenEndpoint: op.urls.token,
    tls: { ...clientCert, ca },
  })
  await t.rejects(client.fetchToken(), oauthError('invalid_client'))
  const { mtls, issuer } = at('/token', since)
  t.equal(mtls.length, 0)
  t.equal(issuer.length, 1)
  t.equal(issuer[0]!.certificate, undefined, 'that origin asks for no certificate')
})

t.test(
  'tlsClientCertificateBoundAccessTokens: a secret-authenticated client gets bound tokens through the aliases',
  async t => {
    const since = op.received.length
    const options = {
      clientId: MTLS_CLIENTS.basic,
      clientSecret: BOUND_BASIC_SECRET,
      tls: { ...clientCert, ca },
    }
    await using bound = await discover({ ...options, tlsClientCertificateBoundAccessTokens: true })
    const response = await bound.get(`${rs.url}/api`)
    t.same(await response.body.json(), { ok: true, client: MTLS_CLIENTS.basic, x5t: CLIENT_X5T })
    t.equal(at('/token', since).mtls.length, 1, 'through the alias, with client_secret_basic')

    // Without the option the client calls the conventional endpoint, where no certificate is shown,
    // and the provider refuses to issue this client an unbound token.
    await using unbound = await discover(options)
    await t.rejects(unbound.fetchToken(), oauthError('invalid_grant'))
    t.equal(at('/token', since).issuer.length, 1)
  },
)

t.test('through a proxy the certificate still reaches the provider and the resource', async t => {
  const proxy = await startConnectProxy(t)
  const since = op.received.length
  await using client = await discover({
    clientId: MTLS_CLIENTS.tls,
    tokenEndpointAuthMethod: 'tls_client_auth',
    tls: { ...clientCert, ca },
    proxy: proxy.url,
  })
  const response = await client.get(`${rs.url}/api`)
  t.same(await response.body.json(), { ok: true, client: MTLS_CLIENTS.tls, x5t: CLIENT_X5T })
  t.equal(at('/token', since).mtls[0]?.certificate, CLIENT_X5T, 'the alias saw the certificate')
  const host = (url: string) => new URL(url).host
  t.ok(proxy.tunnels.includes(host(op.mtlsOrigin)), 'the token request was tunnelled')
  t.ok(proxy.tunnels.includes(host(rs.url)), 'the resource request was tunnelled')
})
