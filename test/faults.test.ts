/**
 * Every way a token, revocation or introspection endpoint can misbehave, against every call that
 * reaches one: the outcome is the documented typed error or a successful retry, within the
 * deadline, and the next call on the same client succeeds.
 */

import { generateKeyPairSync } from 'node:crypto'
import t from 'tap'
import { InvalidResponseError, RequestTimeoutError } from '../lib/errors.js'
import { OAuth1Client } from '../lib/oauth1/client.js'
import { AssertionClient } from '../lib/oauth2/assertion-client.js'
import { OAuth2Client } from '../lib/oauth2/client.js'
import { type Fault, startFaultServer } from './fixtures/fault-server.js'

const TIMEOUT = 1_500
const past = () => Math.floor(Date.now() / 1000) - 10
const tokenBody = (extra: Record<string, unknown> = {}) => ({
  access_token: `at-${Math.random().toString(36).slice(2)}`,
  token_type: 'Bearer',
  expires_in: 3600,
  ...extra,
})

type Kind = 'grant' | 'refresh' | 'revoke' | 'introspect' | 'oauth1'
/** 'ok', an error class, undici's own socket error, or an OAuthError with that `error`. */
type Outcome = 'ok' | typeof InvalidResponseError | typeof RequestTimeoutError | 'socket' | `oauth:${string}`

interface Operation {
  name: string
  kind: Kind
  /** A client whose `call` makes one request to the endpoint under test. */
  setup(base: string): { client: OAuth1Client | OAuth2Client | AssertionClient; call(): Promise<unknown> }
}

const fresh = (base: string, extra: object = {}) =>
  new OAuth2Client({
    clientId: 'faulty-client',
    clientSecret: 'faulty-secret',
    tokenEndpoint: `${base}/token`,
    revocationEndpoint: `${base}/revoke`,
    introspectionEndpoint: `${base}/introspect`,
    timeout: TIMEOUT,
    ...extra,
  })

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })

const resource = async (client: OAuth2Client | AssertionClient, base: string) => {
  const { statusCode, body } = await client.get(`${base}/resource`)
  await body.dump()
  if (statusCode !== 200) throw new Error(`resource answered ${statusCode}`)
}

/** A client that obtains its token by itself: each call starts without one and asks the resource. */
const obtainingOnRequest = (client: OAuth2Client | AssertionClient, base: string) => ({
  client,
  call: async () => {
    client.token = undefined
    await resource(client, base)
  },
})

const operations: Operation[] = [
  {
    name: 'fetchToken (client credentials)',
    kind: 'grant',
    setup: base => {
      const client = fresh(base)
      return { client, call: () => client.fetchToken() }
    },
  },
  {
    name: 'automatic re-grant (grantType)',
    kind: 'grant',
    setup: base => {
      return obtainingOnRequest(fresh(base, { grantType: 'client_credentials' }), base)
    },
  },
  {
    name: 'AssertionClient jwt-bearer grant',
    kind: 'grant',
    setup: base => {
      const client = new AssertionClient({
        tokenEndpoint: `${base}/token`,
        issuer: 'service@example.test',
        key: privateKey,
        timeout: TIMEOUT,
      })
      return obtainingOnRequest(client, base)
    },
  },
  {
    name: 'OAuth1Client fetchRequestToken',
    kind: 'oauth1',
    setup: base => {
      const client = new OAuth1Client({
        clientId: 'oauth1-client',
        clientSecret: 'oauth1-secret',
        timeout: TIMEOUT,
      })
      return { client, call: () => client.fetchRequestToken(`${base}/request_token`) }
    },
  },
  {
    name: 'OAuth1Client fetchAccessToken',
    kind: 'oauth1',
    setup: base => {
      const client = new OAuth1Client({
        clientId: 'oauth1-client',
        clientSecret: 'oauth1-secret',
        timeout: TIMEOUT,
      })
      return {
        client,
        call: () => {
          // The temporary credentials and verifier of step 2, each time: step 3 replaces them.
          client.token = {
            oauth_token: 'temporary',
            oauth_token_secret: 'temporary-secret',
            oauth_verifier: 'v',
          }
          return client.fetchAccessToken(`${base}/access_token`)
        },
      }
    },
  },
  {
    name: 'refreshToken (explicit)',
    kind: 'refresh',
    setup: base => {
      const client = fresh(base, { token: { access_token: 'a', token_type: 'Bearer', refresh_token: 'rt' } })
      return { client, call: () => client.refreshToken() }
    },
  },
  {
    name: 'automatic refresh',
    kind: 'refresh',
    setup: base => {
      const client = fresh(base)
      return {
        client,
        call: async () => {
          client.token = {
            access_token: 'old',
            token_type: 'Bearer',
            expires_at: past(),
            refresh_token: 'rt',
          }
          await resource(client, base)
        },
      }
    },
  },
  {
    name: 'revokeToken',
    kind: 'revoke',
    setup: base => {
      const client = fresh(base, { token: { access_token: 'a', token_type: 'Bearer' } })
      return { client, call: () => client.revokeToken() }
    },
  },
  {
    name: 'introspectToken',
    kind: 'introspect',
    setup: base => {
      const client = fresh(base, { token: { access_token: 'a', token_type: 'Bearer' } })
      return { client, call: () => client.introspectToken() }
    },
  },
]

