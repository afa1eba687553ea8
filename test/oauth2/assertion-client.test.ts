/**
 * Issue 4, acceptance 3, 4 and 5: AssertionClient (RFC 7523 §2.1 JWT bearer grant) against a
 * loopback token endpoint written here. The endpoint verifies each assertion's signature with the
 * public key through jose, checks iss, aud, exp and that no jti comes twice, and issues 2-second
 * tokens; its resource path accepts only its own unexpired tokens.
 */
import {
  createPublicKey,
  createSecretKey,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
} from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { inspect } from 'node:util'
import { decodeJwt, decodeProtectedHeader, type JWTHeaderParameters, type JWTPayload, jwtVerify } from 'jose'
import t from 'tap'
import { InvalidResponseError, OAuthError } from '../../lib/errors.js'
import { AssertionClient, type AssertionClientOptions } from '../../lib/oauth2/assertion-client.js'
import { ClientSecretJWT } from '../../lib/oauth2/client-secret-jwt.js'
import type { OAuth2Token } from '../../lib/oauth2/token.js'
import { callWithServiceAccount } from '../../scripts/examples/service-account.js'
import { startServer } from '../fixtures/http-server.js'
import { oauthError } from '../fixtures/match.js'

const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer'
const TOKEN_TTL = 2

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
const pkcs8 = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString()
const pkcs1 = privateKey.export({ format: 'pem', type: 'pkcs1' }).toString()
const privateJwk = { ...privateKey.export({ format: 'jwk' }), kid: 'jwk-kid' }
/** Lines of the private key as any leak would show them. */
const keyLines = pkcs8.split('\n').filter(line => line.length > 20 && !line.startsWith('-----'))
const ISSUER = 'robot@example.test'

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms))

interface Received {
  form: URLSearchParams
  authorization: string | undefined
  header?: JWTHeaderParameters
  payload?: JWTPayload
}

interface GrantServerOptions {
  /** The key that verifies assertions (default the RSA public key). */
  verifyKey?: KeyObject
  issuer?: string
  /** Checks the request's client authentication; a string is the error_description of invalid_client. */
  checkClient?: (request: Received) => string | undefined | Promise<string | undefined>
}

/** The jwt-bearer token endpoint (POST /token) and a resource (anything else) on 127.0.0.1. */
async function startGrantServer(options: GrantServerOptions = {}) {
  const verifyKey = options.verifyKey ?? publicKey
  const issuer = options.issuer ?? ISSUER
  const tokens = new Map<string, number>()
  const jtis = new Set<string>()
  const state = {
    exchanges: 0,
    inFlight: 0,
    maxInFlight: 0,
    resourceRequests: 0,
    rejected: 0,
    received: [] as Received[],
    /** Answers the next token request with this instead. */
    failNext: undefined as { status: number; body: string; type?: string } | undefined,
    /** Milliseconds each token request takes. */
    delay: 0,
    tokenUrl: '',
    apiUrl: '',
    /** Drops every issued token, as a server-side revocation would. */
    forgetTokens: () => tokens.clear(),
  }
  const send = (res: import('node:http').ServerResponse, status: number, body: unknown, headers = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers })
    res.end(JSON.stringify(body))
  }
  const server = await startServer(async (req, res, raw) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname
    if (path === '/token' && req.method === 'POST') {
      state.exchanges++
      state.inFlight++
      state.maxInFlight = Math.max(state.maxInFlight, state.inFlight)
      try {
        if (state.delay > 0) await sleep(state.delay)
        const received: Received = {
          form: new URLSearchParams(raw.toString('utf8')),
          authorization: req.headers.authorization,
        }
        state.received.push(received)
        const fail = state.failNext
        if (fail !== undefined) {
          state.failNext = undefined
          res.writeHead(fail.status, { 'content-type': fail.type ?? 'application/json' })
          return res.end(fail.body)
        }
        if (received.form.get('grant_type') !== JWT_BEARER) {
          return send(res, 400, { error: 'unsupported_grant_type' })
        }
        const clientProblem = await options.checkClient?.(received)
        if (clientProblem !== undefined) {
          return send(res, 401, { error: 'invalid_client', error_description: clientProblem })
        }
        try {
          // RFC 7523 §3: signature, iss, aud and exp (jose checks exp, and iat is not in the future).
          const { payload, protectedHeader } = await jwtVerify(
            received.form.get('assertion') ?? '',
            verifyKey,
            {
              issuer,
              audience: state.tokenUrl,
              requiredClaims: ['exp', 'iat', 'jti'],
            },
          )
          if (jtis.has(payload.jti!)) throw new Error('jti replayed')
          jtis.add(payload.jti!)
          received.header = protectedHeader
          received.payload = payload
        } catch (err) {
          return send(res, 400, { error: 'invalid_grant', error_description: (err as Error).message })
        }
        const accessToken = randomBytes(24).toString('base64url')
        tokens.set(accessToken, Date.now() + TOKEN_TTL * 1000)
        return send(res, 200, { access_token: accessToken, token_type: 'Bearer', expires_in: TOKEN_TTL })
      } finally {
        state.inFlight--
      }
    }
    state.resourceRequests++
    const authorization = req.headers.authorization ?? ''
    const expires = tokens.get(authorization.replace(/^Bearer /, ''))
    if (!authorization.startsWith('Bearer ') || expires === undefined || expires <= Date.now()) {
      state.rejected++
      return send(res, 401, { ok: false }, { 'www-authenticate': 'Bearer error="invalid_token"' })
    }
    return send(res, 200, { ok: true, path })
  })
  state.tokenUrl = `${server.url}/token`
  state.apiUrl = `${server.url}/api`
  return Object.assign(state, { close: () => server.close() })
}

