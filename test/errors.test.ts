import t from 'tap'
import {
  ClientClosedError,
  InsecureTransportError,
  InvalidArgumentError,
  InvalidOptionError,
  InvalidResponseError,
  MismatchingStateError,
  MissingTokenError,
  OAUTH_ERROR_CODES,
  OAuthError,
  type OAuthErrorCode,
  RequestTimeoutError,
  TokenExpiredError,
  TokenStoreError,
} from '../lib/errors.js'
import { argumentError, checkKnownKeys, checkKnownParams, checkString } from '../lib/http/options.js'
import * as api from '../lib/index.js'
import { toPrivateKey } from '../lib/keys.js'
import { signRequest } from '../lib/oauth1/sign-request.js'
import { createSigner } from '../lib/oauth1/signature.js'

t.test('every error has its name, code, and OAuthError ancestry', async t => {
  const cases: [Error & { code: string }, string, string][] = [
    [new OAuthError('x', { error: 'invalid_client', statusCode: 401 }), 'OAuthError', 'ERR_OAUTH'],
    [
      new InvalidResponseError('x', { statusCode: 500, excerpt: '<html>' }),
      'InvalidResponseError',
      'ERR_OAUTH_INVALID_RESPONSE',
    ],
    [new MismatchingStateError(), 'MismatchingStateError', 'ERR_OAUTH_MISMATCHING_STATE'],
    [new MissingTokenError(), 'MissingTokenError', 'ERR_OAUTH_MISSING_TOKEN'],
    [new TokenExpiredError(), 'TokenExpiredError', 'ERR_OAUTH_TOKEN_EXPIRED'],
    [new InsecureTransportError('x'), 'InsecureTransportError', 'ERR_OAUTH_INSECURE_TRANSPORT'],
    [new ClientClosedError(), 'ClientClosedError', 'ERR_OAUTH_CLIENT_CLOSED'],
  ]
  for (const [err, name, code] of cases) {
    t.equal(err.name, name)
    t.equal(err.code, code)
    t.equal(err instanceof OAuthError, name !== 'ClientClosedError', `${name} ancestry`)
  }
})

t.test('OAuthError carries RFC 6749 fields and chains its cause', async t => {
  const cause = new Error('socket hang up')
  const err = new OAuthError('token endpoint said invalid_grant', {
    error: 'invalid_grant',
    description: 'grant revoked',
    uri: 'https://example.com/e',
    statusCode: 400,
    cause,
  })
  t.equal(err.error, 'invalid_grant')
  t.equal(err.description, 'grant revoked')
  t.equal(err.uri, 'https://example.com/e')
  t.equal(err.statusCode, 400)
  t.equal(err.cause, cause)
  t.equal(new OAuthError('x').error, 'oauth_error')
  t.equal(new InvalidResponseError('x', { excerpt: 'abc' }).excerpt, 'abc')
})

/** One instance of every error class the package exports, made the way the package makes it. */
const samples: Record<string, Error & { code: OAuthErrorCode }> = {
  OAuthError: new OAuthError('x'),
  InvalidResponseError: new InvalidResponseError('x'),
  MismatchingStateError: new MismatchingStateError(),
  MissingTokenError: new MissingTokenError(),
  TokenExpiredError: new TokenExpiredError(),
  InsecureTransportError: new InsecureTransportError('x'),
  ClientClosedError: new ClientClosedError(),
  RequestTimeoutError: new RequestTimeoutError(5),
  InvalidOptionError: new InvalidOptionError('x'),
  InvalidArgumentError: new InvalidArgumentError('x'),
  TokenStoreError: new TokenStoreError('x'),
}

t.test(
  'every exported error class has one code from OAUTH_ERROR_CODES, and every code has its class',
  async t => {
    const exported = Object.entries(api).filter(
      ([, value]) => typeof value === 'function' && value.prototype instanceof Error,
    )
    t.same(
      exported.map(([name]) => name).sort(),
      Object.keys(samples).sort(),
      'a sample for each exported class',
    )
    const codes = new Set<string>()
    for (const [name, err] of Object.entries(samples)) {
      t.ok(OAUTH_ERROR_CODES.includes(err.code), `${name}: ${err.code} is in the list`)
      t.notOk(codes.has(err.code), `${name}: its code is its own`)
      codes.add(err.code)
    }
    t.same([...codes].sort(), [...OAUTH_ERROR_CODES].sort(), 'no code in the list without a class')
  },
)