/** The good answer of each endpoint, played whenever the script is empty. */
const good = (path: string): Fault => {
  if (path === '/token') return { kind: 'json', body: tokenBody({ refresh_token: 'rt' }) }
  if (path === '/introspect') return { kind: 'json', body: { active: true } }
  if (path === '/resource') return { kind: 'json', body: { ok: true } }
  if (path === '/request_token' || path === '/access_token') {
    return {
      kind: 'text',
      status: 200,
      contentType: 'application/x-www-form-urlencoded',
      body: 'oauth_token=t0k3n-value&oauth_token_secret=t0k3n-secret&oauth_callback_confirmed=true',
    }
  }
  return { kind: 'text', status: 200, body: '' }
}

const huge = { kind: 'huge', bytes: 10 * 1024 * 1024 } as const
const I = InvalidResponseError
const T = RequestTimeoutError

/**
 * fault -> outcome per kind of call. Token-shaped bodies only matter where a token is parsed;
 * revocation reads nothing of a 200 but its size.
 */
const table: [string, Fault[], Record<Kind, Outcome>][] = [
  [
    'a slow answer',
    [{ kind: 'slow', ms: 150 }],
    { grant: 'ok', refresh: 'ok', revoke: 'ok', introspect: 'ok', oauth1: 'ok' },
  ],
  ['no answer at all', [{ kind: 'hang' }], { grant: T, refresh: T, revoke: T, introspect: T, oauth1: T }],
  [
    '503 once (retried, except a refresh)',
    [{ kind: 'text', status: 503, body: 'unavailable' }],
    { grant: 'ok', refresh: I, revoke: 'ok', introspect: 'ok', oauth1: 'ok' },
  ],
  [
    '429 with Retry-After: 1',
    [{ kind: 'json', status: 429, body: { error: 'slow_down' }, headers: { 'retry-after': '1' } }],
    { grant: 'ok', refresh: 'oauth:slow_down', revoke: 'ok', introspect: 'ok', oauth1: 'ok' },
  ],
  [
    'an HTML 502 page once',
    [{ kind: 'html', status: 502 }],
    { grant: 'ok', refresh: I, revoke: 'ok', introspect: 'ok', oauth1: 'ok' },
  ],
  [
    'an HTML 500 page',
    [{ kind: 'html', status: 500 }],
    { grant: I, refresh: I, revoke: I, introspect: I, oauth1: I },
  ],
  [
    'a reset before any byte (the keep-alive race)',
    [{ kind: 'reset-before' }],
    { grant: 'ok', refresh: 'socket', revoke: 'ok', introspect: 'ok', oauth1: 'ok' },
  ],
  [
    'a reset in the middle of the body',
    [{ kind: 'reset-mid' }],
    { grant: 'socket', refresh: 'socket', revoke: 'socket', introspect: 'socket', oauth1: 'socket' },
  ],
  [
    'truncated JSON',
    [{ kind: 'truncated-json' }],
    { grant: I, refresh: I, revoke: 'ok', introspect: I, oauth1: I },
  ],
  [
    'JSON labelled text/html',
    [
      {
        kind: 'text',
        status: 200,
        contentType: 'text/html',
        body: JSON.stringify(tokenBody({ active: true })),
      },
    ],
    { grant: 'ok', refresh: 'ok', revoke: 'ok', introspect: 'ok', oauth1: I },
  ],
  ['a 10 MB body', [huge], { grant: I, refresh: I, revoke: I, introspect: I, oauth1: I }],
  [
    'a 10 MB body with content-length',
    [{ ...huge, declareLength: true }],
    { grant: I, refresh: I, revoke: I, introspect: I, oauth1: I },
  ],
  [
    'a body dripping slower than the deadline',
    [{ kind: 'drip', body: tokenBody({ active: true }), interval: 100 }],
    { grant: T, refresh: T, revoke: T, introspect: T, oauth1: T },
  ],
  [
    'expires_in as an object',
    [{ kind: 'json', body: tokenBody({ expires_in: { s: 1 } }) }],
    { grant: I, refresh: I, revoke: 'ok', introspect: I, oauth1: I },
  ],
  [
    'access_token as a number',
    [{ kind: 'json', body: tokenBody({ access_token: 12345 }) }],
    { grant: I, refresh: I, revoke: 'ok', introspect: I, oauth1: I },
  ],
  [
    'token_type missing',
    [{ kind: 'json', body: tokenBody({ token_type: undefined }) }],
    { grant: I, refresh: I, revoke: 'ok', introspect: I, oauth1: I },
  ],
  [
    'token_type in lower case',
    [{ kind: 'json', body: tokenBody({ token_type: 'bearer', active: false }) }],
    { grant: 'ok', refresh: 'ok', revoke: 'ok', introspect: 'ok', oauth1: I },
  ],
  [
    'invalid_grant (never retried)',
    [{ kind: 'json', status: 400, body: { error: 'invalid_grant' } }],
    {
      grant: 'oauth:invalid_grant',
      refresh: 'oauth:invalid_grant',
      revoke: 'oauth:invalid_grant',
      introspect: 'oauth:invalid_grant',
      oauth1: 'oauth:invalid_grant',
    },
  ],
]

