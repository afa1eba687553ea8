/**
 * ID token validation against a scripted issuer on 127.0.0.1 that signs its own tokens with jose
 * (issue 15 acceptance 2, 3, 4): every tampered claim is refused with IdTokenValidationError naming
 * it, JWKS fetches are counted at the server (unknown kids, single flight, cooldown), and the JWKS
 * fetch honours the session's deadline and transport rule.
 */
import { createHash } from 'node:crypto'
import { CompactSign, exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose'
import t, { type Test } from 'tap'
import { IdTokenValidationError } from '../../../lib/errors.js'
import { OAuth2Client, type OAuth2ClientOptions } from '../../../lib/oauth2/client.js'
import { cacheMaxAge, JwksCache } from '../../../lib/oauth2/oidc/jwks-cache.js'
import { tokenHash } from '../../../lib/oauth2/oidc/token-hash.js'
import { startServer } from '../../fixtures/http-server.js'

const CLIENT_ID = 'client-1'
const SECRET = 'a-client-secret-of-at-least-32-bytes-0123456789'

async function rsaKey(kid: string): Promise<{ privateKey: CryptoKey; jwk: JWK }> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true })
  return { privateKey: privateKey as CryptoKey, jwk: { ...(await exportJWK(publicKey)), kid, use: 'sig' } }
}

const first = await rsaKey('k1')
const rotated = await rsaKey('k2')
const stranger = await rsaKey('k-unknown')

/** What the issuer serves; tests change it. */
const issuer = {
  jwks: [first.jwk] as JWK[],
  jwksFetches: 0,
  tokenRequests: 0,
  stallJwks: false,
  /** The next token endpoint answer's id_token, given the access token it goes with. */
  idToken: async (_accessToken: string): Promise<string | undefined> => undefined,
  userinfo: { sub: 'alice' } as Record<string, unknown>,
  /** A signed userinfo answer (application/jwt) in place of the JSON one. */
  userinfoJwt: undefined as string | undefined,
  userinfoStatus: 200,
  stallUserinfo: false,
  jwksCacheControl: undefined as string | undefined,
  /** Served in place of the JWKS document. */
  jwksBody: undefined as string | undefined,
}

const server = await startServer(async (req, res) => {
  res.setHeader('content-type', 'application/json')
  if (req.url === '/jwks') {
    issuer.jwksFetches++
    if (issuer.stallJwks) return // never answers: the client's deadline ends the wait
    if (issuer.jwksCacheControl !== undefined) res.setHeader('cache-control', issuer.jwksCacheControl)
    res.end(issuer.jwksBody ?? JSON.stringify({ keys: issuer.jwks }))
  } else if (req.url === '/token') {
    issuer.tokenRequests++
    const accessToken = `at-${Math.random().toString(36).slice(2)}`
    const idToken = await issuer.idToken(accessToken)
    res.end(
      JSON.stringify({
        access_token: accessToken,
        token_type: 'Bearer',
        expires_in: 300,
        refresh_token: 'rt-1',
        id_token: idToken,
      }),
    )
  } else if (req.url === '/userinfo') {
    if (issuer.stallUserinfo) return // never answers
    res.statusCode = issuer.userinfoStatus
    if (issuer.userinfoJwt === undefined) return res.end(JSON.stringify(issuer.userinfo))
    res.setHeader('content-type', 'application/jwt')
    res.end(issuer.userinfoJwt)
  } else {
    res.statusCode = 404
    res.end('{}')
  }
})
t.teardown(() => server.close())

const now = () => Math.floor(Date.now() / 1000)

/** Claims an honest issuer would sign for `nonce`. */
const honest = (nonce = 'n-1'): JWTPayload => ({
  iss: server.url,
  sub: 'alice',
  aud: CLIENT_ID,
  exp: now() + 300,
  iat: now(),
  nonce,
})

function sign(claims: JWTPayload, key = first, alg = 'RS256'): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg, kid: key.jwk.kid! }).sign(key.privateKey)
}

function signBytes(payload: string): Promise<string> {
  return new CompactSign(new TextEncoder().encode(payload))
    .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
    .sign(first.privateKey)
}