const as = await startGrantServer()
t.teardown(() => as.close())

function assertionClient(options: Partial<AssertionClientOptions> = {}): AssertionClient {
  return new AssertionClient({ tokenEndpoint: as.tokenUrl, issuer: ISSUER, key: pkcs8, ...options })
}

async function getJson(client: AssertionClient, url = as.apiUrl) {
  const { statusCode, body } = await client.get(url)
  return { status: statusCode, json: (await body.json()) as { ok: boolean } }
}

function reset() {
  as.exchanges = 0
  as.maxInFlight = 0
  as.rejected = 0
  as.received.length = 0
  as.delay = 0
}

t.test(
  'the first get() obtains a token by itself; after expiry 100 concurrent requests share ONE exchange',
  async t => {
    reset()
    const updates: [string, { accessToken?: string }][] = []
    await using client = assertionClient({
      updateToken: (token, context) => void updates.push([token.access_token, context]),
    })
    t.equal(client.token, undefined, 'no token call made')
    t.same(await getJson(client), { status: 200, json: { ok: true, path: '/api' } })
    t.equal(as.exchanges, 1, 'one assertion exchange, made by the request itself')
    const first = client.token!
    t.equal(first.expires_in, TOKEN_TTL)

    await sleep(TOKEN_TTL * 1000 + 100)
    const results = await Promise.all(Array.from({ length: 100 }, () => getJson(client)))
    t.equal(results.filter(r => r.status === 200).length, 100, 'all 100 succeed')
    t.equal(as.exchanges, 2, 'ONE new assertion exchange for 100 requests')
    t.equal(as.rejected, 0, 'no request went out with the expired token')
    t.not(client.token!.access_token, first.access_token)
    t.same(updates, [
      [first.access_token, { source: 'endpoint' }],
      [client.token!.access_token, { accessToken: first.access_token, source: 'endpoint' }],
    ])

    const [one, two] = as.received
    t.equal(one!.form.get('grant_type'), JWT_BEARER)
    t.type(one!.form.get('assertion'), 'string')
    t.equal(one!.form.get('scope'), null, 'no scope parameter unless configured')
    t.equal(one!.authorization, undefined, 'no client authentication unless configured')
    t.not(one!.payload!.jti, two!.payload!.jti, 'a fresh assertion for each exchange')
    t.match(one!.header, { alg: 'RS256', typ: 'JWT' })
    t.equal(one!.payload!.sub, undefined, 'no sub without a subject')
    t.equal(one!.payload!.exp! - one!.payload!.iat!, 3600, 'expiresIn defaults to 3600')
  },
)