for (const [name, faults, outcomes] of table) {
  t.test(name, async t => {
    await Promise.all(
      operations.map(async operation => {
        const server = await startFaultServer(good)
        t.teardown(server.close)
        const { client, call } = operation.setup(server.url)
        t.teardown(() => client.close())
        server.push(...faults)
        const expected = outcomes[operation.kind]
        const started = Date.now()
        const result = await call().then(
          () => 'ok' as const,
          (err: unknown) => err,
        )
        const elapsed = Date.now() - started
        const label = `${operation.name}: ${name}`
        if (expected === 'ok') t.equal(result, 'ok', `${label} succeeds`)
        else if (expected === 'socket')
          t.match(result, { code: /^UND_ERR_SOCKET$|^ECONNRESET$|^UND_ERR_/ }, `${label}: undici's own error`)
        else if (typeof expected === 'string') {
          t.match(
            result,
            { name: 'OAuthError', error: expected.slice(6) },
            `${label}: OAuthError ${expected.slice(6)}`,
          )
        } else
          t.ok(
            result instanceof expected,
            `${label}: ${expected.name} (got ${String((result as Error)?.name)})`,
          )
        t.ok(elapsed < TIMEOUT + 1_000, `${label}: settled in ${elapsed} ms`)
        if (expected === 'oauth:invalid_grant') {
          t.equal(server.requests.filter(r => r.path !== '/resource').length, 1, `${label}: never retried`)
        }
        // A renewal outlives the request that started it by the moments between their deadlines.
        await new Promise(resolve => setTimeout(resolve, 100))
        const next = await call().then(
          () => 'ok',
          (err: unknown) => err,
        )
        t.equal(next, 'ok', `${label}: the next call on the same client succeeds`)
      }),
    )
  })
}

t.test('a Retry-After past the deadline is not waited for', async t => {
  const server = await startFaultServer(good)
  t.teardown(server.close)
  await using client = fresh(server.url)
  server.push({ kind: 'json', status: 429, body: { error: 'slow_down' }, headers: { 'retry-after': '30' } })
  const started = Date.now()
  await t.rejects(client.fetchToken(), {
    name: 'OAuthError',
    error: 'slow_down',
    statusCode: 429,
  } as unknown as Error)
  t.ok(Date.now() - started < 500, 'failed at once')
})

t.test('retries are bounded, back off, and can be disabled', async t => {
  const server = await startFaultServer({ kind: 'text', status: 503, body: 'down' })
  t.teardown(server.close)
  await using client = fresh(server.url, { timeout: 5_000 })
  const started = Date.now()
  await t.rejects(client.fetchToken(), { name: 'InvalidResponseError', statusCode: 503 } as unknown as Error)
  t.equal(server.requests.length, 3, 'the first attempt and 2 retries')
  const gaps = [
    server.requests[1]!.at - server.requests[0]!.at,
    server.requests[2]!.at - server.requests[1]!.at,
  ]
  t.ok(gaps[0]! >= 90 && gaps[1]! >= 190, `exponential backoff with jitter: ${gaps.join(', ')} ms`)
  t.ok(Date.now() - started < 2_000)
  await using once = fresh(server.url, { tokenRetries: 0 })
  await t.rejects(once.fetchToken(), { statusCode: 503 } as unknown as Error)
  t.equal(server.requests.length, 4, 'tokenRetries: 0 sends once')
  t.throws(() => fresh(server.url, { tokenRetries: -1 }), /option `tokenRetries`/)
})

t.test('a refused connection is retried even for a refresh (nothing reached the server)', async t => {
  const server = await startFaultServer(good)
  const base = server.url
  await server.close()
  await using client = fresh(base, {
    token: { access_token: 'a', token_type: 'Bearer', refresh_token: 'rt' },
  })
  const started = Date.now()
  await t.rejects(client.refreshToken(), { code: 'ECONNREFUSED' } as unknown as Error)
  t.ok(Date.now() - started >= 250, 'it waited and tried again before giving up')
})
