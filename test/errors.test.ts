import t from 'tap'
import {
  ClientClosedError,
  InsecureTransportError,
  InvalidResponseError,
  MismatchingStateError,
  MissingTokenError,
  OAuthError,
  TokenExpiredError,
} from '../lib/errors.js'

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