t.test('a token-endpoint error surfaces as OAuthError; the next call succeeds', async t => {
  reset()
  await using client = assertionClient()
  as.failNext = { status: 400, body: JSON.stringify({ error: 'invalid_grant', error_description: 'nope' }) }
  await t.rejects(getJson(client), oauthError('invalid_grant', { statusCode: 400, description: 'nope' }))
  t.equal((await getJson(client)).status, 200, 'the next request succeeds')

  as.failNext = { status: 400, body: JSON.stringify({ error: 'invalid_grant' }) }
  await t.rejects(client.fetchToken(), oauthError('invalid_grant'), 'fetchToken rejects too')
  // 500 (not 502-504, which a client may retry): a non-JSON answer is an InvalidResponseError.
  as.failNext = { status: 500, body: '<html>internal error</html>', type: 'text/html' }
  await t.rejects(client.fetchToken(), { code: 'ERR_OAUTH_INVALID_RESPONSE', statusCode: 500 })
  as.failNext = { status: 200, body: JSON.stringify({ token_type: 'Bearer' }) }
  await t.rejects(client.fetchToken(), { code: 'ERR_OAUTH_INVALID_RESPONSE', message: /access_token/ })
  const token = await client.fetchToken()
  t.equal(client.token, token)
  t.equal((await getJson(client)).status, 200)

  // The server's own checks: a key it does not know, and an assertion for another audience.
  const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey
  await using wrongKey = assertionClient({ key: other })
  await t.rejects(getJson(wrongKey), oauthError('invalid_grant', { description: /signature/ }))
  await using wrongAudience = assertionClient({ audience: 'https://elsewhere.test/token' })
  await t.rejects(wrongAudience.fetchToken(), oauthError('invalid_grant', { description: /aud/ }))
})

t.test('a retried exchange (503, tokenRetries) carries a new assertion, never a replayed jti', async t => {
  reset()
  await using client = assertionClient()
  as.failNext = { status: 503, body: '{"error":"temporarily_unavailable"}' }
  await client.fetchToken()
  t.equal(as.exchanges, 2, 'one retry')
  const [first, second] = as.received.map(r => decodeJwt(r.form.get('assertion')!))
  t.not(first!.jti, second!.jti, 'each attempt signed its own assertion')
  await using noRetry = assertionClient({ tokenRetries: 0 })
  as.failNext = { status: 503, body: '{"error":"temporarily_unavailable"}' }
  await t.rejects(noRetry.fetchToken(), oauthError('temporarily_unavailable', { statusCode: 503 }))
})

t.test('a failed renewal rejects every waiter with the same error and leaves the client usable', async t => {
  reset()
  await using client = assertionClient()
  await client.fetchToken()
  client.token = { ...client.token!, expires_at: Math.floor(Date.now() / 1000) - 10 }
  as.failNext = { status: 400, body: JSON.stringify({ error: 'invalid_grant' }) }
  const results = await Promise.allSettled(Array.from({ length: 20 }, () => getJson(client)))
  t.ok(results.every(r => r.status === 'rejected'))
  const reasons = new Set(results.map(r => (r as PromiseRejectedResult).reason))
  t.equal(reasons.size, 1, 'one shared error')
  t.equal(as.exchanges, 2, 'one failed exchange for 20 requests')
  t.equal((await getJson(client)).status, 200)
  t.equal(as.exchanges, 3)
})

