/**
 * RFC 8705 on the client side, against a scripted loopback server: tls_client_auth and
 * self_signed_tls_client_auth send client_id and no secret (§2); `mtls_endpoint_aliases` (§5) are
 * used per call when that call authenticates with TLS or the client asks for bound tokens (§3,
 * `tlsClientCertificateBoundAccessTokens`), never otherwise, and never in place of an explicit
 * endpoint; the metadata's aliases are checked like its endpoints; construction refuses a TLS
 * method or bound tokens without a client certificate.
 */
import t, { type Test } from 'tap'
import { Agent } from 'undici'
import { OAuth2Client, type OAuth2ClientOptions } from '../../lib/oauth2/client.js'
import { isTlsClientAuth } from '../../lib/oauth2/client-auth.js'
import { defaultClientAuthMethods } from '../../lib/oauth2/client-auth-registry.js'
import { checkMetadata, endpointUrl } from '../../lib/oauth2/metadata.js'
import { MTLS_KEYS } from '../fixtures/mtls-provider.js'
import { json, type RecordingServer, start } from '../fixtures/recording-server.js'

const TLS = { ...MTLS_KEYS.client, ca: MTLS_KEYS.ca }
const SECRET = 'client-secret-0123456789'

async function server(t: Test): Promise<RecordingServer> {
  const s = await start()
  t.teardown(s.close)
  s.respond((request, res) => {
    if (request.url.endsWith('/token')) {
      return json(res, { access_token: 'at-1', token_type: 'Bearer', refresh_token: 'rt-1' })
    }
    if (request.url.endsWith('/introspect')) return json(res, { active: true })
    res.end()
  })
  return s
}

/** Conventional endpoints at /x, aliases at /mtls/x for token and revocation (not introspection). */
function metadata(s: RecordingServer) {
  return {
    token_endpoint: `${s.url}/token`,
    revocation_endpoint: `${s.url}/revoke`,
    introspection_endpoint: `${s.url}/introspect`,
    mtls_endpoint_aliases: {
      token_endpoint: `${s.url}/mtls/token`,
      revocation_endpoint: `${s.url}/mtls/revoke`,
    },
  }
}

/** Calls the three endpoints (the token endpoint twice: a grant, a refresh) and returns the paths reached. */
async function pathsCalled(s: RecordingServer, options: OAuth2ClientOptions): Promise<string[]> {
  const since = s.seen.length
  await using client = new OAuth2Client({ clientId: 'app', metadata: metadata(s), ...options })
  await client.fetchToken(undefined, { grantType: 'client_credentials' })
  await client.refreshToken()
  await client.revokeToken(undefined, { token: 'at-1' })
  await client.introspectToken(undefined, { token: 'at-1' })
  return s.seen.slice(since).map(request => request.url)
}

t.test('aliases are used per call, when that call uses mutual TLS', async t => {
  const s = await server(t)
  t.same(
    await pathsCalled(s, { clientSecret: SECRET }),
    ['/token', '/token', '/revoke', '/introspect'],
    'a secret-authenticated client keeps the conventional endpoints',
  )
  const since = s.seen.length
  t.same(
    await pathsCalled(s, { clientSecret: SECRET, tokenEndpointAuthMethod: 'tls_client_auth', tls: TLS }),
    ['/mtls/token', '/mtls/token', '/mtls/revoke', '/introspect'],
    'tls_client_auth: the aliases, and the conventional endpoint where none is listed',
  )
  for (const request of s.seen.slice(since)) {
    t.equal(new URLSearchParams(request.body).get('client_id'), 'app', `${request.url}: client_id`)
    t.equal(request.headers.authorization, undefined, `${request.url}: no Authorization header`)
    t.notOk(JSON.stringify(request).includes(SECRET), `${request.url}: the secret held is not sent`)
  }
  t.same(
    await pathsCalled(s, { tokenEndpointAuthMethod: 'self_signed_tls_client_auth', tls: TLS }),
    ['/mtls/token', '/mtls/token', '/mtls/revoke', '/introspect'],
    'self_signed_tls_client_auth likewise',
  )
  t.same(
    await pathsCalled(s, {
      clientSecret: SECRET,
      revocationEndpointAuthMethod: 'tls_client_auth',
      tls: TLS,
    }),
    ['/token', '/token', '/mtls/revoke', '/introspect'],
    'only the call that authenticates with TLS',
  )
  const bound = s.seen.length
  t.same(
    await pathsCalled(s, { clientSecret: SECRET, tlsClientCertificateBoundAccessTokens: true, tls: TLS }),
    ['/mtls/token', '/mtls/token', '/mtls/revoke', '/introspect'],
    'tlsClientCertificateBoundAccessTokens: every call, whatever the auth method',
  )
  t.match(s.seen[bound]!.headers.authorization, /^Basic /, 'still client_secret_basic')
})

