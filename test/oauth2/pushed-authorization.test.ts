/**
 * Pushed authorization requests (RFC 9126) and signed request objects (JAR, RFC 9101): end to end
 * against the real oidc-provider (PAR required by the server, and by one client), a tampered
 * request object refused by it; the wire and the error paths against a scripted loopback server.
 */
import { generateKeyPairSync } from 'node:crypto'
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose'
import t from 'tap'
import { request } from 'undici'
import { ClientClosedError, InvalidResponseError } from '../../lib/errors.js'
import { OAuth2Client, type OAuth2ClientOptions } from '../../lib/oauth2/client.js'
import { startServer } from '../fixtures/http-server.js'
import { oauthError } from '../fixtures/match.js'
import {
  CLIENT_PRIVATE_JWK,
  CLIENT_PUBLIC_JWK,
  type ClientMetadata,
  DEFAULT_CLIENTS,
  REDIRECT_URI,
  SCOPES,
  startProvider,
  startResource,
} from '../fixtures/provider.js'

/** A confidential client that signs its request objects with CLIENT_PRIVATE_JWK. */
const JAR_CLIENT = {
  client_id: 'jar-client',
  client_secret: 'jar-secret',
  token_endpoint_auth_method: 'client_secret_basic',
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  redirect_uris: [REDIRECT_URI],
  scope: SCOPES.join(' '),
  jwks: { keys: [CLIENT_PUBLIC_JWK] },
} satisfies ClientMetadata
/** The same, but this client alone must push (RFC 9126 §6 client metadata). */
const PAR_ONLY_CLIENT = {
  ...JAR_CLIENT,
  client_id: 'par-only-client',
  require_pushed_authorization_requests: true,
} satisfies ClientMetadata

// One server requires PAR of every client (its metadata says so); the other of one client only.
const required = await startProvider({ requirePushedAuthorizationRequests: true, requestObjects: true })
const perClient = await startProvider({ requestObjects: true, extraClients: [JAR_CLIENT, PAR_ONLY_CLIENT] })
const rs = await startResource(required.provider)
const perClientRs = await startResource(perClient.provider)
t.teardown(async () => {
  await rs.close()
  await perClientRs.close()
  await required.close()
  await perClient.close()
})

const basic = DEFAULT_CLIENTS.basic
const pub = DEFAULT_CLIENTS.public

async function discovered(issuer: string, options: OAuth2ClientOptions): Promise<OAuth2Client> {
  const client = await OAuth2Client.discover(issuer, {
    redirectUri: REDIRECT_URI,
    scope: 'openid api:read',
    ...options,
  })
  t.teardown(() => client.close())
  return client
}

/** The query of an authorization URL as name -> values. */
function queryOf(url: string): Record<string, string[]> {
  const params = new URL(url).searchParams
  return Object.fromEntries([...new Set(params.keys())].map(name => [name, params.getAll(name)]))
}

t.test('PAR required by the server: the plain URL throws, the pushed one works end to end', async t => {
  t.equal(required.counters.total(), 0)
  const client = await discovered(required.issuer, {
    clientId: basic.client_id,
    clientSecret: basic.client_secret,
  })
  t.equal(client.metadata.require_pushed_authorization_requests, true, 'the metadata says so')
  t.throws(() => client.createAuthorizationUrl(), {
    name: 'TypeError',
    code: 'ERR_OAUTH_INVALID_ARGUMENT',
    message: /requires pushed authorization requests.*pushAuthorizationRequest/,
  })
  await t.rejects(client.createSignedAuthorizationUrl(), {
    code: 'ERR_OAUTH_INVALID_ARGUMENT',
    message: /^createSignedAuthorizationUrl: the server requires pushed/,
  })

  const pushed = await client.pushAuthorizationRequest()
  t.same(
    Object.keys(queryOf(pushed.url)).sort(),
    ['client_id', 'request_uri'],
    'only client_id and request_uri',
  )
  t.equal(queryOf(pushed.url)['client_id']?.[0], basic.client_id)
  t.match(queryOf(pushed.url)['request_uri']?.[0], /^urn:ietf:params:oauth:request_uri:/)
  t.ok(pushed.url.startsWith(`${required.urls.authorization}?`), 'on the authorization endpoint')
  t.ok(pushed.expiresIn > 0, 'expires_in read')
  t.type(pushed.codeVerifier, 'string', 'PKCE by default')
  t.type(pushed.nonce, 'string', 'openid scope: a nonce')

  const callback = await required.driveAuthorization(pushed.url)
  const token = await client.fetchToken(undefined, {
    authorizationResponse: callback,
    state: pushed.state,
    codeVerifier: pushed.codeVerifier,
    nonce: pushed.nonce,
  })
  t.type(token.access_token, 'string')
  const { statusCode, body } = await client.get(`${rs.url}/data`)
  t.equal(statusCode, 200, 'the resource accepts the token')
  t.match(await body.json(), { ok: true, client: basic.client_id, sub: 'alice' })
})