function client(options: OAuth2ClientOptions = {}): OAuth2Client {
  return new OAuth2Client({
    clientId: CLIENT_ID,
    clientSecret: SECRET,
    tokenEndpoint: `${server.url}/token`,
    metadata: {
      issuer: server.url,
      jwks_uri: `${server.url}/jwks`,
      userinfo_endpoint: `${server.url}/userinfo`,
      id_token_signing_alg_values_supported: ['RS256', 'none', 'HS256'],
    },
    clockTolerance: 5,
    tokenRetries: 0,
    ...options,
  })
}

const exchange = (c: OAuth2Client, extra: { nonce?: string; maxAge?: number } = { nonce: 'n-1' }) =>
  c.fetchToken(undefined, { code: 'code-1', ...extra })

/** The coded error naming `claim`, with no part of the ID token in its message. */
async function refused(t: Test, promise: Promise<unknown>, claim: string, idToken?: string): Promise<void> {
  const err = await promise.catch((e: unknown) => e)
  t.ok(err instanceof IdTokenValidationError, `refused with IdTokenValidationError (${claim})`)
  t.match(err, { code: 'ERR_OAUTH_ID_TOKEN', claim, error: 'invalid_id_token' })
  if (idToken !== undefined) {
    for (const part of idToken.split('.').filter(Boolean))
      t.notOk((err as Error).message.includes(part), 'the token is not in the message')
  }
}

t.beforeEach(() => {
  issuer.jwks = [first.jwk]
  issuer.stallJwks = false
  issuer.userinfo = { sub: 'alice' }
  issuer.userinfoJwt = undefined
  issuer.userinfoStatus = 200
  issuer.stallUserinfo = false
  issuer.jwksCacheControl = undefined
  issuer.jwksBody = undefined
})

t.test('an honest ID token is validated and its claims kept', async t => {
  issuer.idToken = async accessToken => sign({ ...honest(), at_hash: tokenHash(accessToken, 'RS256') })
  await using c = client()
  await exchange(c)
  t.equal(c.idTokenClaims()?.sub, 'alice')
  t.equal((await c.userinfo()).sub, 'alice')
  // No nonce sent, none in the token: nothing to compare.
  issuer.idToken = () => sign({ ...honest(), nonce: undefined })
  await exchange(c, {})
  t.equal(c.idTokenClaims()?.nonce, undefined)
})

const tampered: [string, string, () => Promise<string>, { nonce?: string; maxAge?: number }?][] = [
  ['wrong nonce', 'nonce', () => sign(honest('n-other'))],
  ['nonce expected but absent', 'nonce', () => sign({ ...honest(), nonce: undefined })],
  ['wrong iss', 'iss', () => sign({ ...honest(), iss: 'https://evil.example' })],
  ['aud without the client', 'aud', () => sign({ ...honest(), aud: 'someone-else' })],
  ['several audiences without azp', 'azp', () => sign({ ...honest(), aud: [CLIENT_ID, 'other'] })],
  ['azp naming another client', 'azp', () => sign({ ...honest(), aud: [CLIENT_ID, 'other'], azp: 'other' })],
  ['expired', 'exp', () => sign({ ...honest(), exp: now() - 60 })],
  ['iat in the future beyond the tolerance', 'iat', () => sign({ ...honest(), iat: now() + 60 })],
  ['nbf in the future beyond the tolerance', 'nbf', () => sign({ ...honest(), nbf: now() + 60 })],
  ['no sub', 'sub', () => sign({ ...honest(), sub: undefined })],
  [
    'alg none',
    'alg',
    async () =>
      `${Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url')}.${Buffer.from(JSON.stringify(honest())).toString('base64url')}.`,
  ],
  [
    'a tampered payload',
    'signature',
    async () => {
      const [h, , s] = (await sign(honest())).split('.')
      return `${h}.${Buffer.from(JSON.stringify({ ...honest(), sub: 'mallory' })).toString('base64url')}.${s}`
    },
  ],
  ['not a JWS', 'format', async () => 'not-a-jwt'],
  ['a payload that is not JSON', 'format', () => signBytes('not json')],
  ['a payload that is no object', 'format', () => signBytes('[1]')],
  ['aud that is no string', 'aud', () => sign({ ...honest(), aud: 7 as unknown as string })],
  ['exp that is no number', 'exp', () => sign({ ...honest(), exp: 'soon' as unknown as number })],
  ['wrong at_hash', 'at_hash', () => sign({ ...honest(), at_hash: tokenHash('another-token', 'RS256') })],
  [
    'auth_time older than maxAge',
    'auth_time',
    () => sign({ ...honest(), auth_time: now() - 120 }),
    { nonce: 'n-1', maxAge: 60 },
  ],
  ['auth_time missing with maxAge', 'auth_time', () => sign(honest()), { nonce: 'n-1', maxAge: 60 }],
]

