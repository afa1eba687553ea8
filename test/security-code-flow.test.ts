/**
 * Issue 11 item 5 (and issue 12's state rule): a code flow takes only a code. A token in the
 * callback's query is always refused; a fragment token only in a flow that is not a code flow; a
 * callback state the caller did not expect is refused; RFC 9207 `iss` is checked when the client
 * knows its issuer. Each refusal happens before any request: the token endpoint records nothing
 * and no token is stored.
 */
import t, { type Test } from 'tap'
import { InvalidResponseError, MismatchingIssuerError, MismatchingStateError } from '../lib/errors.js'
import { OAuth2Client, type OAuth2ClientOptions } from '../lib/oauth2/client.js'
import type { FetchTokenParams } from '../lib/oauth2/grants.js'
import { json, type RecordingServer, start } from './fixtures/recording-server.js'

const VERIFIER = 'v'.repeat(43)
const CALLBACK = 'https://app.example/cb'

async function tokenEndpoint(): Promise<RecordingServer> {
  const s = await start()
  t.teardown(s.close)
  s.respond((_request, res) =>
    json(res, { access_token: 'from-endpoint', token_type: 'Bearer', expires_in: 60 }),
  )
  return s
}

function client(endpoint: RecordingServer, options: OAuth2ClientOptions = {}): OAuth2Client {
  const c = new OAuth2Client({
    clientId: 'app',
    clientSecret: 'app-secret-0123',
    redirectUri: CALLBACK,
    tokenEndpoint: `${endpoint.url}/token`,
    ...options,
  })
  t.teardown(() => c.close())
  return c
}

/** Rejects with `expected`, and nothing reached the token endpoint nor was stored. */
async function refused(
  t: Test,
  c: OAuth2Client,
  endpoint: RecordingServer,
  call: Promise<unknown>,
  expected: object,
  what: string,
): Promise<unknown> {
  const err = await call.then(
    () => undefined,
    (e: unknown) => e,
  )
  t.match(err, expected, what)
  t.equal(endpoint.seen.length, 0, `${what}: no token request`)
  t.equal(c.token, undefined, `${what}: no token stored`)
  return err
}

t.test('an access_token in the callback query is always refused', async t => {
  const endpoint = await tokenEndpoint()
  const c = client(endpoint)
  const injected = `${CALLBACK}?access_token=attacker-token&token_type=Bearer&state=s1`
  for (const params of [{ codeVerifier: VERIFIER }, {}, { grantType: 'implicit' }] as FetchTokenParams[]) {
    await refused(
      t,
      c,
      endpoint,
      c.fetchToken(undefined, { authorizationResponse: injected, state: 's1', ...params }),
      { constructor: InvalidResponseError, message: /access_token in its query/ },
      `query token with ${JSON.stringify(params)}`,
    )
  }
  await refused(
    t,
    c,
    endpoint,
    c.fetchToken(undefined, {
      authorizationResponse: `${CALLBACK}?code=c1&access_token=attacker-token&state=s1`,
      state: 's1',
      codeVerifier: VERIFIER,
    }),
    InvalidResponseError,
    'beside a code too',
  )
})

t.test('a fragment token is refused in a code flow', async t => {
  const endpoint = await tokenEndpoint()
  const c = client(endpoint)
  const injected = `${CALLBACK}#access_token=attacker-token&token_type=Bearer&state=s1`
  for (const params of [
    { codeVerifier: VERIFIER },
    { code: 'c1' },
    { grantType: 'authorization_code' },
  ] as FetchTokenParams[]) {
    await refused(
      t,
      c,
      endpoint,
      c.fetchToken(undefined, { authorizationResponse: injected, state: 's1', ...params }),
      { constructor: InvalidResponseError, message: /a code flow takes only a code/ },
      `fragment token with ${Object.keys(params)[0]}`,
    )
  }
  // Not a code flow: the implicit grant's token is read from the fragment, with no request.
  const implicit = await c.fetchToken(undefined, { authorizationResponse: injected, state: 's1' })
  t.equal(implicit.access_token, 'attacker-token')
  t.equal(c.token?.access_token, 'attacker-token')
  t.equal(endpoint.seen.length, 0)
})