t.test('a public client pushes with PKCE: the pushed code_challenge binds the code', async t => {
  const client = await discovered(required.issuer, { clientId: pub.client_id })
  const first = await client.pushAuthorizationRequest({ scope: 'api:read' })
  t.equal(first.nonce, undefined, 'no openid scope: no nonce')
  const callback = await required.driveAuthorization(first.url)
  // Another verifier than the one pushed: the server refuses the code (RFC 7636 §4.6).
  await t.rejects(
    client.fetchToken(undefined, {
      authorizationResponse: callback,
      state: first.state,
      codeVerifier: 'x'.repeat(43),
    }),
    oauthError('invalid_grant'),
  )
  const second = await client.pushAuthorizationRequest({ scope: 'api:read' })
  const token = await client.fetchToken(undefined, {
    authorizationResponse: await required.driveAuthorization(second.url),
    state: second.state,
    codeVerifier: second.codeVerifier,
  })
  t.equal(token.scope, 'api:read')
})

t.test('PAR required by one client: its pushed, signed request works; its plain URL is refused', async t => {
  const client = await discovered(perClient.issuer, {
    clientId: PAR_ONLY_CLIENT.client_id,
    clientSecret: PAR_ONLY_CLIENT.client_secret,
    requestObject: { key: CLIENT_PRIVATE_JWK },
  })
  t.not(client.metadata.require_pushed_authorization_requests, true, 'the server does not require it')
  const plain = await client.createSignedAuthorizationUrl()
  t.match(
    await perClient.driveAuthorization(plain.url),
    /error=invalid_request.*Pushed\+Authorization\+Request/,
  )

  const pushed = await client.pushAuthorizationRequest()
  const token = await client.fetchToken(undefined, {
    authorizationResponse: await perClient.driveAuthorization(pushed.url),
    state: pushed.state,
    codeVerifier: pushed.codeVerifier,
    nonce: pushed.nonce,
  })
  const { statusCode } = await client.get(`${perClientRs.url}/data`)
  t.equal(statusCode, 200, 'the resource accepts the token')
  t.type(token.id_token, 'string')
})

t.test('JAR in the plain URL: only client_id and request; the provider accepts it', async t => {
  const client = await discovered(perClient.issuer, {
    clientId: JAR_CLIENT.client_id,
    clientSecret: JAR_CLIENT.client_secret,
    requestObject: { key: CLIENT_PRIVATE_JWK, alg: 'PS256' },
  })
  t.throws(() => client.createAuthorizationUrl(), { message: /createSignedAuthorizationUrl/ })
  const signed = await client.createSignedAuthorizationUrl(undefined, {
    resource: ['https://a.example/', 'https://b.example/'],
  })
  const query = queryOf(signed.url)
  t.same(Object.keys(query).sort(), ['client_id', 'request'])
  const jwt = query['request']![0]!
  t.match(decodeProtectedHeader(jwt), {
    typ: 'oauth-authz-req+jwt',
    alg: 'PS256',
    kid: CLIENT_PRIVATE_JWK.kid,
  })
  const { payload } = await jwtVerify(jwt, createLocalJWKSet({ keys: [CLIENT_PUBLIC_JWK] }), {
    issuer: JAR_CLIENT.client_id,
    audience: perClient.issuer,
  })
  t.match(payload, {
    client_id: JAR_CLIENT.client_id,
    response_type: 'code',
    redirect_uri: REDIRECT_URI,
    scope: 'openid api:read',
    state: signed.state,
    nonce: signed.nonce,
    code_challenge_method: 'S256',
    resource: ['https://a.example/', 'https://b.example/'],
  })
  t.ok((payload.exp ?? 0) > (payload.iat ?? Infinity), 'exp after iat')
  t.type(payload.jti, 'string')

  // Without the resources (this provider knows no such audience), end to end.
  const plain = await client.createSignedAuthorizationUrl()
  const token = await client.fetchToken(undefined, {
    authorizationResponse: await perClient.driveAuthorization(plain.url),
    state: plain.state,
    codeVerifier: plain.codeVerifier,
    nonce: plain.nonce,
  })
  t.type(token.access_token, 'string')
})