t.test('an explicit endpoint or URL argument is called as given', async t => {
  const s = await server(t)
  await using client = new OAuth2Client({
    clientId: 'app',
    tokenEndpointAuthMethod: 'tls_client_auth',
    tls: TLS,
    metadata: metadata(s),
    tokenEndpoint: `${s.url}/explicit/token`,
  })
  await client.fetchToken(undefined, { grantType: 'client_credentials' })
  await client.revokeToken(`${s.url}/given/revoke`, { token: 'at-1' })
  t.same(
    s.seen.map(request => request.url),
    ['/explicit/token', '/given/revoke'],
  )
})

t.test('an endpoint only the aliases name is reachable with mutual TLS only', async t => {
  const s = await server(t)
  const onlyAlias = { mtls_endpoint_aliases: { token_endpoint: `${s.url}/mtls/token` } }
  await using tls = new OAuth2Client({
    clientId: 'app',
    tokenEndpointAuthMethod: 'tls_client_auth',
    tls: TLS,
    metadata: onlyAlias,
  })
  await tls.fetchToken(undefined, { grantType: 'client_credentials' })
  t.same(
    s.seen.map(request => request.url),
    ['/mtls/token'],
  )
  await using basic = new OAuth2Client({ clientId: 'app', clientSecret: SECRET, metadata: onlyAlias })
  await t.rejects(basic.fetchToken(undefined, { grantType: 'client_credentials' }), {
    code: 'ERR_OAUTH_INVALID_OPTION',
    message: 'no token endpoint: set the `tokenEndpoint` option or use OAuth2Client.discover()',
  })
})

t.test('a TLS method or bound tokens need a client certificate, checked at construction', async t => {
  const needs = (what: string) =>
    new RegExp(
      `^${what} needs a client certificate: set option \`tls: \\{ cert, key \\}\` \\(or a \`dispatcher\` that presents one\\)$`,
    )
  t.throws(() => new OAuth2Client({ clientId: 'app', tokenEndpointAuthMethod: 'tls_client_auth' }), {
    code: 'ERR_OAUTH_INVALID_OPTION',
    message: needs("'tls_client_auth'"),
  })
  t.throws(
    () =>
      new OAuth2Client({
        clientId: 'app',
        clientSecret: SECRET,
        revocationEndpointAuthMethod: 'self_signed_tls_client_auth',
        tls: { ca: MTLS_KEYS.ca },
      }),
    { message: needs("'self_signed_tls_client_auth'") },
    'a `tls` without cert presents nothing',
  )
  t.throws(() => new OAuth2Client({ clientId: 'app', tlsClientCertificateBoundAccessTokens: true }), {
    message: needs('option `tlsClientCertificateBoundAccessTokens`'),
  })
  t.throws(() => new OAuth2Client({ tlsClientCertificateBoundAccessTokens: 'yes' as never }), {
    code: 'ERR_OAUTH_INVALID_OPTION',
    message: 'option `tlsClientCertificateBoundAccessTokens` must be a boolean, got a string of length 3',
  })
  t.throws(() => new OAuth2Client({ tlsClientCertificateBoundAccessToken: true } as never), {
    message: /did you mean `tlsClientCertificateBoundAccessTokens`\?/,
  })
  // A dispatcher of one's own may present a certificate: it is taken at its word.
  const dispatcher = new Agent({ connect: { cert: MTLS_KEYS.other.cert, key: MTLS_KEYS.other.key } })
  t.teardown(() => dispatcher.close())
  const own = new OAuth2Client({
    clientId: 'app',
    tokenEndpointAuthMethod: 'tls_client_auth',
    tlsClientCertificateBoundAccessTokens: true,
    dispatcher,
  })
  t.match(own, { closed: false })
  await own.close()
  await new OAuth2Client({ clientId: 'app', tlsClientCertificateBoundAccessTokens: false }).close()
})

