/**
 * OAuth2Client against scripted loopback endpoints: failure handling of the shared refresh,
 * compliance hooks, authorization responses, error bodies, client authentication encoding, and
 * secret hygiene. (The happy paths run against the real oidc-provider in test/oauth2/provider.test.ts.)
 */
import type { ServerResponse } from 'node:http'
import { inspect } from 'node:util'
import t from 'tap'
import {
  InvalidResponseError,
  MismatchingStateError,
  MissingTokenError,
  OAuthError,
  TokenExpiredError,
} from '../../lib/errors.js'
import { OAuth2Client, type OAuth2ClientOptions } from '../../lib/oauth2/client.js'
import type { ClientAuthMethod } from '../../lib/oauth2/client-auth-method.js'
import { createCodeChallenge, generateCodeVerifier, generateToken } from '../../lib/oauth2/pkce.js'
import type { OAuth2Token } from '../../lib/oauth2/token.js'
import { startServer } from '../fixtures/http-server.js'
import { oauthError } from '../fixtures/match.js'

const SECRET = 'sup3r-s3cret-value'
const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers })
  res.end(JSON.stringify(body))
}
const past = () => Math.floor(Date.now() / 1000) - 10
let issued = 0
const freshToken = (extra: Record<string, unknown> = {}) => ({
  access_token: `at-${++issued}`,
  token_type: 'Bearer',
  expires_in: 3600,
  ...extra,
})

interface Seen {
  path: string
  headers: Record<string, string | string[] | undefined>
  form: URLSearchParams
  query: URLSearchParams
}

/** A scripted OAuth server: `script[path]` answers each request; every request is recorded. */
async function scripted(script: Record<string, (res: ServerResponse, seen: Seen) => unknown>) {
  const seen: Seen[] = []
  const server = await startServer((req, res, body) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    const entry = {
      path: url.pathname,
      headers: req.headers,
      form: new URLSearchParams(body.toString()),
      query: url.searchParams,
    }
    seen.push(entry)
    const handler = script[url.pathname]
    if (handler === undefined) return json(res, 404, { error: 'not_found' })
    return handler(res, entry)
  })
  t.teardown(server.close)
  const calls = (path: string) => seen.filter(s => s.path === path)
  return { server, seen, calls, url: (path: string) => `${server.url}${path}` }
}

const resourceOk = (res: ServerResponse, seen: Seen) =>
  json(res, 200, { authorization: seen.headers.authorization ?? null })

function makeClient(base: string, options: OAuth2ClientOptions = {}): OAuth2Client {
  return new OAuth2Client({
    clientId: 'client-1',
    clientSecret: SECRET,
    tokenEndpoint: `${base}/token`,
    revocationEndpoint: `${base}/revoke`,
    introspectionEndpoint: `${base}/introspect`,
    ...options,
  })
}

t.test(
  'a refresh that fails once with 503 rejects every waiter with the same error; the next one succeeds',
  async t => {
    let failNext = true
    const api = await scripted({
      '/token': res => {
        if (failNext) {
          failNext = false
          res.writeHead(503, { 'content-type': 'text/plain' })
          return res.end('busy')
        }
        json(res, 200, freshToken({ refresh_token: 'rt-2' }))
      },
      '/resource': resourceOk,
    })
    await using client = makeClient(api.server.url, {
      token: { access_token: 'old', token_type: 'Bearer', expires_at: past(), refresh_token: 'rt-1' },
    })
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, () => client.get(api.url('/resource'))),
    )
    const errors = results.map(r => (r.status === 'rejected' ? r.reason : undefined))
    t.ok(
      errors.every(e => e instanceof InvalidResponseError && e.statusCode === 503),
      'typed error with statusCode 503',
    )
    t.ok(
      errors.every(e => e === errors[0]),
      'the very same error for every waiter',
    )
    t.equal(api.calls('/token').length, 1, 'one token call')
    const { statusCode, body } = await client.get(api.url('/resource'))
    t.equal(statusCode, 200)
    t.match(await body.json(), { authorization: /^Bearer at-/ })
    t.equal(api.calls('/token').length, 2)
    t.equal(
      api.calls('/token')[1]!.form.get('refresh_token'),
      'rt-1',
      'the failed attempt did not lose the refresh token',
    )
  },
)

