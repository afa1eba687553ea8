/**
 * RFC 9207 against the real oidc-provider, which advertises
 * `authorization_response_iss_parameter_supported` and puts `iss` in every authorization response:
 * a callback with a foreign `iss`, and one without `iss`, are refused before any token request (the
 * code stays unused); the genuine callback then passes. An error response is checked the same way.
 */
import t from 'tap'
import { MismatchingIssuerError } from '../../lib/errors.js'
import { OAuth2Client } from '../../lib/oauth2/client.js'
import { oauthError } from '../fixtures/match.js'
import { DEFAULT_CLIENTS, REDIRECT_URI, startProvider } from '../fixtures/provider.js'

const op = await startProvider()
t.teardown(() => op.close())

const client = await OAuth2Client.discover(op.issuer, {
  clientId: DEFAULT_CLIENTS.basic.client_id,
  clientSecret: DEFAULT_CLIENTS.basic.client_secret,
  redirectUri: REDIRECT_URI,
  scope: 'api:read',
})
t.teardown(() => client.close())

/** The callback with its `iss` replaced (or removed, for null). */
function withIss(callback: string, iss: string | null): string {
  const url = new URL(callback)
  if (iss === null) url.searchParams.delete('iss')
  else url.searchParams.set('iss', iss)
  return url.href
}

t.test('the provider promises iss, and sends it', async t => {
  t.equal(client.metadata.authorization_response_iss_parameter_supported, true)
  const { url } = client.createAuthorizationUrl()
  t.equal(new URL(await op.driveAuthorization(url)).searchParams.get('iss'), op.issuer)
})

t.test('a foreign iss and a missing iss are refused before any token request', async t => {
  const request = client.createAuthorizationUrl()
  const callback = await op.driveAuthorization(request.url)
  const exchange = (authorizationResponse: string) =>
    client.fetchToken(undefined, {
      authorizationResponse,
      state: request.state,
      codeVerifier: request.codeVerifier,
    })
  op.counters.reset()
  const foreign = ['https://evil.example', `${op.issuer}/`, op.issuer.replace('127.0.0.1', 'localhost')]
  for (const iss of foreign) {
    await t.rejects(
      exchange(withIss(callback, iss)),
      { constructor: MismatchingIssuerError, code: 'ERR_OAUTH_MISMATCHING_ISSUER', error: 'invalid_issuer' },
      iss,
    )
  }
  await t.rejects(exchange(withIss(callback, null)), {
    constructor: MismatchingIssuerError,
    message: /has no iss, which the server promises/,
  })
  t.equal(op.counters.total(), 0, 'no token request was made')

  // The code was never sent, so the genuine callback still exchanges it.
  const token = await exchange(callback)
  t.type(token.access_token, 'string')
  t.same(op.counters.byGrantType, { authorization_code: 1 })
})

t.test('an error response is checked for iss before its error is reported', async t => {
  const request = client.createAuthorizationUrl()
  const denied = await op.driveAuthorization(request.url, { deny: true })
  const read = (authorizationResponse: string) =>
    client.fetchToken(undefined, { authorizationResponse, state: request.state })
  await t.rejects(read(withIss(denied, 'https://evil.example')), MismatchingIssuerError)
  await t.rejects(read(withIss(denied, null)), MismatchingIssuerError)
  await t.rejects(read(denied), oauthError('access_denied', { code: 'ERR_OAUTH' }))
})