for (const [name, claim, make, extra] of tampered) {
  t.test(`refused: ${name}`, async t => {
    let idToken = ''
    issuer.idToken = async () => {
      idToken = await make()
      return idToken
    }
    await using c = client()
    await refused(t, exchange(c, extra), claim, idToken)
    t.equal(c.token, undefined, 'the token is not stored')
  })
}

t.test('refused: a nonce in the token when none was passed back, and no ID token for a nonce', async t => {
  issuer.idToken = () => sign(honest())
  await using c = client()
  await refused(t, exchange(c, {}), 'nonce')
  issuer.idToken = async () => undefined
  await refused(t, exchange(c), 'id_token')
})

t.test('HS256 with the client secret: accepted when registered, another secret refused', async t => {
  const hs = (secret: string) =>
    new SignJWT(honest()).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(secret))
  await using registered = client({ idTokenSignedResponseAlg: 'HS256' })
  issuer.idToken = () => hs(SECRET)
  await exchange(registered)
  t.equal(registered.idTokenClaims()?.sub, 'alice')
  issuer.idToken = () => hs('another-secret-of-at-least-32-bytes-000000')
  await refused(t, exchange(registered), 'signature')
  // HS* is never taken from the provider's metadata: only a client that registered it accepts it.
  await using unregistered = client()
  issuer.idToken = () => hs(SECRET)
  await refused(t, exchange(unregistered), 'alg')
})

t.test('an unknown kid: refused after exactly one refetch, then none within the cooldown', async t => {
  await using c = client({ jwksCooldown: 60 })
  issuer.idToken = () => sign(honest())
  await exchange(c)
  const fetches = issuer.jwksFetches
  issuer.idToken = () => sign(honest(), stranger)
  await refused(t, exchange(c), 'kid')
  t.equal(issuer.jwksFetches, fetches, 'the first fetch is within the cooldown: no refetch')

  await using fresh = client({ jwksCooldown: 0.2 })
  const before = issuer.jwksFetches
  await refused(t, exchange(fresh), 'kid')
  t.equal(issuer.jwksFetches - before, 1, 'first use: one fetch (cooldown not yet passed, so no second)')
  await new Promise(resolve => setTimeout(resolve, 250))
  await refused(t, exchange(fresh), 'kid')
  t.equal(issuer.jwksFetches - before, 2, 'past the cooldown: exactly one refetch, then refused')
})

t.test('rotation: 100 concurrent validations of tokens with a new kid make 1 JWKS fetch', async t => {
  await using c = client({ jwksCooldown: 0.05 })
  issuer.idToken = () => sign(honest())
  await exchange(c)
  await new Promise(resolve => setTimeout(resolve, 60))
  issuer.jwks = [first.jwk, rotated.jwk]
  issuer.idToken = () => sign(honest(), rotated)
  const before = issuer.jwksFetches
  const tokens = await Promise.all(Array.from({ length: 100 }, () => exchange(c)))
  t.equal(tokens.length, 100)
  t.equal(issuer.jwksFetches - before, 1, 'one fetch for 100 validations')
})

t.test('an attacker sending random kids causes at most one JWKS fetch per cooldown', async t => {
  const cooldown = 0.2
  await using c = client({ jwksCooldown: cooldown })
  issuer.idToken = () => sign(honest())
  await exchange(c)
  const before = issuer.jwksFetches
  const started = Date.now()
  // Any key will do for a forger: what matters is a kid the JWKS never held.
  issuer.idToken = () =>
    new SignJWT(honest())
      .setProtectedHeader({ alg: 'RS256', kid: `random-${Math.random()}` })
      .sign(stranger.privateKey)
  let rejected = 0
  for (let round = 0; round < 10; round++) {
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => exchange(c)))
    rejected += results.filter(r => r.status === 'rejected').length
    await new Promise(resolve => setTimeout(resolve, 50))
  }
  const elapsed = (Date.now() - started) / 1000
  t.equal(rejected, 100, 'every forged token refused')
  const allowed = Math.floor(elapsed / cooldown) + 1
  t.ok(
    issuer.jwksFetches - before <= allowed,
    `${issuer.jwksFetches - before} fetches in ${elapsed} s <= ${allowed}`,
  )
})