t.test('a token endpoint that never answers: every waiter rejects within the deadline', async t => {
  const api = await scripted({ '/token': () => {}, '/resource': resourceOk })
  await using client = makeClient(api.server.url, {
    timeout: 400,
    token: { access_token: 'old', token_type: 'Bearer', expires_at: past(), refresh_token: 'rt-1' },
  })
  const started = Date.now()
  const results = await Promise.allSettled(Array.from({ length: 20 }, () => client.get(api.url('/resource'))))
  const elapsed = Date.now() - started
  t.ok(
    results.every(r => r.status === 'rejected'),
    'all rejected',
  )
  t.ok(elapsed < 1_400, `within the deadline (+1 s): ${elapsed} ms`)
  const stalled = await client.refreshToken().catch((e: unknown) => e)
  t.match(
    stalled,
    { name: 'RequestTimeoutError', message: /did not complete within 400 ms/ },
    "the refresh's own deadline aborts the token request",
  )
})

t.test("a caller's signal abandons its wait without cancelling the shared refresh", async t => {
  let release: () => void = () => {}
  // The refresh is in flight once its request has arrived (a fixed delay is too short under load).
  let arrived: () => void = () => {}
  const refreshInFlight = new Promise<void>(resolve => {
    arrived = resolve
  })
  const api = await scripted({
    '/token': res => {
      release = () => json(res, 200, freshToken())
      arrived()
    },
    '/resource': resourceOk,
  })
  await using client = makeClient(api.server.url, {
    token: { access_token: 'old', token_type: 'Bearer', expires_at: past(), refresh_token: 'rt-1' },
  })
  const controller = new AbortController()
  const abandoned = client.get(api.url('/resource'), { signal: controller.signal })
  const patient = client.get(api.url('/resource'))
  await refreshInFlight
  controller.abort(new Error('gave up'))
  await t.rejects(abandoned, /gave up/)
  release()
  const { statusCode, body } = await patient
  await body.dump()
  t.equal(statusCode, 200, 'the shared refresh finished for the caller that stayed')
  t.equal(api.calls('/token').length, 1)
  const gone = AbortSignal.abort(new Error('already gone'))
  await t.rejects(client.refreshToken(undefined, { signal: gone }), /already gone/)
  client.token = { ...client.token!, expires_at: past() }
  await t.rejects(client.ensureActiveToken(gone), /already gone/)
  t.equal(api.calls('/token').length, 1, 'a caller that gave up before asking starts no token call')
})

t.test('renewal rules: missing token, expired token, leeway, updateToken failures', async t => {
  const api = await scripted({ '/token': res => json(res, 200, freshToken()), '/resource': resourceOk })
  await using none = makeClient(api.server.url)
  await t.rejects(none.get(api.url('/resource')), MissingTokenError)
  await using expired = makeClient(api.server.url, {
    token: { access_token: 'x', token_type: 'Bearer', expires_at: past() },
  })
  await t.rejects(expired.get(api.url('/resource')), TokenExpiredError)
  await t.rejects(expired.refreshToken(), MissingTokenError, 'no refresh_token to refresh with')
  // A 30-second token with the default 60-second leeway is renewed at half its life, not on every request.
  await using short = makeClient(api.server.url, {
    token: { access_token: 'short', token_type: 'Bearer', expires_in: 30 },
  })
  const { body } = await short.get(api.url('/resource'))
  t.same(await body.json(), { authorization: 'Bearer short' })
  t.equal(api.calls('/token').length, 0)

  const failure = new Error('database down')
  await using failing = makeClient(api.server.url, {
    grantType: 'client_credentials',
    updateToken: () => Promise.reject(failure),
  })
  await t.rejects(failing.get(api.url('/resource')), failure, "updateToken's failure reaches the waiters")
  t.ok(failing.token, 'the new token is kept in memory (the old refresh token may be rotated out)')
  const again = await failing.get(api.url('/resource'))
  await again.body.dump()
  t.equal(again.statusCode, 200)
})

