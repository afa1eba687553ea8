/**
 * ID token validation against a scripted issuer on 127.0.0.1 that signs its own tokens with jose
 * (issue 15 acceptance 2, 3, 4): every tampered claim is refused with IdTokenValidationError naming
 * it, JWKS fetches are counted at the server (unknown kids, single flight, cooldown), and the JWKS
 * fetch honours the session's deadline and transport rule.
 */
import { createHash } from 'node:crypto'
import { exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose'
import t, { type Test } from 'tap'
import { IdTokenValidationError } from '../lib/errors.js'
import { OAuth2Client, type OAuth2ClientOptions } from '../lib/oauth2/client.js'
import { cacheMaxAge } from '../lib/oidc/jwks-cache.js'
import { tokenHash } from '../lib/oidc/token-hash.js'
import { startServer } from './fixtures/http-server.js'

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
  stallJwks: false,
  /** The next token endpoint answer's id_token, given the access token it goes with. */
  idToken: async (_accessToken: string): Promise<string | undefined> => undefined,
  userinfo: { sub: 'alice' } as Record<string, unknown>,
}

const server = await startServer(async (req, res) => {
  res.setHeader('content-type', 'application/json')
  if (req.url === '/jwks') {
    issuer.jwksFetches++
    if (issuer.stallJwks) return // never answers: the client's deadline ends the wait
    res.end(JSON.stringify({ keys: issuer.jwks }))
  } else if (req.url === '/token') {
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
    res.end(JSON.stringify(issuer.userinfo))
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
})

t.test('an honest ID token is validated and its claims kept', async t => {
  issuer.idToken = async accessToken => sign({ ...honest(), at_hash: tokenHash(accessToken, 'RS256') })
  await using c = client()
  await exchange(c)
  t.equal(c.idTokenClaims()?.sub, 'alice')
  t.equal((await c.userinfo()).sub, 'alice')
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

t.test('JWKS: the session deadline ends a stalled fetch; http:// on another host is refused', async t => {
  issuer.idToken = () => sign(honest())
  issuer.stallJwks = true
  await using slow = client({ timeout: 300 })
  const started = Date.now()
  await t.rejects(exchange(slow), { code: 'ERR_OAUTH_REQUEST_TIMEOUT' })
  t.ok(Date.now() - started < 2_000, 'within the deadline')

  await using insecure = client({ jwksUri: 'http://keys.example.test/jwks' })
  await t.rejects(exchange(insecure), { code: 'ERR_OAUTH_INSECURE_TRANSPORT' })
})

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