t.test('the methods: client_id only, registered among the built-ins', async t => {
  const methods = defaultClientAuthMethods()
  for (const name of ['tls_client_auth', 'self_signed_tls_client_auth']) {
    t.ok(isTlsClientAuth(name))
    const request = {
      method: 'POST',
      url: new URL('https://as.test/token'),
      headers: {},
      body: new URLSearchParams(),
    }
    await methods.get(name)!.authenticate(request, { clientId: 'app', clientSecret: SECRET })
    t.equal(request.body.toString(), 'client_id=app', `${name}: client_id alone`)
    t.same(request.headers, {}, `${name}: no header`)
    t.throws(() => methods.get(name)!.authenticate(request, {}), { message: `${name} needs clientId` })
  }
  t.notOk(isTlsClientAuth('client_secret_basic'))
})

t.test('discovered aliases are checked like endpoints; the choice falls back per field', async t => {
  const issuer = 'https://as.example.test'
  const document = (aliases: unknown) => ({
    issuer,
    token_endpoint: `${issuer}/token`,
    mtls_endpoint_aliases: aliases,
  })
  const ok = checkMetadata(document({ token_endpoint: 'https://mtls.as.example.test/token' }), issuer, false)
  t.equal(ok.mtls_endpoint_aliases?.token_endpoint, 'https://mtls.as.example.test/token')
  const invalid: [unknown, RegExp][] = [
    [['https://x'], /mtls_endpoint_aliases must be a JSON object \(RFC 8705 §5\), got object/],
    [null, /mtls_endpoint_aliases must be a JSON object .*got null/],
    ['https://x', /mtls_endpoint_aliases must be a JSON object .*got 'https:\/\/x'/],
    [
      { token_endpoint: 'http://mtls.as.example.test/token' },
      /mtls_endpoint_aliases.token_endpoint must be an https URL, got 'http:/,
    ],
    [
      { revocation_endpoint: 'not a url' },
      /mtls_endpoint_aliases.revocation_endpoint must be an absolute URL/,
    ],
    [{ token_endpoint: 42 }, /mtls_endpoint_aliases.token_endpoint must be an absolute URL, got number/],
  ]
  for (const [aliases, message] of invalid) {
    t.throws(() => checkMetadata(document(aliases), issuer, false), {
      code: 'ERR_OAUTH_INVALID_RESPONSE',
      message,
    })
  }
  // http aliases pass where http endpoints do: loopback under a loopback http issuer.
  const local = 'http://127.0.0.1:9'
  t.ok(
    checkMetadata({ issuer: local, mtls_endpoint_aliases: { token_endpoint: `${local}/t` } }, local, false),
  )

  const metadata = {
    token_endpoint: 'https://as/token',
    revocation_endpoint: 'https://as/revoke',
    mtls_endpoint_aliases: {
      token_endpoint: 'https://mtls/token',
      revocation_endpoint: 7 as unknown as string,
    },
  }
  t.equal(endpointUrl(metadata, 'token_endpoint', true), 'https://mtls/token')
  t.equal(endpointUrl(metadata, 'token_endpoint', false), 'https://as/token')
  t.equal(
    endpointUrl(metadata, 'revocation_endpoint', true),
    'https://as/revoke',
    'a non-URL alias is no alias',
  )
  t.equal(endpointUrl(metadata, 'introspection_endpoint', true), undefined)
  t.equal(endpointUrl({ token_endpoint: 'https://as/token' }, 'token_endpoint', true), 'https://as/token')
})