t.test('compliance hooks: each is called with its shape and its result is used', async t => {
  const api = await scripted({
    '/token': (res, seen) => {
      if (seen.form.get('grant_type') === 'refresh_token') {
        return json(res, 200, { access_token: 'refreshed', expires_in: 60, hooked: seen.form.get('hooked') })
      }
      res.writeHead(200, { 'content-type': 'application/x-www-form-urlencoded' })
      res.end('access_token=from-form&token_type=bearer&expires_in=3600&refresh_token=rt-form')
    },
    '/revoke': res => res.writeHead(200).end(),
    '/introspect-v2': res => json(res, 200, { active: true }),
    '/resource': (res, seen) =>
      json(res, 200, { site: seen.query.get('site'), authorization: seen.headers.authorization }),
  })
  await using client = makeClient(api.server.url)
  const calls: string[] = []
  client.registerComplianceHook('access_token_response', response => {
    calls.push('access_token_response')
    t.same(Object.keys(response).sort(), ['body', 'headers', 'statusCode'])
    t.equal(response.headers['content-type'], 'application/x-www-form-urlencoded')
    const fields = Object.fromEntries(new URLSearchParams(response.body))
    return { ...response, body: JSON.stringify({ ...fields, expires_in: Number(fields.expires_in) }) }
  })
  client.registerComplianceHook('refresh_token_request', request => {
    calls.push('refresh_token_request')
    t.same(Object.keys(request).sort(), ['body', 'headers', 'url'])
    t.match(request.body, /grant_type=refresh_token/)
    return { ...request, body: `${request.body}&hooked=yes` }
  })
  client.registerComplianceHook('refresh_token_response', response => {
    calls.push('refresh_token_response')
    const fields = JSON.parse(response.body) as Record<string, unknown>
    return { ...response, body: JSON.stringify({ ...fields, token_type: 'Bearer' }) }
  })
  client.registerComplianceHook('revoke_token_request', request => {
    calls.push('revoke_token_request')
    return { ...request, headers: { ...request.headers, 'x-revoke': 'hooked' } }
  })
  client.registerComplianceHook('introspect_token_request', request => {
    calls.push('introspect_token_request')
    return { ...request, url: request.url.replace('/introspect', '/introspect-v2') }
  })
  client.registerComplianceHook('protected_request', async request => {
    calls.push('protected_request')
    const url = new URL(request.url)
    url.searchParams.set('site', 'stackoverflow')
    return { ...request, url: url.href }
  })
  const token = await client.fetchToken()
  t.same([token.access_token, token.token_type, token.expires_in], ['from-form', 'bearer', 3600])
  const refreshed = await client.refreshToken()
  t.same([refreshed.access_token, refreshed.token_type, refreshed.hooked], ['refreshed', 'Bearer', 'yes'])
  await client.revokeToken()
  t.equal(api.calls('/revoke')[0]!.headers['x-revoke'], 'hooked')
  t.same(await client.introspectToken(), { active: true })
  const { body } = await client.get(api.url('/resource'))
  t.same(await body.json(), { site: 'stackoverflow', authorization: 'Bearer refreshed' })
  t.same(calls, [
    'access_token_response',
    'refresh_token_request',
    'refresh_token_response',
    'revoke_token_request',
    'introspect_token_request',
    'protected_request',
  ])
  t.throws(
    () => client.registerComplianceHook('no_such_hook' as 'protected_request', r => r),
    /unknown compliance hook 'no_such_hook'/,
  )
  t.throws(() => client.registerComplianceHook('protected_request', 'x' as never), /must be a function/)
  client.registerComplianceHook('access_token_response', () => null as never)
  await t.rejects(client.fetchToken(), /must return an object, got null/)
})