t.test('fetchToken() goes through the same queue as renewals: never two exchanges at once', async t => {
  reset()
  as.delay = 50
  await using client = assertionClient({ leeway: 0 })
  const all = await Promise.all([
    client.fetchToken(),
    ...Array.from({ length: 10 }, () => getJson(client)),
    client.fetchToken(),
    client.ensureActiveToken(),
  ])
  t.equal(as.maxInFlight, 1, 'exchanges are serialized')
  // The requests' shared renewal, queued behind the first fetchToken(), finds its fresh token and
  // makes no call of its own; the second fetchToken() always exchanges a new assertion.
  t.equal(as.exchanges, 2, 'two explicit fetches, no third exchange')
  const first = all[0] as OAuth2Token
  t.equal(all.at(-1), first, 'ensureActiveToken got the token the first fetchToken() obtained')
  t.equal(client.token, all[11], 'the last fetchToken() token is current')
  t.not(first.access_token, client.token!.access_token)
})

t.test('401 invalid_token: one shared renewal and one retry', async t => {
  reset()
  await using client = assertionClient({ leeway: 0 })
  await getJson(client)
  as.forgetTokens()
  const results = await Promise.all(Array.from({ length: 20 }, () => getJson(client)))
  t.ok(results.every(r => r.status === 200))
  t.equal(as.rejected, 20, 'each carried the revoked token once')
  t.equal(as.exchanges, 2, 'one renewal for all of them')
})

t.test('assertion header and claims: subject, audience, claims copied, jti always fresh, scope', async t => {
  reset()
  const claims: Record<string, unknown> = { scope: 'read write', jti: 'fixed', custom: 1 }
  const header: Record<string, unknown> = { alg: 'RS256', kid: 'key-1', 'x-extra': 'yes' }
  await using client = assertionClient({
    subject: 'user@example.test',
    claims,
    header,
    scope: ['a', 'b'],
    expiresIn: 120,
  })
  claims.custom = 2
  header.kid = 'changed'
  for (let i = 0; i < 5; i++) await client.fetchToken()
  const payloads = as.received.map(r => r.payload!)
  t.equal(new Set(payloads.map(p => p.jti)).size, 5, 'five distinct jti although claims carry one')
  t.notOk(payloads.some(p => p.jti === 'fixed'))
  t.match(payloads[0], {
    iss: ISSUER,
    sub: 'user@example.test',
    aud: as.tokenUrl,
    scope: 'read write',
    custom: 1,
  })
  t.equal(payloads[0]!.exp! - payloads[0]!.iat!, 120)
  t.ok(payloads[0]!.iat! <= Date.now() / 1000, 'iat not in the future')
  t.match(as.received[0]!.header, { alg: 'RS256', kid: 'key-1', typ: 'JWT', 'x-extra': 'yes' })
  t.equal(as.received[0]!.form.get('scope'), 'a b', 'scope parameter (RFC 7521 §4.1)')

  // A URL object as tokenEndpoint: the audience is its href.
  reset()
  await using byUrl = assertionClient({ tokenEndpoint: new URL(as.tokenUrl) })
  await byUrl.fetchToken({ signal: AbortSignal.timeout(5_000) })
  t.equal(as.received[0]!.payload!.aud, as.tokenUrl)

  // A custom grant type and an explicit audience are sent as given.
  reset()
  await using custom = assertionClient({ grantType: 'urn:example:custom', audience: as.tokenUrl })
  await t.rejects(custom.fetchToken(), oauthError('unsupported_grant_type'))
  t.equal(as.received[0]!.form.get('grant_type'), 'urn:example:custom')
})

