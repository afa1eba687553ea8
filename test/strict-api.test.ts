/**
 * Issue 12, "a strict, unsurprising API": mistakes that used to be ignored or to fail later and
 * elsewhere now throw at once, naming the mistake. Token endpoints are a loopback server that
 * records every request, so "nothing was sent" is checked, not assumed.
 */
import { generateKeyPairSync } from 'node:crypto'
import t from 'tap'
import { request } from 'undici'
import { ClientClosedError, InvalidResponseError, OAuthError } from '../lib/errors.js'
import { checkKnownKeys, suggest } from '../lib/http/options.js'
import { OAuth1Client } from '../lib/oauth1/client.js'
import { AssertionClient, type AssertionClientOptions } from '../lib/oauth2/assertion-client.js'
import { OAuth2Client, type OAuth2ClientOptions } from '../lib/oauth2/client.js'
import type { ClientAuthMethod } from '../lib/oauth2/client-auth-method.js'
import { ClientSecretJWT } from '../lib/oauth2/client-secret-jwt.js'
import { PrivateKeyJWT } from '../lib/oauth2/private-key-jwt.js'
import type { OAuth2Token } from '../lib/oauth2/token.js'
import { Session } from '../lib/session.js'
import { startServer } from './fixtures/http-server.js'

interface Call {
  method: string
  path: string
  headers: Record<string, string | string[] | undefined>
  form: URLSearchParams
}

const calls: Call[] = []
let tokenDelay = 0
let issued = 0
const server = await startServer(async (req, res, body) => {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1')
  calls.push({
    method: req.method ?? '',
    path: url.pathname,
    headers: req.headers,
    form: new URLSearchParams(body.toString('utf8')),
  })
  res.setHeader('content-type', 'application/json')
  if (url.pathname === '/token') {
    if (tokenDelay > 0) await new Promise(resolve => setTimeout(resolve, tokenDelay))
    issued++
    res.end(JSON.stringify({ access_token: `at-${issued}`, token_type: 'Bearer', expires_in: 3600 }))
  } else if (url.pathname === '/introspect') {
    res.end(JSON.stringify({ active: true }))
  } else if (url.pathname === '/revoke') {
    res.end('{}')
  } else if (url.pathname === '/resource') {
    res.end(JSON.stringify({ authorization: req.headers.authorization ?? null }))
  } else {
    res.statusCode = 404
    res.setHeader('content-type', 'text/html')
    res.end('<html><body>Not Found</body></html>')
  }
})
t.teardown(() => server.close())

const endpoints = {
  tokenEndpoint: `${server.url}/token`,
  revocationEndpoint: `${server.url}/revoke`,
  introspectionEndpoint: `${server.url}/introspect`,
}

function client(options: OAuth2ClientOptions = {}): OAuth2Client {
  return new OAuth2Client({ clientId: 'cid', clientSecret: 'csecret', ...endpoints, ...options })
}

function callsSince(start: number): Call[] {
  return calls.slice(start)
}

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
const rsaPem = privateKey.export({ format: 'pem', type: 'pkcs8' }) as string

function assertionOptions(): AssertionClientOptions {
  return { tokenEndpoint: `${server.url}/token`, issuer: 'sa@example', key: rsaPem, tokenRetries: 0 }
}

t.test('suggest: snake_case to its camelCase form, else the nearest name within reach', async t => {
  const known = ['clientId', 'tokenEndpoint', 'grantType', 'baseUrl', 'scope']
  t.equal(suggest('client_id', known), 'clientId')
  t.equal(suggest('token_endpoint', known), 'tokenEndpoint')
  t.equal(suggest('baseURL', known), 'baseUrl', 'two edits')
  t.equal(suggest('scopes', known), 'scope')
  t.equal(suggest('grantTypes', known), 'grantType')
  t.equal(suggest('colour', known), undefined, 'nothing close')
  t.equal(suggest('client_name', known), undefined, 'a camelCase form that is not known is no match')
  t.equal(suggest('ab', ['abc', 'a', 'b']), 'abc', 'the first of equally near names')
  t.doesNotThrow(() => checkKnownKeys('thing option', { scope: 1 }, known))
  t.throws(() => checkKnownKeys('thing option', { colour: 1 }, known), {
    name: 'TypeError',
    message: 'unknown thing option `colour` (known: clientId, tokenEndpoint, grantType, baseUrl, scope)',
  })
})