t.test('authorization responses: state mismatch, error redirect, implicit fragment', async t => {
  const api = await scripted({
    '/token': (res, seen) => json(res, 200, freshToken({ code: seen.form.get('code') })),
  })
  await using client = makeClient(api.server.url, { redirectUri: 'https://app.test/cb' })
  await t.rejects(
    client.fetchToken(undefined, {
      authorizationResponse: 'https://app.test/cb?code=c1&state=other',
      state: 'expected',
    }),
    MismatchingStateError,
  )
  await t.rejects(
    client.fetchToken(undefined, { authorizationResponse: 'https://app.test/cb?code=c1', state: 'expected' }),
    MismatchingStateError,
    'a missing state is a mismatch',
  )
  const denied = await client
    .fetchToken(undefined, {
      authorizationResponse: 'https://app.test/cb?error=access_denied&error_description=user+said+no&state=s',
      state: 's',
    })
    .catch((e: unknown) => e)
  t.ok(denied instanceof OAuthError)
  t.match(denied, { error: 'access_denied', description: 'user said no' })
  await t.rejects(
    client.fetchToken(undefined, { authorizationResponse: 'https://app.test/cb#error=access_denied' }),
    oauthError('access_denied'),
    'an error in the fragment too',
  )
  await t.rejects(
    client.fetchToken(undefined, { authorizationResponse: 'https://app.test/cb?state=s', state: 's' }),
    /neither code nor error/,
  )
  await t.rejects(
    client.fetchToken(undefined, { authorizationResponse: 'not a url' }),
    oauthError('invalid_request'),
  )
  const implicit = await client.fetchToken(undefined, {
    authorizationResponse: 'https://app.test/cb#access_token=imp&token_type=Bearer&expires_in=120&state=s',
    state: 's',
  })
  t.equal(implicit.access_token, 'imp')
  t.equal(implicit.state, undefined, 'state is not part of the token')
  t.ok(implicit.expires_at! > Date.now() / 1000)
  t.equal(client.token, implicit)
  t.equal(api.calls('/token').length, 0, 'the implicit flow makes no request')
  await t.rejects(
    client.fetchToken(undefined, { authorizationResponse: 'https://app.test/cb#access_token=imp' }),
    InvalidResponseError,
    'token_type is required',
  )
  const code = await client.fetchToken(undefined, {
    authorizationResponse: 'https://app.test/cb?code=c9&state=s',
    state: 's',
    codeVerifier: 'v'.repeat(43),
  })
  t.equal(code.code, 'c9')
  const form = api.calls('/token')[0]!.form
  t.same(Object.fromEntries(form), {
    grant_type: 'authorization_code',
    code: 'c9',
    redirect_uri: 'https://app.test/cb',
    code_verifier: 'v'.repeat(43),
  })
})