t.test('a tampered request object is refused by the provider, the genuine one accepted', async t => {
  const client = await discovered(perClient.issuer, {
    clientId: JAR_CLIENT.client_id,
    clientSecret: JAR_CLIENT.client_secret,
    requestObject: { key: CLIENT_PRIVATE_JWK },
  })
  const jwt = queryOf((await client.createSignedAuthorizationUrl()).url)['request']![0]!
  const [header, payload, signature] = jwt.split('.')
  const claims = decodeJwt(jwt)
  const forged = Buffer.from(JSON.stringify({ ...claims, scope: 'openid api:read api:write' })).toString(
    'base64url',
  )
  t.not(forged, payload)
  const tampered = `${header}.${forged}.${signature}`
  const push = (requestObject: string) =>
    request(perClient.urls.pushedAuthorization, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${JAR_CLIENT.client_id}:${JAR_CLIENT.client_secret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ client_id: JAR_CLIENT.client_id, request: requestObject }).toString(),
    })
  const refused = await push(tampered)
  t.equal(refused.statusCode, 400)
  t.match(await refused.body.json(), { error: 'invalid_request_object' })
  const accepted = await push(jwt)
  t.equal(accepted.statusCode, 201, 'the untampered object, pushed the same way, is accepted')
  await accepted.body.dump()
  // The tampered object in a plain URL: the provider refuses it at the authorization endpoint.
  const url = new URL(perClient.urls.authorization)
  url.search = new URLSearchParams({ client_id: JAR_CLIENT.client_id, request: tampered }).toString()
  t.match(await perClient.driveAuthorization(url), /error=invalid_request_object/)
})

t.test('scripted server: the pushed request on the wire, and its answers', async t => {
  let answer: { status: number; body: unknown } = {
    status: 201,
    body: { request_uri: 'urn:example:1', expires_in: 90 },
  }
  const seen: { authorization?: string | undefined; body: URLSearchParams }[] = []
  const server = await startServer((req, res, body) => {
    seen.push({ authorization: req.headers.authorization, body: new URLSearchParams(body.toString()) })
    res.writeHead(answer.status, { 'content-type': 'application/json' })
    res.end(JSON.stringify(answer.body))
  })
  t.teardown(() => server.close())
  const metadata = {
    issuer: server.url,
    authorization_endpoint: `${server.url}/authorize?tenant=x`,
    pushed_authorization_request_endpoint: `${server.url}/par`,
  }
  const client = new OAuth2Client({ clientId: 'c1', clientSecret: 's1', redirectUri: REDIRECT_URI, metadata })
  t.teardown(() => client.close())

  const pushed = await client.pushAuthorizationRequest({ state: 'st', extraParams: { prompt: 'login' } })
  t.equal(pushed.url, `${server.url}/authorize?tenant=x&client_id=c1&request_uri=urn%3Aexample%3A1`)
  t.same({ state: pushed.state, expiresIn: pushed.expiresIn }, { state: 'st', expiresIn: 90 })
  const sent = seen.at(-1)!
  t.equal(sent.authorization, `Basic ${Buffer.from('c1:s1').toString('base64')}`, 'client-authenticated')
  t.match(Object.fromEntries(sent.body), {
    response_type: 'code',
    client_id: 'c1',
    redirect_uri: REDIRECT_URI,
    state: 'st',
    prompt: 'login',
    code_challenge_method: 'S256',
  })

  answer = { status: 400, body: { error: 'invalid_request', error_description: 'bad redirect' } }
  await t.rejects(
    client.pushAuthorizationRequest(),
    oauthError('invalid_request', { code: 'ERR_OAUTH', description: 'bad redirect', statusCode: 400 }),
  )
  for (const body of [
    { expires_in: 60 },
    { request_uri: '', expires_in: 60 },
    { request_uri: 'urn:x' },
    { request_uri: 'urn:x', expires_in: 0 },
    { request_uri: 'urn:x', expires_in: '60' },
  ]) {
    answer = { status: 201, body }
    await t.rejects(client.pushAuthorizationRequest(), InvalidResponseError, JSON.stringify(body))
  }
  answer = { status: 201, body: ['not', 'an', 'object'] }
  await t.rejects(client.pushAuthorizationRequest(), InvalidResponseError)
  await t.rejects(
    client.pushAuthorizationRequest({ stat: 'x' } as never),
    { name: 'TypeError', message: /unknown pushAuthorizationRequest parameter `stat`: did you mean `state`/ },
    'unknown parameter, with a suggestion',
  )
  await t.rejects(client.pushAuthorizationRequest({ extraParams: { state: 'x' } }), {
    message: /pushAuthorizationRequest: extraParams.state is set from `state`/,
  })
  const aborted = new AbortController()
  aborted.abort()
  await t.rejects(client.pushAuthorizationRequest({}, { signal: aborted.signal }), { name: 'AbortError' })
})