t.test('option and argument errors are TypeErrors named TypeError, told apart by code', async t => {
  const cause = new Error('why')
  for (const [err, code] of [
    [new InvalidOptionError('bad option', { cause }), 'ERR_OAUTH_INVALID_OPTION'],
    [new InvalidArgumentError('bad argument', { cause }), 'ERR_OAUTH_INVALID_ARGUMENT'],
  ] as const) {
    t.ok(err instanceof TypeError, `${code} is a TypeError`)
    t.notOk(err instanceof OAuthError, `${code} is not an OAuthError`)
    t.equal(err.name, 'TypeError')
    t.equal(err.code, code)
    t.equal(err.cause, cause)
  }
  t.equal(
    new RequestTimeoutError(250, 'token renewal').message,
    'token renewal did not complete within 250 ms',
  )
})

const OPTION = { name: 'TypeError', code: 'ERR_OAUTH_INVALID_OPTION' }
const ARGUMENT = { name: 'TypeError', code: 'ERR_OAUTH_INVALID_ARGUMENT' }

t.test('a bad constructor option, key or secret throws ERR_OAUTH_INVALID_OPTION', async t => {
  t.throws(() => new api.OAuth2Client({ clientId: 3 as never }), { ...OPTION, message: /option `clientId`/ })
  t.throws(() => new api.OAuth2Client({ clientID: 'x' } as never), {
    ...OPTION,
    message: /did you mean `clientId`/,
  })
  t.throws(() => new api.OAuth1Client({ clientId: 'k', realm: 'a"b' }), OPTION)
  t.throws(() => new api.OAuth1Client({ clientId: 'k', signatureMethod: 'RSA-SHA256' }), OPTION)
  t.throws(() => new api.PrivateKeyJWT('https://as.example/token', { alg: 'HS256' as never }), OPTION)
  t.throws(() => new api.ClientSecretJWT('https://as.example/token', { expiresIn: -1 }), OPTION)
  t.throws(() => api.AssertionClient.fromServiceAccount('{not json'), OPTION)
  t.throws(() => toPrivateKey('not a key', 'option `key`'), {
    ...OPTION,
    message: /^option `key` needs a private key/,
  })
  t.throws(() => createSigner('PLAINTEXT', { clientSecret: '\ud800' }), OPTION)
  t.throws(() => checkKnownKeys('thing option', { nonse: 1 }, ['nonce']), OPTION)
})

t.test('a bad argument to a call throws ERR_OAUTH_INVALID_ARGUMENT', async t => {
  const signer = createSigner('HMAC-SHA1', { clientSecret: 's' })
  const request = (method: string, headers: Record<string, string> = {}) => ({
    method,
    url: new URL('https://api.example/r'),
    headers,
    body: null,
    form: undefined,
  })
  const sign = (req: ReturnType<typeof request>, realm?: string) =>
    signRequest(req as never, { clientId: 'k', signer, signatureType: 'header', realm })
  t.throws(() => sign(request('GET X')), { ...ARGUMENT, message: /HTTP token/ })
  t.throws(() => sign(request('GET', { host: 'a b' })), { ...ARGUMENT, message: /Host header/ })
  t.throws(() => sign(request('GET'), 'a"b'), { ...ARGUMENT, message: /realm must not contain/ })
  t.throws(() => checkString('verifier', 4, argumentError), {
    ...ARGUMENT,
    message: '`verifier` must be a string, got 4',
  })
  t.throws(() => checkKnownParams('fetchToken parameter', { nonse: 1 }, ['nonce']), {
    ...ARGUMENT,
    message: 'unknown fetchToken parameter `nonse`: did you mean `nonce`?',
  })
})

t.test("each class's code is typed with its own literal (checked by npm run typecheck)", async t => {
  // Each assignment compiles only while the class's `code` is its literal, not `string` or the union.
  const codes: OAuthErrorCode[] = [
    new InvalidResponseError('x').code satisfies 'ERR_OAUTH_INVALID_RESPONSE',
    new MismatchingStateError().code satisfies 'ERR_OAUTH_MISMATCHING_STATE',
    new MissingTokenError().code satisfies 'ERR_OAUTH_MISSING_TOKEN',
    new TokenExpiredError().code satisfies 'ERR_OAUTH_TOKEN_EXPIRED',
    new InsecureTransportError('x').code satisfies 'ERR_OAUTH_INSECURE_TRANSPORT',
    new ClientClosedError().code satisfies 'ERR_OAUTH_CLIENT_CLOSED',
    new RequestTimeoutError(1).code satisfies 'ERR_OAUTH_REQUEST_TIMEOUT',
    new InvalidOptionError('x').code satisfies 'ERR_OAUTH_INVALID_OPTION',
    new InvalidArgumentError('x').code satisfies 'ERR_OAUTH_INVALID_ARGUMENT',
  ]
  // @ts-expect-error a plain OAuthError's code is the union, not one literal
  new OAuthError('x').code satisfies 'ERR_OAUTH'
  t.equal(new Set(codes).size, codes.length)
})