t.test('every constructor refuses unknown option names, suggesting the known one', async t => {
  const cases: [string, () => unknown, string][] = [
    [
      'OAuth2Client, Authlib-style names',
      () =>
        new OAuth2Client({
          client_id: 'cid',
          token_endpoint: endpoints.tokenEndpoint,
          grant_type: 'client_credentials',
        } as OAuth2ClientOptions),
      'unknown OAuth2Client option `client_id`: did you mean `clientId`?',
    ],
    [
      'OAuth2Client, one wrong name among right ones',
      () => client({ grant_type: 'client_credentials' } as OAuth2ClientOptions),
      'unknown OAuth2Client option `grant_type`: did you mean `grantType`?',
    ],
    [
      'Session',
      () => new Session({ baseURL: 'https://api.example/' } as object),
      'unknown Session option `baseURL`: did you mean `baseUrl`?',
    ],
    [
      'AssertionClient',
      () => new AssertionClient({ ...assertionOptions(), scopes: 'a' } as AssertionClientOptions),
      'unknown AssertionClient option `scopes`: did you mean `scope`?',
    ],
    [
      'OAuth1Client',
      () => new OAuth1Client({ clientId: 'ck', signature_method: 'PLAINTEXT' } as never),
      'unknown OAuth1Client option `signature_method`: did you mean `signatureMethod`?',
    ],
    [
      'ClientSecretJWT',
      () => new ClientSecretJWT(endpoints.tokenEndpoint, { expires_in: 30 } as object),
      'unknown ClientSecretJWT option `expires_in`: did you mean `expiresIn`?',
    ],
    [
      'PrivateKeyJWT',
      () => new PrivateKeyJWT(endpoints.tokenEndpoint, { kidd: 'k1' } as object),
      'unknown PrivateKeyJWT option `kidd`: did you mean `kid`?',
    ],
  ]
  for (const [what, construct, message] of cases) t.throws(construct, { name: 'TypeError', message }, what)

  t.throws(
    () => client({ clientid: undefined } as OAuth2ClientOptions),
    /option `clientid`: did you mean/,
    'even when undefined',
  )
  t.throws(
    () => new Session({ colour: 'red' } as object),
    /unknown Session option `colour` \(known: baseUrl, /,
  )
  t.throws(() => new ClientSecretJWT(undefined, null as never), /ClientSecretJWT: options must be an object/)
  class TenantClient extends OAuth2Client {}
  t.throws(() => new TenantClient({ clientSecrets: 'x' } as OAuth2ClientOptions), {
    message: 'unknown TenantClient option `clientSecrets`: did you mean `clientSecret`?',
  })
  t.equal(calls.length, 0, 'nothing was sent')
})

t.test('auth methods: a built-in name or a ClientAuthMethod object, checked at construction', async t => {
  t.throws(() => client({ tokenEndpointAuthMethod: 'client_secret_base' as never }), {
    name: 'TypeError',
    message:
      /`tokenEndpointAuthMethod`: 'client_secret_base' is not a built-in client auth method \(did you mean 'client_secret_basic'\?\)/,
  })
  t.throws(
    () => client({ revocationEndpointAuthMethod: 'api_key' as never }),
    /'api_key' is not a built-in client auth method; for a method of your own, pass the ClientAuthMethod object itself as `revocationEndpointAuthMethod`/,
  )
  t.throws(() => client({ tokenEndpointAuthMethod: { name: 'x' } as never }), {
    message:
      'tokenEndpointAuthMethod: expected an object with a string `name` and an `authenticate` function',
  })
  const apiKey = (header: string): ClientAuthMethod => ({
    name: 'api_key',
    authenticate(request, { clientId }) {
      request.headers['x-api-key'] = `${header}:${clientId}`
    },
  })
  t.throws(
    () => client({ tokenEndpointAuthMethod: apiKey('a'), revocationEndpointAuthMethod: apiKey('b') }),
    /two different methods named 'api_key'/,
  )

  const start = calls.length
  const tokenMethod = apiKey('token')
  await using selected = client({
    tokenEndpointAuthMethod: tokenMethod,
    revocationEndpointAuthMethod: 'client_secret_post',
  })
  await selected.fetchToken()
  await selected.revokeToken()
  const [token, revoke] = callsSince(start)
  t.equal(token?.headers['x-api-key'], 'token:cid', 'the object option is registered and selected at once')
  t.equal(token?.headers.authorization, undefined, 'and nothing else authenticates')
  t.same([revoke?.headers['x-api-key'], revoke?.form.get('client_secret')], [undefined, 'csecret'])

  await using both = client({
    tokenEndpointAuthMethod: tokenMethod,
    revocationEndpointAuthMethod: tokenMethod,
  })
  await both.fetchToken()
  await both.revokeToken()
  t.same(
    callsSince(start + 2).map(call => call.headers['x-api-key']),
    ['token:cid', 'token:cid'],
    'one object may serve both',
  )

  // A JWT method object in one step, where registerClientAuthMethod was a second step before.
  await using jwt = client({
    tokenEndpointAuthMethod: new ClientSecretJWT(endpoints.tokenEndpoint, { alg: 'HS384' }),
  })
  await jwt.fetchToken()
  const assertion = callsSince(start + 4)[0]!.form.get('client_assertion')!
  const header = JSON.parse(Buffer.from(assertion.split('.')[0]!, 'base64url').toString('utf8'))
  t.equal(header.alg, 'HS384')
})

t.test('grantType: an RFC 6749 grant or an absolute URI; a typo throws with a suggestion', async t => {
  t.throws(() => client({ grantType: 'client_credential' as never }), {
    name: 'TypeError',
    message:
      /option `grantType` 'client_credential' is not a grant type: did you mean 'client_credentials'\?/,
  })
  t.throws(
    () => client({ grantType: 'implicit_thing' as never }),
    /is not a grant type \(expected one of authorization_code/,
  )
  t.throws(() => client({ grantType: 42 as never }), /option `grantType` must be one of .*got 42/)
  t.doesNotThrow(() => client({ grantType: 'urn:example:grant:custom' }).close())
  t.throws(
    () => new AssertionClient({ ...assertionOptions(), grantType: 'jwt-bearer' as never }),
    /option `grantType` 'jwt-bearer' is not a grant type/,
  )
})

t.test('an expires_at in milliseconds is refused where the user gives a token', async t => {
  const ms = Date.now() + 3_600_000
  const token = { access_token: 'a', token_type: 'Bearer', expires_at: ms }
  const message = `token.expires_at must be in seconds since the epoch, got ${ms}, which looks like milliseconds: divide it by 1000`
  t.throws(() => client({ token }), { name: 'TypeError', message })
  await using c = client()
  t.throws(
    () => {
      c.token = token
    },
    { name: 'TypeError', message },
  )
  t.throws(() => {
    c.token = { ...token, expires_at: String(ms) } as unknown as OAuth2Token
  }, /looks like milliseconds/)
  t.equal(c.token, undefined)
  c.token = { ...token, expires_at: Math.floor(ms / 1000) }
  t.equal(c.token?.expires_at, Math.floor(ms / 1000), 'seconds are accepted')
})

t.test('createAuthorizationUrl: known names exact, extras only in extraParams', async t => {
  await using c = client({
    redirectUri: 'https://app.example/cb',
    authorizationEndpoint: 'https://as.example/a',
  })
  t.throws(() => c.createAuthorizationUrl(undefined, { scopes: ['a'] } as object), {
    name: 'TypeError',
    message: 'unknown createAuthorizationUrl parameter `scopes`: did you mean `scope`?',
  })
  t.throws(
    () => c.createAuthorizationUrl(undefined, { codeChallangeMethod: 'plain' } as object),
    /unknown createAuthorizationUrl parameter `codeChallangeMethod` \(known: state, codeVerifier, /,
  )
  t.throws(() => c.createAuthorizationUrl(undefined, { extraParams: { state: 'x' } }), {
    message: 'createAuthorizationUrl: extraParams.state is set from `state`, not extraParams',
  })
  t.throws(
    () => c.createAuthorizationUrl(undefined, { extraParams: { client_id: 'other' } }),
    /extraParams.client_id is set from the `clientId` option/,
  )
  t.throws(
    () => c.createAuthorizationUrl(undefined, { extraParams: { max_age: 60 } as never }),
    /extraParams.max_age must be a string or an array of strings/,
  )
  t.throws(
    () => c.createAuthorizationUrl(undefined, { extraParams: 'prompt=login' as never }),
    /`extraParams` must be an object/,
  )
  const { url } = c.createAuthorizationUrl(undefined, {
    extraParams: { prompt: 'login', claims_locales: ['de', 'fr'] },
  })
  const query = new URL(url).searchParams
  t.same([query.get('prompt'), query.getAll('claims_locales')], ['login', ['de', 'fr']])
})

t.test('a responseType token URL asks for the implicit grant, without PKCE', async t => {
  await using c = client({ authorizationEndpoint: 'https://as.example/a' })
  const result = c.createAuthorizationUrl(undefined, { responseType: 'token' })
  const query = new URL(result.url).searchParams
  t.same(
    [query.get('response_type'), query.get('code_challenge'), result.codeVerifier],
    ['token', null, undefined],
  )
  const code = c.createAuthorizationUrl()
  t.type(code.codeVerifier, 'string', 'the code flow gets a verifier')
})

t.test('no endpoint configured: the message names the option to set', async t => {
  await using c = new OAuth2Client({ clientId: 'cid' })
  await t.rejects(c.fetchToken(), {
    name: 'TypeError',
    message: 'no token endpoint: set the `tokenEndpoint` option or use OAuth2Client.discover()',
  })
  c.token = { access_token: 'a', token_type: 'Bearer', refresh_token: 'r', expires_at: 1 }
  await t.rejects(c.refreshToken(), /set the `tokenEndpoint` option/)
})

t.test(
  'an endpoint that answers without OAuth (404) is named by origin and path, never the query',
  async t => {
    const start = calls.length
    await using c = client({ tokenEndpoint: `${server.url}/wrong/token?tenant=secret-tenant` })
    const err = await c.fetchToken().catch((e: unknown) => e)
    t.type(err, InvalidResponseError)
    t.match(err, {
      statusCode: 404,
      message: `token endpoint ${server.url}/wrong/token answered 404: not a success status`,
    })
    t.notMatch((err as Error).message, /secret-tenant/)
    await t.rejects(c.introspectToken(`${server.url}/nowhere`, { token: 't' }), {
      message: `introspection endpoint ${server.url}/nowhere answered 404: not a success status`,
    })
    await using a = new AssertionClient({ ...assertionOptions(), tokenEndpoint: `${server.url}/missing` })
    await t.rejects(a.fetchToken(), {
      name: 'InvalidResponseError',
      message: `token endpoint ${server.url}/missing answered 404: not a success status`,
    })
    t.equal(callsSince(start).length, 3)
  },
)

t.test('refreshToken(undefined, { refreshToken }) needs no stored token', async t => {
  const start = calls.length
  await using c = client()
  const token = await c.refreshToken(undefined, { refreshToken: 'rt-from-storage' })
  const [call] = callsSince(start)
  t.same(Object.fromEntries(call!.form), { grant_type: 'refresh_token', refresh_token: 'rt-from-storage' })
  t.equal(token.refresh_token, 'rt-from-storage', 'kept, as the answer carried none')
  t.equal(c.token, token)
})

t.test(
  "introspectToken() asks about the refresh token by default; tokenPlacement 'body' refuses GET and JSON",
  async t => {
    const start = calls.length
    await using c = client({
      token: { access_token: 'at', token_type: 'Bearer', refresh_token: 'rt' },
      tokenPlacement: 'body',
    })
    await c.introspectToken()
    const [introspection] = callsSince(start)
    t.same(
      [introspection?.form.get('token'), introspection?.form.get('token_type_hint')],
      ['rt', 'refresh_token'],
    )
    await t.rejects(c.get(`${server.url}/resource`), {
      name: 'OAuthError',
      message: /needs a form body.*got GET/,
    })
    await t.rejects(c.post(`${server.url}/resource`, { json: { a: 1 } }), OAuthError)
    const response = await c.post(`${server.url}/resource`, { form: { a: '1' } })
    await response.body.dump()
    const sent = callsSince(start)
    t.equal(sent.length, 2, 'the refused requests were never sent')
    t.equal(sent[1]?.form.get('access_token'), 'at')
  },
)

t.test('a closed client: explicit token calls and the dispatcher reject with ClientClosedError', async t => {
  const c = client({ grantType: 'client_credentials' })
  const assertion = new AssertionClient(assertionOptions())
  const session = new Session()
  await session.close()
  await c.fetchToken()
  c.token = { ...c.token!, refresh_token: 'rt' }
  await c.close()
  await assertion.close()
  const start = calls.length
  const closedCalls: [string, () => Promise<unknown>][] = [
    ['fetchToken', () => c.fetchToken()],
    ['refreshToken', () => c.refreshToken()],
    ['refreshToken with a refresh token', () => c.refreshToken(undefined, { refreshToken: 'r' })],
    ['revokeToken', () => c.revokeToken()],
    ['introspectToken', () => c.introspectToken()],
    ['ensureActiveToken', () => c.ensureActiveToken()],
    [
      'implicit fetchToken',
      () =>
        c.fetchToken(undefined, { authorizationResponse: 'https://app/cb#access_token=a&token_type=Bearer' }),
    ],
    ['AssertionClient.fetchToken', () => assertion.fetchToken()],
    ['AssertionClient.ensureActiveToken', () => assertion.ensureActiveToken()],
    ['request through the dispatcher', () => request(`${server.url}/resource`, { dispatcher: c.dispatcher })],
    [
      'AssertionClient dispatcher',
      () => request(`${server.url}/resource`, { dispatcher: assertion.dispatcher }),
    ],
    [
      'a plain Session dispatcher',
      () => request(`${server.url}/resource`, { dispatcher: session.dispatcher }),
    ],
    ['fetch', () => c.fetch(`${server.url}/resource`)],
  ]
  for (const [what, call] of closedCalls) await t.rejects(call(), ClientClosedError, what)
  t.equal(callsSince(start).length, 0, 'nothing was sent')
})

t.test('close() still lets a request waiting for its token finish', async t => {
  const c = client({ grantType: 'client_credentials' })
  tokenDelay = 150
  t.teardown(() => {
    tokenDelay = 0
  })
  const pending = c.get(`${server.url}/resource`)
  await new Promise(resolve => setTimeout(resolve, 30))
  const closing = c.close()
  const response = await pending
  const body = (await response.body.json()) as { authorization: string }
  t.match(body.authorization, /^Bearer at-/)
  await closing
  t.equal(c.closed, true)
})