t.test('error bodies become typed errors without secrets; huge bodies are not buffered', async t => {
  let bytesSent = 0
  let finished = false
  const api = await scripted({
    '/client': res =>
      json(res, 401, { error: 'invalid_client', error_description: 'Client authentication failed' }),
    '/html': res => {
      res.writeHead(500, { 'content-type': 'text/html' })
      res.end(`<html><body><h1>Internal Server Error</h1><p>secret was ${SECRET}</p></body></html>`)
    },
    '/ok-error': res => json(res, 200, { error: 'slow_down' }),
    '/huge': res => {
      res.writeHead(200, { 'content-type': 'application/json' })
      const chunk = Buffer.alloc(64 * 1024, 0x20)
      let left = 80 // 5 MiB
      const pump = () => {
        while (left > 0 && !res.destroyed) {
          left--
          bytesSent += chunk.length
          if (!res.write(chunk)) return void res.once('drain', pump)
        }
        if (left === 0) {
          finished = true
          res.end()
        }
      }
      pump()
    },
    '/types': res => json(res, 200, { access_token: 42, token_type: 'Bearer' }),
    '/no-type': res => json(res, 200, { access_token: 'x' }),
    '/expires': res => json(res, 200, { access_token: 'x', token_type: 'bearer', expires_in: { nope: 1 } }),
    '/string-expiry': res => json(res, 200, { access_token: 'x', token_type: 'bearer', expires_in: '3600' }),
    '/array': res => json(res, 200, [1, 2]),
  })
  await using client = makeClient(api.server.url)
  const invalidClient = await client.fetchToken(api.url('/client')).catch((e: OAuthError) => e)
  t.ok(invalidClient instanceof OAuthError)
  t.match(invalidClient, {
    error: 'invalid_client',
    description: 'Client authentication failed',
    statusCode: 401,
  })

  const html = (await client.fetchToken(api.url('/html')).catch((e: unknown) => e)) as InvalidResponseError
  t.ok(html instanceof InvalidResponseError)
  t.equal(html.statusCode, 500)
  t.match(html.excerpt, /Internal Server Error/)
  t.notOk(`${html.message} ${html.excerpt} ${inspect(html)}`.includes(SECRET), 'no secret in the excerpt')

  await t.rejects(
    client.fetchToken(api.url('/ok-error')),
    oauthError('slow_down', { statusCode: 200 }),
    'a 200 carrying error',
  )

  const huge = (await client.fetchToken(api.url('/huge')).catch((e: unknown) => e)) as InvalidResponseError
  t.ok(huge instanceof InvalidResponseError)
  t.match(huge.message, /exceeds 1048576 bytes/)
  await new Promise(resolve => setTimeout(resolve, 100))
  t.notOk(finished, 'the server never got to send all 5 MiB')
  t.ok(bytesSent < 5 * 1024 * 1024, `${bytesSent} bytes were sent before the client hung up`)

  await t.rejects(client.fetchToken(api.url('/types')), {
    name: 'InvalidResponseError',
    message: /access_token is missing or not a string/,
  })
  await t.rejects(client.fetchToken(api.url('/no-type')), {
    name: 'InvalidResponseError',
    message: /token_type/,
  })
  await t.rejects(client.fetchToken(api.url('/expires')), {
    name: 'InvalidResponseError',
    message: /expires_in is not a number/,
  })
  await t.rejects(client.fetchToken(api.url('/array')), {
    name: 'InvalidResponseError',
    message: /not a JSON object/,
  })
  const quoted = await client.fetchToken(api.url('/string-expiry'))
  t.equal(quoted.expires_in, 3600, 'a numeric string expires_in is read as a number')
  await t.rejects(client.fetchToken(api.url('/missing')), { name: 'OAuthError', statusCode: 404 })
})

t.test(
  'client authentication: basic encodes per RFC 6749 App. B; post, none, custom, unregistered',
  async t => {
    const api = await scripted({ '/token': res => json(res, 200, freshToken()) })
    const id = 'client:id é'
    const secret = 'p@ss word+/='
    await using basic = makeClient(api.server.url, { clientId: id, clientSecret: secret, scope: ['a', 'b'] })
    await basic.fetchToken()
    const sent = api.calls('/token').at(-1)!
    const decoded = Buffer.from(String(sent.headers.authorization).slice(6), 'base64').toString()
    t.equal(decoded, 'client%3Aid+%C3%A9:p%40ss+word%2B%2F%3D')
    t.same(Object.fromEntries(sent.form), { grant_type: 'client_credentials', scope: 'a b' })

    await using post = makeClient(api.server.url, { tokenEndpointAuthMethod: 'client_secret_post' })
    await post.fetchToken(undefined, {
      extraParams: { audience: 'https://api.test', resource: ['r1', 'r2'] },
    })
    const posted = api.calls('/token').at(-1)!
    t.equal(posted.headers.authorization, undefined)
    t.same(posted.form.getAll('resource'), ['r1', 'r2'], 'repeated parameters are kept')
    t.same(
      [posted.form.get('client_id'), posted.form.get('client_secret'), posted.form.get('audience')],
      ['client-1', SECRET, 'https://api.test'],
    )

    await using pub = new OAuth2Client({ clientId: 'public', tokenEndpoint: api.url('/token') })
    await pub.fetchToken(undefined, { username: 'u', password: 'p' })
    const none = api.calls('/token').at(-1)!
    t.same(Object.fromEntries(none.form), {
      grant_type: 'password',
      username: 'u',
      password: 'p',
      client_id: 'public',
    })

    const apiKey: ClientAuthMethod = {
      name: 'api_key',
      authenticate(request, client) {
        request.headers['x-api-key'] = `${client.clientId}/${String(client.clientSecret)}`
      },
    }
    await using custom = makeClient(api.server.url, { tokenEndpointAuthMethod: apiKey })
    await custom.fetchToken()
    t.equal(api.calls('/token').at(-1)!.headers['x-api-key'], `client-1/${SECRET}`)
    t.throws(
      () => custom.registerClientAuthMethod({ name: 'x' } as ClientAuthMethod),
      /registerClientAuthMethod: expected/,
    )
    await using noSecret = new OAuth2Client({
      clientId: 'c',
      tokenEndpointAuthMethod: 'client_secret_basic',
      tokenEndpoint: api.url('/token'),
    })
    await t.rejects(noSecret.fetchToken(), /client_secret_basic needs clientSecret as a string/)
    await using noUrl = new OAuth2Client({ clientId: 'c' })
    await t.rejects(noUrl.fetchToken(), {
      name: 'TypeError',
      message: 'no token endpoint: set the `tokenEndpoint` option or use OAuth2Client.discover()',
    })
    await t.rejects(
      noUrl.revokeToken(undefined, { token: 'x' }),
      /no revocation endpoint: set the `revocationEndpoint`/,
    )
    await t.rejects(
      noUrl.introspectToken(undefined, { token: 'x' }),
      /set the `introspectionEndpoint` option/,
    )
    await t.rejects(noUrl.revokeToken(), MissingTokenError)
    await using insecure = makeClient('http://example.invalid')
    await t.rejects(
      insecure.fetchToken(),
      { code: 'ERR_OAUTH_INSECURE_TRANSPORT' },
      'no secret to a non-loopback http endpoint',
    )
  },
)