t.test('every key format and algorithm signs an assertion the server verifies', async t => {
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const ed = generateKeyPairSync('ed25519')
  const cryptoKey = await crypto.subtle.importKey(
    'pkcs8',
    privateKey.export({ format: 'der', type: 'pkcs8' }),
    { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
    false,
    ['sign'],
  )
  const cases: [string, Partial<AssertionClientOptions>, string | undefined][] = [
    ['PKCS#8 PEM', { key: pkcs8 }, undefined],
    ['PKCS#1 PEM', { key: pkcs1 }, undefined],
    ['JWK (kid from the JWK)', { key: privateJwk }, 'jwk-kid'],
    ['JWK, header kid wins', { key: privateJwk, header: { kid: 'mine' } }, 'mine'],
    ['KeyObject', { key: privateKey }, undefined],
    ['CryptoKey', { key: cryptoKey }, undefined],
    ['PS256', { key: pkcs8, header: { alg: 'PS256' } }, undefined],
  ]
  for (const [what, options, kid] of cases) {
    reset()
    await using client = assertionClient(options)
    t.equal((await getJson(client)).status, 200, what)
    t.equal(as.received[0]!.header!.kid, kid, `${what}: kid`)
  }

  for (const [alg, keys] of [
    ['ES256', ec],
    ['EdDSA', ed],
  ] as const) {
    const server = await startGrantServer({ verifyKey: keys.publicKey })
    t.teardown(() => server.close())
    await using client = new AssertionClient({
      tokenEndpoint: server.tokenUrl,
      issuer: ISSUER,
      key: keys.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
      header: { alg },
    })
    t.equal((await getJson(client, server.apiUrl)).status, 200, alg)
    t.equal(server.received[0]!.header!.alg, alg)
  }

  const secret = randomBytes(32).toString('base64url')
  const hmac = await startGrantServer({ verifyKey: createSecretKey(Buffer.from(secret)) })
  t.teardown(() => hmac.close())
  await using hs = new AssertionClient({
    tokenEndpoint: hmac.tokenUrl,
    issuer: ISSUER,
    key: secret,
    header: { alg: 'HS256' },
  })
  t.equal((await getJson(hs, hmac.apiUrl)).status, 200, 'HS256 with a shared secret')
})

t.test('optional client authentication for servers that also require it', async t => {
  const secret = 'client-secret-0123456789abcdef0123456789abcdef-0123456789abcdef-0123456789'
  let expect: (r: Received) => string | undefined = () => undefined
  const server = await startGrantServer({ checkClient: r => expect(r) })
  t.teardown(() => server.close())
  const make = (options: Partial<AssertionClientOptions>) =>
    new AssertionClient({ tokenEndpoint: server.tokenUrl, issuer: ISSUER, key: pkcs8, ...options })

  expect = r =>
    r.authorization === `Basic ${Buffer.from(`svc:${secret}`).toString('base64')}` && !r.form.has('client_id')
      ? undefined
      : 'expected Basic'
  await using basic = make({ clientId: 'svc', clientSecret: secret })
  await basic.fetchToken()
  t.pass('client_secret_basic by default with a secret')

  expect = r =>
    r.authorization === undefined &&
    r.form.get('client_id') === 'svc' &&
    r.form.get('client_secret') === secret
      ? undefined
      : 'expected client_secret_post'
  await using post = make({
    clientId: 'svc',
    clientSecret: secret,
    tokenEndpointAuthMethod: 'client_secret_post',
  })
  await post.fetchToken()
  t.pass('client_secret_post')

  expect = r =>
    r.form.get('client_id') === 'svc' && !r.form.has('client_secret') ? undefined : 'expected none'
  await using none = make({ clientId: 'svc' })
  await none.fetchToken()
  t.pass('none (client_id only) by default without a secret')

  const verifyClientAssertion = async (r: Received) => {
    try {
      const { payload } = await jwtVerify(
        r.form.get('client_assertion') ?? '',
        createSecretKey(Buffer.from(secret)),
        {
          issuer: 'svc',
          subject: 'svc',
          audience: server.tokenUrl,
        },
      )
      if (r.authorization !== undefined || r.form.has('client_secret')) return 'secret sent'
      return payload.jti === undefined ? 'no jti' : undefined
    } catch (err) {
      return (err as Error).message
    }
  }
  const checks: Promise<string | undefined>[] = []
  expect = r => {
    checks.push(verifyClientAssertion(r))
    return undefined
  }
  await using jwtByName = make({
    clientId: 'svc',
    clientSecret: secret,
    tokenEndpointAuthMethod: 'client_secret_jwt',
  })
  await jwtByName.fetchToken()
  await using jwtInstance = make({
    clientId: 'svc',
    clientSecret: secret,
    tokenEndpointAuthMethod: new ClientSecretJWT(server.tokenUrl, { alg: 'HS384' }),
  })
  await jwtInstance.fetchToken()
  t.same(await Promise.all(checks), [undefined, undefined], 'client_secret_jwt by name and as an instance')
  t.match(inspect(jwtInstance), /tokenEndpointAuthMethod: 'client_secret_jwt'/)

  expect = () => 'refused'
  await t.rejects(basic.fetchToken(), oauthError('invalid_client', { statusCode: 401 }))
})

t.test('options are validated at construction, each message naming its option', async t => {
  const base = { tokenEndpoint: as.tokenUrl, issuer: ISSUER, key: pkcs8 }
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['tokenEndpoint missing', { tokenEndpoint: undefined }, /`tokenEndpoint`/],
    ['tokenEndpoint not a URL', { tokenEndpoint: 'not a url' }, /`tokenEndpoint`/],
    ['issuer missing', { issuer: undefined }, /`issuer`/],
    ['issuer empty', { issuer: '' }, /`issuer`/],
    ['audience', { audience: 3 }, /`audience`/],
    ['subject', { subject: 42 }, /`subject`/],
    ['claims', { claims: 'scope' }, /`claims`/],
    ['claims array', { claims: [] }, /`claims`/],
    ['header', { header: null }, /`header`/],
    ['header.alg', { header: { alg: 'none' } }, /`header.alg`/],
    ['header.kid', { header: { kid: 1 } }, /`header.kid`/],
    ['key missing', { key: undefined }, /`key`/],
    ['key of the wrong kind', { key: 'not a key' }, /option `key` \(RS256\)/],
    ['key for another alg', { header: { alg: 'ES256' } }, /`key`.*ES256 needs an EC key/],
    ['public key', { key: createPublicKey(privateKey) }, /`key`/],
    ['scope', { scope: 3 }, /`scope`/],
    ['expiresIn', { expiresIn: 0 }, /`expiresIn`/],
    ['grantType', { grantType: '' }, /`grantType`/],
    ['tokenPlacement', { tokenPlacement: 'cookie' }, /`tokenPlacement`/],
    ['leeway', { leeway: -1 }, /`leeway`/],
    ['updateToken', { updateToken: 'x' }, /`updateToken`/],
    [
      'tokenEndpointAuthMethod',
      { clientId: 'a', tokenEndpointAuthMethod: 'magic' },
      /`tokenEndpointAuthMethod`/,
    ],
    ['auth method without clientId', { tokenEndpointAuthMethod: 'client_secret_post' }, /`clientId`/],
    ['secret without clientId', { clientSecret: 's' }, /`clientId`/],
    ['clientSecret null', { clientId: 'a', clientSecret: null }, /`clientSecret`/],
    ['clientId', { clientId: 1 }, /`clientId`/],
  ]
  for (const [what, override, message] of cases) {
    let error: unknown
    try {
      new AssertionClient({ ...base, ...override } as AssertionClientOptions)
    } catch (err) {
      error = err
    }
    t.type(error, TypeError, what)
    t.match((error as Error)?.message, message, what)
    const shown = `${(error as Error)?.message} ${inspect(error)}`
    t.notOk(
      keyLines.some(line => shown.includes(line)),
      `${what}: no key material in the message`,
    )
  }
})