t.test('refresh (§12.2): another sub is refused, the same one accepted', async t => {
  issuer.idToken = () => sign(honest())
  await using c = client()
  await exchange(c)
  issuer.idToken = () => sign({ ...honest(), nonce: undefined })
  await c.refreshToken()
  t.equal(c.idTokenClaims()?.sub, 'alice')
  issuer.idToken = () => sign({ ...honest(), nonce: undefined, sub: 'mallory' })
  await refused(t, c.refreshToken(), 'sub')
  t.equal(c.idTokenClaims()?.sub, 'alice', 'the refused token did not replace the current one')
  issuer.idToken = async () => undefined
  await c.refreshToken()
  t.equal(c.idTokenClaims()?.sub, 'alice', 'a refresh without an ID token keeps the original')
})

t.test('userinfo naming another sub is refused', async t => {
  issuer.idToken = () => sign(honest())
  issuer.userinfo = { sub: 'mallory' }
  t.teardown(() => {
    issuer.userinfo = { sub: 'alice' }
  })
  await using c = client()
  await exchange(c)
  await refused(t, c.userinfo(), 'sub')
})

t.test(
  'JWKS and userinfo: the session deadline ends a stalled call; an http:// jwks_uri on another host is refused',
  async t => {
    issuer.idToken = () => sign(honest())
    issuer.stallJwks = true
    await using slow = client({ timeout: 300 })
    const started = Date.now()
    await t.rejects(exchange(slow), { code: 'ERR_OAUTH_REQUEST_TIMEOUT' })
    t.ok(Date.now() - started < 2_000, 'within the deadline')

    issuer.stallJwks = false
    await exchange(slow)
    issuer.stallUserinfo = true
    const asked = Date.now()
    await t.rejects(
      slow.userinfo(),
      { code: 'ERR_OAUTH_REQUEST_TIMEOUT' },
      'userinfo honours the deadline too',
    )
    t.ok(Date.now() - asked < 2_000)

    await using insecure = client({ jwksUri: 'http://keys.example.test/jwks' })
    await t.rejects(exchange(insecure), { code: 'ERR_OAUTH_INSECURE_TRANSPORT' })
  },
)

t.test('Cache-Control max-age and the wire hash', async t => {
  t.equal(cacheMaxAge(undefined), undefined)
  t.equal(cacheMaxAge('public, max-age=600'), 600)
  t.equal(cacheMaxAge('no-store'), 0)
  t.equal(cacheMaxAge('public'), undefined)
  // OpenID Connect Core §3.3.2.11: the left half of SHA-256, base64url.
  const digest = createHash('sha256').update('token-1').digest()
  t.equal(tokenHash('token-1', 'RS256'), digest.subarray(0, 16).toString('base64url'))
  t.equal(tokenHash('token-1', 'Ed448'), undefined)
})

t.test('implicit and hybrid responses: the fragment ID token is checked with at_hash and c_hash', async t => {
  await using c = client({ codeChallengeMethod: null })
  const fragment = (params: Record<string, string>) =>
    `https://app.example/cb#${new URLSearchParams({ state: 's-1', ...params })}`
  const implicit = async (accessToken: string, atHashOf: string) =>
    fragment({
      access_token: accessToken,
      token_type: 'Bearer',
      id_token: await sign({ ...honest(), at_hash: tokenHash(atHashOf, 'RS256')! }),
    })
  const ok = await c.fetchToken(undefined, {
    authorizationResponse: await implicit('at-implicit', 'at-implicit'),
    state: 's-1',
    nonce: 'n-1',
  })
  t.equal(ok.access_token, 'at-implicit')
  t.equal(c.idTokenClaims()?.at_hash, tokenHash('at-implicit', 'RS256'))
  await refused(
    t,
    c.fetchToken(undefined, {
      authorizationResponse: await implicit('at-2', 'other'),
      state: 's-1',
      nonce: 'n-1',
    }),
    'at_hash',
  )

  const hybrid = async (code: string, cHashOf: string) =>
    fragment({ code, id_token: await sign({ ...honest(), c_hash: tokenHash(cHashOf, 'RS256')! }) })
  issuer.idToken = () => sign(honest())
  await c.fetchToken(undefined, {
    authorizationResponse: await hybrid('code-9', 'code-9'),
    state: 's-1',
    nonce: 'n-1',
  })
  t.equal(c.token?.refresh_token, 'rt-1', 'the code was exchanged')
  const requests = issuer.tokenRequests
  await refused(
    t,
    c.fetchToken(undefined, {
      authorizationResponse: await hybrid('code-9', 'code-8'),
      state: 's-1',
      nonce: 'n-1',
    }),
    'c_hash',
  )
  t.equal(issuer.tokenRequests, requests, 'refused before the code is sent to the token endpoint')
})