t.test('revocation and introspection failures', async t => {
  const api = await scripted({
    '/revoke': res => json(res, 400, { error: 'unsupported_token_type' }),
    '/introspect': res => json(res, 200, { active: 'yes' }),
  })
  await using client = makeClient(api.server.url, { token: { access_token: 'at', token_type: 'Bearer' } })
  await t.rejects(client.revokeToken(), oauthError('unsupported_token_type', { statusCode: 400 }))
  t.equal(
    api.calls('/revoke')[0]!.form.get('token_type_hint'),
    'access_token',
    'the access token, with its hint',
  )
  await t.rejects(client.introspectToken(), { name: 'InvalidResponseError', message: /boolean `active`/ })
})

t.test('createAuthorizationUrl: parameters, PKCE, nonce, state', async t => {
  await using client = new OAuth2Client({
    clientId: 'cid',
    redirectUri: 'https://app.test/cb',
    scope: ['openid', 'profile'],
    authorizationEndpoint: 'https://as.test/authorize?x=1',
  })
  const verifier = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk'
  const built = client.createAuthorizationUrl(undefined, {
    state: 'st',
    codeVerifier: verifier,
    nonce: 'n1',
    extraParams: { prompt: 'consent', lst: ['a', 'b'] },
  })
  t.equal(
    built.url,
    'https://as.test/authorize?x=1&response_type=code&client_id=cid&redirect_uri=https%3A%2F%2Fapp.test%2Fcb&scope=openid+profile&state=st&prompt=consent&lst=a&lst=b&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256&nonce=n1',
  )
  t.same([built.state, built.codeVerifier, built.nonce], ['st', verifier, 'n1'])
  const generated = client.createAuthorizationUrl()
  t.ok(generated.state.length >= 22, 'state carries >= 128 bits')
  t.ok(generated.codeVerifier!.length >= 43, 'verifier carries >= 256 bits')
  t.ok(generated.nonce, 'openid gets a nonce')
  t.not(generated.state, client.createAuthorizationUrl().state)
  await using noPkce = new OAuth2Client({ clientId: 'cid', codeChallengeMethod: null })
  const plain = new URL(noPkce.createAuthorizationUrl('https://as.test/a', { responseType: 'token' }).url)
  t.same(
    [
      plain.searchParams.get('code_challenge'),
      plain.searchParams.get('nonce'),
      plain.searchParams.get('response_type'),
    ],
    [null, null, 'token'],
  )
  await using plainPkce = new OAuth2Client({ codeChallengeMethod: 'plain' })
  const p = plainPkce.createAuthorizationUrl('https://as.test/a', { codeVerifier: verifier })
  t.equal(new URL(p.url).searchParams.get('code_challenge'), verifier)
  t.throws(() => noPkce.createAuthorizationUrl(), /pass a URL or configure authorizationEndpoint/)
})