t.test('acceptance 4: the docs/service-accounts.md example, run against the loopback endpoint', async t => {
  const conf = JSON.parse(
    readFileSync(new URL('../fixtures/keys/service-account.json', import.meta.url), 'utf8'),
  )
  for (const field of [
    'type',
    'project_id',
    'private_key_id',
    'private_key',
    'client_email',
    'client_id',
    'token_uri',
  ]) {
    t.type(conf[field], 'string', `the file has ${field}`)
  }
  const scope = 'https://www.googleapis.com/auth/cloud-platform'
  const google = await startGrantServer({
    verifyKey: createPublicKey(conf.private_key),
    issuer: conf.client_email,
  })
  t.teardown(() => google.close())
  const dir = t.testdir({})
  const path = join(dir, 'MyProject-1234.json')
  writeFileSync(path, JSON.stringify({ ...conf, token_uri: google.tokenUrl }))

  const result = await callWithServiceAccount(path, google.apiUrl, scope)
  t.same(result, { status: 200, body: { ok: true, path: '/api' } })
  t.equal(google.exchanges, 1)
  const [received] = google.received
  t.match(received!.header, { alg: 'RS256', kid: conf.private_key_id, typ: 'JWT' })
  t.match(received!.payload, { iss: conf.client_email, sub: conf.client_email, aud: google.tokenUrl, scope })
  t.equal(received!.form.get('scope'), null, 'the scope travels in the assertion, as Google reads it')
})