t.test('a signed userinfo answer is verified like an ID token', async t => {
  issuer.idToken = () => sign(honest())
  await using c = client()
  await exchange(c)
  issuer.userinfoJwt = await sign({
    sub: 'alice',
    email: 'alice@example.test',
    iss: server.url,
    aud: CLIENT_ID,
  })
  t.match(await c.userinfo(), { sub: 'alice', email: 'alice@example.test' })
  issuer.userinfoJwt = await sign({ sub: 'alice', aud: 'other-client' })
  await refused(t, c.userinfo(), 'aud')
  issuer.userinfoJwt = await sign({ sub: 'alice' }, stranger)
  await refused(t, c.userinfo(), 'kid')
  issuer.userinfoJwt = await sign({ sub: 'mallory' })
  await refused(t, c.userinfo(), 'sub')
  issuer.userinfoJwt = undefined
  issuer.userinfo = { name: 'no sub' }
  await t.rejects(c.userinfo(), { code: 'ERR_OAUTH_INVALID_RESPONSE', message: /without a string `sub`/ })
  issuer.userinfoStatus = 403
  issuer.userinfo = { error: 'insufficient_scope' }
  await t.rejects(c.userinfo(), { code: 'ERR_OAUTH', error: 'insufficient_scope', statusCode: 403 })
})

t.test('userinfo needs an endpoint and an ID token to compare with', async t => {
  await using noEndpoint = client({ metadata: { issuer: server.url } })
  await t.rejects(noEndpoint.userinfo(), { code: 'ERR_OAUTH_INVALID_ARGUMENT', message: /userinfoEndpoint/ })
  await t.rejects(noEndpoint.userinfo({ signl: undefined } as never), {
    code: 'ERR_OAUTH_INVALID_ARGUMENT',
    message: /unknown userinfo parameter `signl`: did you mean `signal`\?/,
  })
  await using noIdToken = client({ token: { access_token: 'at-x', token_type: 'Bearer' } })
  await refused(t, noIdToken.userinfo(), 'sub')
})

t.test('JWKS lifetime: Cache-Control max-age, never shorter than the cooldown', async t => {
  issuer.idToken = () => sign(honest())
  issuer.jwksCacheControl = 'max-age=0'
  await using c = client({ jwksCooldown: 0.1 })
  const before = issuer.jwksFetches
  await exchange(c)
  await exchange(c)
  t.equal(issuer.jwksFetches - before, 1, 'max-age=0 still lives one cooldown')
  await new Promise(resolve => setTimeout(resolve, 150))
  await exchange(c)
  t.equal(issuer.jwksFetches - before, 2, 'past its lifetime the JWKS is fetched again, kid known or not')

  issuer.jwksCacheControl = 'max-age=3600'
  await using long = client({ jwksCooldown: 0.1 })
  const start = issuer.jwksFetches
  await exchange(long)
  await new Promise(resolve => setTimeout(resolve, 150))
  await exchange(long)
  t.equal(issuer.jwksFetches - start, 1, 'max-age=3600 keeps it')
})