t.test('PKCE and token helpers (RFC 7636 Appendix B)', async t => {
  t.equal(
    createCodeChallenge('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk'),
    'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
  )
  t.equal(createCodeChallenge('a'.repeat(43), 'plain'), 'a'.repeat(43))
  t.throws(() => createCodeChallenge('short'), /43 to 128 characters/)
  t.throws(() => createCodeChallenge('a'.repeat(43), 'MD5' as 'S256'), /'S256' or 'plain'/)
  const verifiers = new Set(Array.from({ length: 1_000 }, generateCodeVerifier))
  t.equal(verifiers.size, 1_000)
  t.ok([...verifiers].every(v => /^[A-Za-z0-9_-]{43}$/.test(v)))
  t.match(generateToken(10), /^[A-Za-z0-9_-]{10}$/)
  t.throws(() => generateToken(0), /positive integer/)
})

t.test('token setter, options validation, and no secrets in inspect/JSON', async t => {
  const given: OAuth2Token = {
    access_token: 'secret-access',
    token_type: 'Bearer',
    expires_in: 100,
    refresh_token: 'secret-refresh',
  }
  await using client = makeClient('https://as.test', { token: given })
  t.equal(given.expires_at, undefined, "the caller's token object is not modified")
  t.ok(client.token!.expires_at! >= Math.floor(Date.now() / 1000) + 99)
  t.throws(() => {
    client.token = { access_token: 1 } as unknown as OAuth2Token
  }, /token: access_token is missing or not a string/)
  t.throws(() => {
    client.token = 'x' as unknown as OAuth2Token
  }, /option `token` must be an OAuth2Token object/)
  const shown = `${inspect(client, { depth: 10 })} ${JSON.stringify(client)}`
  for (const secret of [SECRET, 'secret-access', 'secret-refresh'])
    t.notOk(shown.includes(secret), `${secret} hidden`)
  t.match(shown, /client-1/)
  client.token = undefined
  t.equal(client.token, undefined)
  t.throws(
    () => new OAuth2Client({ tokenPlacement: 'cookie' as 'header' }),
    /option `tokenPlacement` must be one of 'header', 'body', 'uri'/,
  )
  t.throws(() => new OAuth2Client({ leeway: -1 }), /option `leeway`/)
  t.throws(() => new OAuth2Client({ updateToken: 'x' as never }), /option `updateToken` must be a function/)
  t.throws(() => new OAuth2Client({ scope: 5 as never }), /option `scope`/)
  t.throws(() => new OAuth2Client({ clientSecret: null as never }), /option `clientSecret`/)
  t.throws(() => new OAuth2Client({ metadata: 'x' as never }), /option `metadata`/)
  t.throws(
    () => new OAuth2Client({ tokenEndpoint: 'nope' }),
    /option `tokenEndpoint` must be an absolute URL/,
  )
  t.throws(() => new OAuth2Client({ codeChallengeMethod: 'S512' as 'S256' }), /option `codeChallengeMethod`/)
})

t.test('discovery failures: no document, issuer mismatch', async t => {
  const api = await scripted({})
  await t.rejects(OAuth2Client.discover(api.server.url), {
    name: 'InvalidResponseError',
    message: /no authorization server metadata/,
  })
  const wrong = await scripted({
    '/.well-known/oauth-authorization-server': res => json(res, 200, { issuer: 'https://evil.test' }),
  })
  await t.rejects(OAuth2Client.discover(wrong.server.url), { message: /issuer must be/ })
  const bad = await scripted({
    '/tenant/.well-known/openid-configuration': (res, seen) =>
      json(res, 200, { issuer: `http://${seen.headers.host}/tenant`, token_endpoint: 'not a url' }),
  })
  await t.rejects(OAuth2Client.discover(`${bad.server.url}/tenant`), {
    message: /token_endpoint must be an absolute URL, got 'not a url'/,
  })
  t.same(
    bad.seen.map(s => s.path),
    ['/.well-known/oauth-authorization-server/tenant', '/tenant/.well-known/openid-configuration'],
    'RFC 8414 location first, then OpenID Connect Discovery',
  )
})