t.test('acceptance 5: no key material or assertion in messages, inspect or JSON', async t => {
  reset()
  const secret = 'client-secret-that-must-not-show-0123456789'
  await using client = assertionClient({
    subject: 'someone',
    clientId: 'svc',
    clientSecret: secret,
    tokenEndpointAuthMethod: 'client_secret_post',
  })
  await client.fetchToken()
  const assertion = as.received[0]!.form.get('assertion')!
  const shown = () => `${inspect(client, { depth: 10 })} ${JSON.stringify(client)}`
  const hidden = [...keyLines, secret, assertion, client.token!.access_token]
  t.notOk(
    hidden.some(value => shown().includes(value)),
    'inspect and JSON show none of them',
  )
  t.match(shown(), /AssertionClient/)
  t.match(JSON.parse(JSON.stringify(client)), {
    tokenEndpoint: as.tokenUrl,
    issuer: ISSUER,
    subject: 'someone',
    alg: 'RS256',
    key: '[private key]',
    token: { access_token: '[redacted]' },
  })

  // A server that echoes what it was sent in its JSON error fields.
  const echoing = await startGrantServer({
    checkClient: r => `bad ${r.form.get('assertion')} ${r.form.get('client_secret')}`,
  })
  t.teardown(() => echoing.close())
  await using echoed = new AssertionClient({
    tokenEndpoint: echoing.tokenUrl,
    issuer: ISSUER,
    key: pkcs8,
    clientId: 'svc',
    clientSecret: secret,
    tokenEndpointAuthMethod: 'client_secret_post',
  })
  const echoError = await echoed.fetchToken().catch((e: unknown) => e)
  t.type(echoError, OAuthError)
  t.match(echoError, { error: 'invalid_client', description: /^bad … …$/ }, 'echoed secrets are redacted')
  const sent = echoing.received[0]!.form.get('assertion')!
  const echoText = `${(echoError as Error).message} ${inspect(echoError)} ${JSON.stringify(echoError)}`
  t.notOk(echoText.includes(sent), 'the echoed assertion is not in the error')
  t.notOk(echoText.includes(secret), 'nor the client secret')

  const bodyEcho = await startGrantServer()
  t.teardown(() => bodyEcho.close())
  await using plain = new AssertionClient({ tokenEndpoint: bodyEcho.tokenUrl, issuer: ISSUER, key: pkcs8 })
  bodyEcho.failNext = { status: 500, body: `<p>${pkcs8}</p>`, type: 'text/html' }
  const err = (await plain.fetchToken().catch((e: unknown) => e)) as InvalidResponseError
  t.type(err, InvalidResponseError)
  const text = `${err.message} ${err.excerpt} ${inspect(err)}`
  t.notOk(
    keyLines.some(line => text.includes(line)),
    'a key echoed in an HTML body is not in the excerpt',
  )
})

t.test('a decoded assertion has exactly the registered claims plus the extra ones', async t => {
  reset()
  await using client = assertionClient({ claims: { scope: 's' } })
  await client.fetchToken()
  const assertion = as.received[0]!.form.get('assertion')!
  t.same(Object.keys(decodeJwt(assertion)).sort(), ['aud', 'exp', 'iat', 'iss', 'jti', 'scope'])
  t.same(Object.keys(decodeProtectedHeader(assertion)).sort(), ['alg', 'typ'])
})