t.test('JWKS documents and keys that cannot serve', async t => {
  issuer.idToken = () => sign(honest())
  issuer.jwksBody = 'not json'
  await using c1 = client()
  await t.rejects(exchange(c1), { code: 'ERR_OAUTH_INVALID_RESPONSE', message: /jwks_uri .* not JSON/ })
  issuer.jwksBody = '{"nokeys":[]}'
  await using c2 = client()
  await t.rejects(exchange(c2), { code: 'ERR_OAUTH_INVALID_RESPONSE', message: /no `keys` array/ })
  issuer.jwksBody = undefined

  // Two RSA keys and a token without kid: which one is meant is not guessed.
  issuer.jwks = [first.jwk, { ...rotated.jwk, kid: undefined }, null as unknown as JWK]
  issuer.idToken = () => new SignJWT(honest()).setProtectedHeader({ alg: 'RS256' }).sign(first.privateKey)
  await using c3 = client()
  const err = await exchange(c3).catch((e: unknown) => e)
  t.match(err, { claim: 'kid', message: /2 keys .* verify RS256 and the token names no kid/ })

  // A key whose use, key_ops, alg or curve forbid verifying RS256 is not a match.
  issuer.jwks = [
    { ...first.jwk, use: 'enc' },
    { ...first.jwk, key_ops: ['encrypt'] },
    { ...first.jwk, alg: 'PS256' },
    { kty: 'EC', crv: 'P-384', kid: 'k1', x: 'x', y: 'y' },
  ]
  issuer.idToken = () => sign(honest())
  await using c4 = client()
  await refused(t, exchange(c4), 'kid')

  // A listed key that cannot be imported is named, not thrown as jose's own error.
  const cache = new JwksCache('https://op.example/jwks', {
    fetch: async () => ({
      body: JSON.stringify({ keys: [{ kty: 'EC', crv: 'P-256', kid: 'bad', x: 'AA', y: 'AA' }] }),
      maxAge: undefined,
    }),
    cooldown: 30,
  })
  await t.rejects(cache.keyFor({ alg: 'ES256', kid: 'bad' }), {
    claim: 'kid',
    message: /'bad' cannot be imported for ES256/,
  })
})

t.test('what the client must know to validate', async t => {
  issuer.idToken = () => sign(honest())
  await using noJwks = client({ metadata: { issuer: server.url } })
  await refused(t, exchange(noJwks), 'jwks_uri')
  await using noIssuer = client({ metadata: { jwks_uri: `${server.url}/jwks` } })
  await refused(t, exchange(noIssuer), 'iss')
  t.equal(noIssuer.token, undefined)
  // Without an issuer and without a nonce (not an authentication request), the ID token is kept
  // unvalidated and never reported as validated claims.
  await exchange(noIssuer, {})
  t.type(noIssuer.token?.id_token, 'string')
  t.equal(noIssuer.idTokenClaims(), undefined)
  // Only an implicit response reaches validation without a clientId: every token request needs one.
  await using noClientId = client({ clientId: undefined, tokenEndpointAuthMethod: 'none' })
  const implicit = `https://app.example/cb#${new URLSearchParams({
    access_token: 'at-1',
    token_type: 'Bearer',
    id_token: await sign(honest()),
  })}`
  await refused(t, noClientId.fetchToken(undefined, { authorizationResponse: implicit, nonce: 'n-1' }), 'aud')
  await using keySecret = client({
    idTokenSignedResponseAlg: 'HS256',
    clientSecret: { kty: 'oct', k: 'c2VjcmV0' },
    tokenEndpointAuthMethod: 'none',
  })
  issuer.idToken = () =>
    new SignJWT(honest()).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(SECRET))
  await refused(t, exchange(keySecret), 'alg')
  // RS256 is the default when the provider lists no algorithms (OpenID Connect Discovery §3).
  issuer.idToken = () => sign(honest())
  await using defaults = client({ metadata: { issuer: server.url, jwks_uri: `${server.url}/jwks` } })
  await exchange(defaults)
  t.equal(defaults.idTokenClaims()?.sub, 'alice')
})