t.test('a code wins over a token beside it: the code is exchanged, the token never used', async t => {
  const endpoint = await tokenEndpoint()
  const c = client(endpoint)
  for (const callback of [
    `${CALLBACK}?code=c1&state=s1#access_token=attacker-token&token_type=Bearer`,
    `${CALLBACK}#code=c1&access_token=attacker-token&token_type=Bearer&state=s1`,
  ]) {
    const token = await c.fetchToken(undefined, {
      authorizationResponse: callback,
      state: 's1',
      codeVerifier: VERIFIER,
    })
    t.equal(token.access_token, 'from-endpoint')
    const form = new URLSearchParams(endpoint.seen.at(-1)!.body)
    t.equal(form.get('code'), 'c1')
    t.equal(form.get('code_verifier'), VERIFIER)
  }
  t.notOk(endpoint.received('attacker-token'), 'the injected token went nowhere')
  t.equal(endpoint.seen.length, 2)
})

t.test('a callback state when the caller passed none is refused (CSRF)', async t => {
  const endpoint = await tokenEndpoint()
  const c = client(endpoint)
  const err = await refused(
    t,
    c,
    endpoint,
    c.fetchToken(undefined, {
      authorizationResponse: `${CALLBACK}?code=c1&state=s1`,
      codeVerifier: VERIFIER,
    }),
    MismatchingStateError,
    'state without an expected one',
  )
  t.match((err as Error).message, /pass the state created with the authorization URL/)
  await refused(
    t,
    c,
    endpoint,
    c.fetchToken(undefined, {
      authorizationResponse: `${CALLBACK}#access_token=at-123456&token_type=Bearer&state=s1`,
    }),
    MismatchingStateError,
    'implicit state without an expected one',
  )
  await refused(
    t,
    c,
    endpoint,
    c.fetchToken(undefined, { authorizationResponse: `${CALLBACK}?code=c1&state=other`, state: 's1' }),
    MismatchingStateError,
    'a different state',
  )
  // Neither side has a state: nothing to compare, the code is exchanged.
  await c.fetchToken(undefined, { authorizationResponse: `${CALLBACK}?code=c1`, codeVerifier: VERIFIER })
  t.equal(endpoint.seen.length, 1)
})

t.test('RFC 9207: a foreign iss is refused when the client knows its issuer', async t => {
  const endpoint = await tokenEndpoint()
  const issuer = 'https://as.example'
  const c = client(endpoint, { metadata: { issuer } })
  const err = await refused(
    t,
    c,
    endpoint,
    c.fetchToken(undefined, {
      authorizationResponse: `${CALLBACK}?code=c1&state=s1&iss=${encodeURIComponent('https://evil.example')}`,
      state: 's1',
      codeVerifier: VERIFIER,
    }),
    { constructor: MismatchingIssuerError, error: 'invalid_issuer' },
    'foreign iss',
  )
  t.match((err as Error).message, /iss 'https:\/\/evil\.example' is not the issuer 'https:\/\/as\.example'/)
  await refused(
    t,
    c,
    endpoint,
    c.fetchToken(undefined, {
      authorizationResponse: `${CALLBACK}?error=access_denied&state=s1&iss=${encodeURIComponent(`${issuer}/`)}`,
      state: 's1',
    }),
    { constructor: MismatchingIssuerError, error: 'invalid_issuer' },
    'an error response with a foreign iss (RFC 9207 §2.4), even one slash away',
  )
  // Without iss the response is accepted: this server does not promise one.
  await c.fetchToken(undefined, {
    authorizationResponse: `${CALLBACK}?code=c1&state=s1`,
    state: 's1',
    codeVerifier: VERIFIER,
  })
  const matching = `${CALLBACK}?code=c2&state=s1&iss=${encodeURIComponent(issuer)}`
  await c.fetchToken(undefined, { authorizationResponse: matching, state: 's1', codeVerifier: VERIFIER })
  t.equal(endpoint.seen.length, 2)
  t.equal(new URLSearchParams(endpoint.seen[1]!.body).get('code'), 'c2')
})

t.test('RFC 9207: when the server promises iss, a callback without it is refused', async t => {
  const endpoint = await tokenEndpoint()
  const issuer = 'https://as.example'
  const c = client(endpoint, { metadata: { issuer, authorization_response_iss_parameter_supported: true } })
  await refused(
    t,
    c,
    endpoint,
    c.fetchToken(undefined, {
      authorizationResponse: `${CALLBACK}?code=c1&state=s1`,
      state: 's1',
      codeVerifier: VERIFIER,
    }),
    { constructor: MismatchingIssuerError, error: 'invalid_issuer', message: /has no iss/ },
    'missing iss',
  )
  const implicit = await c.fetchToken(undefined, {
    authorizationResponse: `${CALLBACK}#access_token=at-123456&token_type=Bearer&state=s1&iss=${encodeURIComponent(issuer)}`,
    state: 's1',
  })
  t.equal(implicit.iss, undefined, 'iss is not part of the token')
  t.equal(implicit.state, undefined)
})