t.test('misuse: no endpoint, a closed client, requestObject without issuer or with a bad key', async t => {
  const noEndpoint = new OAuth2Client({ clientId: 'c1', authorizationEndpoint: 'https://as.example/auth' })
  await t.rejects(noEndpoint.pushAuthorizationRequest(), {
    code: 'ERR_OAUTH_INVALID_OPTION',
    message: /no pushed authorization request endpoint: set the `pushedAuthorizationRequestEndpoint` option/,
  })
  await noEndpoint.close()
  await t.rejects(noEndpoint.pushAuthorizationRequest(), ClientClosedError)

  const noIssuer = new OAuth2Client({
    clientId: 'c1',
    authorizationEndpoint: 'https://as.example/auth',
    requestObject: { key: CLIENT_PRIVATE_JWK },
  })
  t.teardown(() => noIssuer.close())
  await t.rejects(noIssuer.createSignedAuthorizationUrl(), {
    code: 'ERR_OAUTH_INVALID_ARGUMENT',
    message: /audience is the server's issuer/,
  })
  const noClientId = new OAuth2Client({
    metadata: { issuer: 'https://as.example', authorization_endpoint: 'https://as.example/auth' },
    requestObject: { key: CLIENT_PRIVATE_JWK },
  })
  t.teardown(() => noClientId.close())
  await t.rejects(noClientId.createSignedAuthorizationUrl(), { message: /needs the clientId option/ })

  const { privateKey: ecKey, publicKey: ecPublic } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const ecClient = new OAuth2Client({
    clientId: 'c1',
    metadata: { issuer: 'https://as.example', authorization_endpoint: 'https://as.example/auth' },
    requestObject: { key: ecKey, alg: 'ES256', kid: 'ec-1' },
  })
  t.teardown(() => ecClient.close())
  const jwt = queryOf((await ecClient.createSignedAuthorizationUrl()).url)['request']![0]!
  t.match(decodeProtectedHeader(jwt), { alg: 'ES256', kid: 'ec-1' })
  t.ok(await jwtVerify(jwt, ecPublic, { audience: 'https://as.example', issuer: 'c1' }))

  const bad: [unknown, RegExp][] = [
    [null, /option `requestObject` must be an object/],
    ['pem', /option `requestObject` must be an object/],
    [{}, /option `requestObject.key` must be a private key/],
    [{ key: CLIENT_PRIVATE_JWK, algo: 'RS256' }, /requestObject option.*algo/],
    [{ key: CLIENT_PRIVATE_JWK, alg: 'HS256' }, /option `requestObject.alg` must be one of/],
    [{ key: ecKey, alg: 'RS256' }, /RS256 needs an RSA key/],
    [{ key: ecPublic }, /requestObject needs a private key: a public key was given/],
    [{ key: CLIENT_PRIVATE_JWK, kid: 7 }, /option `requestObject.kid` must be a string/],
  ]
  for (const [requestObject, message] of bad) {
    t.throws(
      () => new OAuth2Client({ clientId: 'c1', requestObject } as OAuth2ClientOptions),
      { name: 'TypeError', code: 'ERR_OAUTH_INVALID_OPTION', message },
      String(message),
    )
  }
  const plain = new OAuth2Client({ clientId: 'c1', authorizationEndpoint: 'https://as.example/auth' })
  t.teardown(() => plain.close())
  await t.rejects(plain.createSignedAuthorizationUrl(), { message: /set the requestObject option/ })
})