t.test('options and parameters of OpenID Connect', async t => {
  t.throws(() => client({ idTokenSignedResponseAlg: 'none' }), { code: 'ERR_OAUTH_INVALID_OPTION' })
  t.throws(() => client({ clockTolerance: -1 }), {
    code: 'ERR_OAUTH_INVALID_OPTION',
    message: /clockTolerance/,
  })
  t.throws(() => client({ jwksCooldown: Number.NaN }), {
    code: 'ERR_OAUTH_INVALID_OPTION',
    message: /jwksCooldown/,
  })
  await using c = client({
    authorizationEndpoint: 'https://op.example/authorize',
    endSessionEndpoint: 'https://op.example/logout?x=1',
    scope: 'openid',
  })
  const { url, nonce } = c.createAuthorizationUrl(undefined, {
    maxAge: 300,
    prompt: ['login', 'consent'],
    loginHint: 'alice@example.test',
    claims: { id_token: { email: { essential: true } } },
    acrValues: ['urn:mace:incommon:iap:silver', 'urn:mace:incommon:iap:bronze'],
    uiLocales: 'fr-CA fr',
  })
  const params = new URL(url).searchParams
  t.same(
    [
      params.get('max_age'),
      params.get('prompt'),
      params.get('login_hint'),
      params.get('claims'),
      params.get('acr_values'),
      params.get('ui_locales'),
      params.get('nonce'),
    ],
    [
      '300',
      'login consent',
      'alice@example.test',
      '{"id_token":{"email":{"essential":true}}}',
      'urn:mace:incommon:iap:silver urn:mace:incommon:iap:bronze',
      'fr-CA fr',
      nonce,
    ],
  )
  t.equal(
    new URL(c.createAuthorizationUrl(undefined, { claims: '{"userinfo":{}}' }).url).searchParams.get(
      'claims',
    ),
    '{"userinfo":{}}',
  )
  t.throws(() => c.createAuthorizationUrl(undefined, { maxAge: -1 }), /maxAge/)
  t.throws(() => c.createAuthorizationUrl(undefined, { claims: 7 as unknown as string }), /claims/)
  t.throws(
    () => c.createAuthorizationUrl(undefined, { maxAge: 5, extraParams: { max_age: '1' } }),
    /max_age is set both by `maxAge` and by extraParams.max_age/,
  )
  t.equal(
    new URL(c.createAuthorizationUrl(undefined, { extraParams: { ui_locales: 'de' } }).url).searchParams.get(
      'ui_locales',
    ),
    'de',
    'extraParams may still carry them alone',
  )

  const logout = new URL(
    c.createEndSessionUrl({ logoutHint: 'alice', uiLocales: ['de', 'en'], idTokenHint: 'h' }),
  )
  t.equal(logout.origin + logout.pathname, 'https://op.example/logout')
  t.same(Object.fromEntries(logout.searchParams), {
    x: '1',
    id_token_hint: 'h',
    logout_hint: 'alice',
    client_id: CLIENT_ID,
    ui_locales: 'de en',
  })
  t.throws(() => c.createEndSessionUrl({ postLogoutRedirectURI: 'x' } as never), /postLogoutRedirectUri/)
  await using none = client()
  t.throws(() => none.createEndSessionUrl(), /end_session_endpoint/)
})

t.test('refresh of a token restored from storage: compared with its stored ID token (§12.2)', async t => {
  const original = { ...honest(), auth_time: now() - 100 }
  const stored = {
    access_token: 'at-0',
    token_type: 'Bearer',
    refresh_token: 'rt-0',
    id_token: await sign(original),
  }
  await using c = client({ token: stored })
  t.equal(c.idTokenClaims(), undefined, 'a restored ID token is not reported as validated')
  issuer.idToken = () => sign({ ...honest('n-other'), auth_time: original.auth_time })
  await refused(t, c.refreshToken(), 'nonce')
  issuer.idToken = () => sign({ ...honest(), auth_time: original.auth_time + 5 })
  await refused(t, c.refreshToken(), 'auth_time')
  issuer.idToken = () => sign({ ...honest(), iss: 'https://other.example' })
  await refused(t, c.refreshToken(), 'iss')
  issuer.idToken = () => sign({ ...honest(), auth_time: original.auth_time })
  await c.refreshToken()
  t.equal(c.idTokenClaims()?.auth_time, original.auth_time)

  // A stored ID token that does not even decode leaves nothing to compare with.
  await using garbled = client({ token: { ...stored, id_token: 'garbled' } })
  issuer.idToken = () => sign(honest('n-any'))
  await garbled.refreshToken()
  t.equal(garbled.idTokenClaims()?.sub, 'alice')
})

t.test('refresh (§12.2) compares aud with the original ID token', async t => {
  issuer.idToken = () => sign(honest())
  await using c = client()
  await exchange(c)
  issuer.idToken = () => sign({ ...honest(), nonce: undefined, aud: [CLIENT_ID, 'other'], azp: CLIENT_ID })
  await refused(t, c.refreshToken(), 'aud')
})
