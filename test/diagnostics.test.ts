/**
 * Issue 18, acceptance 1: every diagnostics channel (docs/observability.md) subscribed while
 * clients run against the real oidc-provider: client credentials, refresh with rotation, a 401
 * retry and a close, each event seen with its fields and durations; renewal waits, TokenStore lock
 * waits and adoptions, the error path of the token-request TracingChannel, every reason a token
 * call names, and the DPoP nonce publisher called directly. Every secret that crossed the wire
 * (harvested from undici's own `undici:request:create` channel) and every token issued is then
 * searched for in the JSON of every message: none may be there.
 */
import { createPublicKey } from 'node:crypto'
import diagnostics_channel from 'node:diagnostics_channel'
import { readFileSync } from 'node:fs'
import t, { type Test } from 'tap'
import { errorCode } from '../lib/diagnostics/error-code.js'
import { publishDpopNonceRetry } from '../lib/diagnostics/publish.js'
import { OAuthError } from '../lib/errors.js'
import {
  AssertionClient,
  DIAGNOSTICS_CHANNELS,
  JWT_BEARER_GRANT_TYPE,
  MemoryTokenStore,
  OAuth2Client,
  type OAuth2ClientOptions,
  type OAuth2Token,
  type ServiceAccountKey,
  TOKEN_EXCHANGE_GRANT_TYPE,
  TOKEN_TYPES,
  type TokenRequestMessage,
  type TokenStore,
} from '../lib/index.js'
import { startServer } from './fixtures/http-server.js'
import { oauthError } from './fixtures/match.js'
import {
  DEFAULT_CLIENTS,
  DEVICE_CLIENTS,
  DEVICE_CODE_GRANT,
  EXCHANGE_CLIENT,
  startProvider,
  startResource,
  TEST_USER,
} from './fixtures/provider.js'

const serviceAccount = JSON.parse(
  readFileSync(new URL('fixtures/keys/service-account.json', import.meta.url), 'utf8'),
) as ServiceAccountKey & { client_id: string }
const serviceAccountJwk = {
  ...createPublicKey(serviceAccount.private_key).export({ format: 'jwk' }),
  kid: serviceAccount.private_key_id,
}

const op = await startProvider({
  deviceFlow: true,
  tokenExchange: true,
  serviceAccounts: [
    { clientId: serviceAccount.client_id, issuer: serviceAccount.client_email, publicJwk: serviceAccountJwk },
  ],
})
const rs = await startResource(op.provider)
t.teardown(async () => {
  await rs.close()
  await op.close()
})
const TOKEN_PATH = new URL(op.urls.token).pathname
const basic = DEFAULT_CLIENTS.basic

// ---- every secret and token, gathered as the tests run ----

/** Values no message may hold: what the wire carried of credentials, and every token issued. */
const secrets = new Set<string>(
  [
    ...Object.values(DEFAULT_CLIENTS).map(c => ('client_secret' in c ? c.client_secret : undefined)),
    DEVICE_CLIENTS.confidential.client_secret,
    EXCHANGE_CLIENT.client_secret,
    TEST_USER.password,
    serviceAccount.private_key,
    serviceAccount.private_key_id,
  ].filter(value => typeof value === 'string'),
)
/** Form fields and headers that carry a secret of some kind (RFC 6749, 7523, 7636, 8628, 8693). */
const SECRET_FIELDS = [
  'client_secret',
  'client_assertion',
  'assertion',
  'refresh_token',
  'code',
  'code_verifier',
  'device_code',
  'subject_token',
  'actor_token',
  'password',
  'access_token',
  'token',
]
function harvest({ request }: { request: { body?: unknown; headers?: unknown } }): void {
  const body = request.body
  const text = typeof body === 'string' ? body : Buffer.isBuffer(body) ? body.toString('utf8') : ''
  const form = new URLSearchParams(text)
  for (const name of SECRET_FIELDS) for (const value of form.getAll(name)) secrets.add(value)
  const headers = request.headers
  const pairs = Array.isArray(headers)
    ? headers.map(String)
    : typeof headers === 'string'
      ? headers.split('\r\n').flatMap(line => line.split(/:\s*/, 2))
      : []
  for (let i = 0; i + 1 < pairs.length; i += 2) {
    if (pairs[i]!.toLowerCase() !== 'authorization') continue
    const credentials = pairs[i + 1]!.replace(/^\S+\s+/, '')
    secrets.add(credentials)
    if (/^basic /i.test(pairs[i + 1]!)) secrets.add(Buffer.from(credentials, 'base64').toString('utf8'))
  }
}
diagnostics_channel.subscribe('undici:request:create', harvest as (message: unknown) => void)
t.teardown(() =>
  diagnostics_channel.unsubscribe('undici:request:create', harvest as (message: unknown) => void),
)

function keepToken(token: OAuth2Token | undefined): void {
  for (const value of [token?.access_token, token?.refresh_token, token?.id_token]) {
    if (value !== undefined) secrets.add(value)
  }
}
const updateToken = (token: OAuth2Token) => keepToken(token)

// ---- every channel, recorded ----

interface Seen {
  /** 'token-request:start' ... for the TracingChannel, else the channel's key in DIAGNOSTICS_CHANNELS. */
  channel: string
  /** A copy taken when it was published (the tracing context object changes between events). */
  message: Record<string, unknown>
  /** The object published: a tracing call's events share one. */
  context: object
}
const seen: Seen[] = []
const TRACING_EVENTS = ['start', 'end', 'asyncStart', 'asyncEnd', 'error'] as const
const tracing = diagnostics_channel.tracingChannel<unknown, TokenRequestMessage>(
  DIAGNOSTICS_CHANNELS.tokenRequest,
)
const tracingHandlers = Object.fromEntries(
  TRACING_EVENTS.map(event => [
    event,
    (message: TokenRequestMessage) =>
      seen.push({ channel: `token-request:${event}`, message: { ...message }, context: message }),
  ]),
) as unknown as Parameters<typeof tracing.subscribe>[0]
tracing.subscribe(tracingHandlers)
const unsubscribers = Object.entries(DIAGNOSTICS_CHANNELS)
  .filter(([key]) => key !== 'tokenRequest')
  .map(([key, name]) => {
    const listener = (message: unknown) =>
      seen.push({ channel: key, message: { ...(message as object) }, context: message as object })
    diagnostics_channel.subscribe(name, listener)
    return () => diagnostics_channel.unsubscribe(name, listener)
  })
t.teardown(() => {
  tracing.unsubscribe(tracingHandlers)
  for (const unsubscribe of unsubscribers) unsubscribe()
})

/** The fields each channel's messages may have: nothing else may appear. */
const CLIENT_FIELDS = ['clientType', 'clientId']
const ALLOWED: Record<string, string[]> = {
  'token-request': [
    ...CLIENT_FIELDS,
    'grantType',
    'reason',
    'origin',
    'path',
    'statusCode',
    'durationMs',
    'errorCode',
    'oauthError',
  ],
  renewalWait: [...CLIENT_FIELDS, 'waiters', 'durationMs', 'outcome', 'errorCode'],
  unauthorizedRetry: [...CLIENT_FIELDS, 'method', 'origin', 'path', 'durationMs'],
  dpopNonceRetry: [...CLIENT_FIELDS, 'server', 'method', 'origin', 'path'],
  storeLockWait: [...CLIENT_FIELDS, 'durationMs', 'polls', 'outcome'],
  storeAdopt: [...CLIENT_FIELDS, 'stage'],
  sessionClose: [...CLIENT_FIELDS, 'kind', 'inFlight', 'durationMs'],
}

/** One token-endpoint call as its TracingChannel events told it. */
interface TokenCall {
  events: string[]
  /** The message as the last event (asyncEnd) saw it. */
  last: Record<string, unknown>
  /** The message as `start` saw it. */
  first: Record<string, unknown>
}

/** The token calls among `events`, grouped by their shared context object, in start order. */
function tokenCalls(events: Seen[]): TokenCall[] {
  const calls = new Map<object, TokenCall>()
  for (const { channel, message, context } of events) {
    if (!channel.startsWith('token-request:')) continue
    const event = channel.slice('token-request:'.length)
    let call = calls.get(context)
    if (call === undefined) {
      call = { events: [], first: message, last: message }
      calls.set(context, call)
    }
    call.events.push(event)
    call.last = message
  }
  return [...calls.values()]
}

const of = (events: Seen[], channel: string) => events.filter(e => e.channel === channel).map(e => e.message)
const mark = () => seen.length
const since = (at: number) => seen.slice(at)

const OK_EVENTS = ['start', 'end', 'asyncStart', 'asyncEnd']
const FAILED_EVENTS = ['start', 'end', 'error', 'asyncStart', 'asyncEnd']

/** Checks one successful token call against the provider: its events in order, fields, outcome. */
function checkCall(
  t: Test,
  call: TokenCall | undefined,
  expected: { clientType?: string; clientId: string | undefined; grantType: string; reason: string },
): void {
  t.ok(call, `a ${expected.reason} token call`)
  if (call === undefined) return
  t.same(call.events, OK_EVENTS, 'start, end, asyncStart, asyncEnd, on one context object')
  const describing = {
    clientType: expected.clientType ?? 'OAuth2Client',
    clientId: expected.clientId,
    grantType: expected.grantType,
    reason: expected.reason,
    origin: op.issuer,
    path: TOKEN_PATH,
  }
  t.same(call.first, describing, 'start carries what the call is, nothing of its outcome yet')
  t.match(call.last, { ...describing, statusCode: 200, durationMs: Number })
  t.ok((call.last.durationMs as number) > 0, 'a positive duration')
}

function client(options: OAuth2ClientOptions): OAuth2Client {
  return new OAuth2Client({
    tokenEndpoint: op.urls.token,
    clientId: basic.client_id,
    clientSecret: basic.client_secret,
    updateToken,
    ...options,
  })
}

function expire(c: { token: OAuth2Token | undefined }): void {
  c.token = { ...c.token!, expires_at: Math.floor(Date.now() / 1000) - 5 }
}

async function getData(c: {
  get(url: string): Promise<{ statusCode: number; body: { dump(): Promise<void> } }>
}) {
  const { statusCode, body } = await c.get(`${rs.url}/data`)
  await body.dump()
  return statusCode
}

async function dropAccessToken(value: string): Promise<void> {
  const token = await op.provider.AccessToken.find(value)
  await (token as unknown as { destroy(): Promise<void> }).destroy()
}

// ---- the scenarios ----

t.test('client credentials: first token, explicit fetch, re-grant, each traced once', async t => {
  const at = mark()
  await using c = client({ grantType: 'client_credentials', scope: 'api:read' })
  t.equal(await getData(c), 200)
  const firstEvents = since(at)
  const [first] = tokenCalls(firstEvents)
  checkCall(t, first, { clientId: basic.client_id, grantType: 'client_credentials', reason: 'first-token' })
  t.match(of(firstEvents, 'renewalWait'), [
    {
      clientType: 'OAuth2Client',
      clientId: basic.client_id,
      waiters: 1,
      outcome: 'renewed',
      durationMs: Number,
    },
  ])
  t.notOk('errorCode' in of(firstEvents, 'renewalWait')[0]!, 'no error code on success')

  const explicit = mark()
  keepToken(await c.fetchToken())
  const [fetched] = tokenCalls(since(explicit))
  checkCall(t, fetched, { clientId: basic.client_id, grantType: 'client_credentials', reason: 'explicit' })
  t.same(of(since(explicit), 'renewalWait'), [], 'an explicit call is no shared renewal')

  expire(c)
  const again = mark()
  t.equal(await getData(c), 200)
  const calls = tokenCalls(since(again))
  t.equal(calls.length, 1)
  checkCall(t, calls[0], { clientId: basic.client_id, grantType: 'client_credentials', reason: 're-grant' })
})

t.test('refresh with rotation: explicit password grant, then refreshes, automatic and explicit', async t => {
  await using c = client({ scope: 'openid api:read' })
  const at = mark()
  keepToken(await c.fetchToken(undefined, { ...TEST_USER }))
  checkCall(t, tokenCalls(since(at))[0], {
    clientId: basic.client_id,
    grantType: 'password',
    reason: 'explicit',
  })

  const before = c.token!.refresh_token!
  expire(c)
  const automatic = mark()
  t.equal(await getData(c), 200)
  const [refresh] = tokenCalls(since(automatic))
  checkCall(t, refresh, { clientId: basic.client_id, grantType: 'refresh_token', reason: 'refresh' })
  t.not(c.token!.refresh_token, before, 'the provider rotated the refresh token')
  t.equal(op.counters.refreshTokensPresented.at(-1), before, 'the old one was presented')

  const explicit = mark()
  keepToken(await c.refreshToken())
  checkCall(t, tokenCalls(since(explicit))[0], {
    clientId: basic.client_id,
    grantType: 'refresh_token',
    reason: 'explicit',
  })
})

t.test('renewal wait: N concurrent requests share one refresh and one message says so', async t => {
  await using c = client({ scope: 'openid api:read' })
  keepToken(await c.fetchToken(undefined, { ...TEST_USER }))
  expire(c)
  const at = mark()
  const statuses = await Promise.all(Array.from({ length: 12 }, () => getData(c)))
  t.same(new Set(statuses), new Set([200]))
  const events = since(at)
  const calls = tokenCalls(events)
  t.equal(calls.length, 1, 'one token call for twelve requests')
  checkCall(t, calls[0], { clientId: basic.client_id, grantType: 'refresh_token', reason: 'refresh' })
  const waits = of(events, 'renewalWait')
  t.match(waits, [{ waiters: 12, outcome: 'renewed', durationMs: Number }])
  t.ok((waits[0]!.durationMs as number) >= (calls[0]!.last.durationMs as number), 'the wait spans the call')
})

t.test('a 401 invalid_token: one after-401 refresh, one retry message per request', async t => {
  await using c = client({ scope: 'openid api:read' })
  keepToken(await c.fetchToken(undefined, { ...TEST_USER }))
  await dropAccessToken(c.token!.access_token)
  const at = mark()
  const statuses = await Promise.all(Array.from({ length: 5 }, () => getData(c)))
  t.same(new Set(statuses), new Set([200]), 'each retried with the new token')
  const events = since(at)
  const calls = tokenCalls(events)
  t.equal(calls.length, 1)
  checkCall(t, calls[0], { clientId: basic.client_id, grantType: 'refresh_token', reason: 'after-401' })
  const retries = of(events, 'unauthorizedRetry')
  t.equal(retries.length, 5)
  for (const retry of retries) {
    t.same(Object.keys(retry).sort(), [...ALLOWED.unauthorizedRetry!].sort())
    t.match(retry, {
      clientType: 'OAuth2Client',
      clientId: basic.client_id,
      method: 'GET',
      origin: rs.url,
      path: '/data',
      durationMs: Number,
    })
  }
  // A 401 that arrives after the renewal finished queues a pass of its own, which finds the token
  // already replaced and makes no call: the waiters of all the passes are the five requests.
  const waits = of(events, 'renewalWait')
  t.equal(
    waits.reduce((sum, wait) => sum + (wait.waiters as number), 0),
    5,
    'every request waited on a renewal',
  )
  t.ok(waits.every(wait => wait.outcome === 'renewed'))
  keepToken(c.token)
})

t.test('the uri placement: the retry message names the path, never the query with the token', async t => {
  await using c = client({ scope: 'openid api:read', tokenPlacement: 'uri' })
  keepToken(await c.fetchToken(undefined, { ...TEST_USER }))
  await dropAccessToken(c.token!.access_token)
  const at = mark()
  const { statusCode, body } = await c.get(`${rs.url}/data?page=2`)
  await body.dump()
  t.equal(statusCode, 200)
  t.match(of(since(at), 'unauthorizedRetry'), [{ origin: rs.url, path: '/data' }])
  keepToken(c.token)
})

t.test('close and destroy: one message each, with the requests still in flight', async t => {
  const c = client({ grantType: 'client_credentials' })
  t.equal(await getData(c), 200)
  keepToken(c.token)
  const at = mark()
  const pending = getData(c)
  await c.close()
  await c.close()
  t.equal(await pending, 200, 'close let the request finish')
  t.match(of(since(at), 'sessionClose'), [
    { clientType: 'OAuth2Client', clientId: basic.client_id, kind: 'close', inFlight: 1, durationMs: Number },
  ])

  const d = client({ grantType: 'client_credentials' })
  const destroyed = mark()
  await d.destroy()
  t.match(of(since(destroyed), 'sessionClose'), [
    {
      clientType: 'OAuth2Client',
      clientId: basic.client_id,
      kind: 'destroy',
      inFlight: 0,
      durationMs: Number,
    },
  ])
})

t.test('the error path: a refused token call publishes error between end and asyncStart', async t => {
  await using c = client({ clientSecret: 'not-the-secret', grantType: 'client_credentials' })
  const at = mark()
  await t.rejects(c.fetchToken(), oauthError('invalid_client'))
  const [call] = tokenCalls(since(at))
  t.same(call?.events, FAILED_EVENTS)
  t.match(call?.last, {
    grantType: 'client_credentials',
    reason: 'explicit',
    statusCode: 401,
    errorCode: 'ERR_OAUTH',
    oauthError: 'invalid_client',
    durationMs: Number,
  })
  t.notOk('error' in call!.last, 'the error object itself is not on the message')

  const automatic = mark()
  await t.rejects(c.get(`${rs.url}/data`), oauthError('invalid_client'))
  t.match(of(since(automatic), 'renewalWait'), [{ waiters: 1, outcome: 'failed', errorCode: 'ERR_OAUTH' }])
})

t.test('the error path: no answer at all, and an unusable answer inside the trace', async t => {
  const closed = await startServer(() => {})
  const port = closed.port
  await closed.close()
  await using refused = client({ tokenEndpoint: `http://127.0.0.1:${port}/token`, tokenRetries: 0 })
  const at = mark()
  await t.rejects(refused.fetchToken(undefined, { grantType: 'client_credentials' }))
  const [call] = tokenCalls(since(at))
  t.same(call?.events, FAILED_EVENTS)
  t.notOk('statusCode' in call!.last, 'no answer, no status')
  t.match(call?.last, { errorCode: /^(ECONNREFUSED|UND_ERR)/, origin: `http://127.0.0.1:${port}` })
  t.notOk('oauthError' in call!.last)

  const garbled = await startServer((_req, res) => {
    res.setHeader('content-type', 'application/json')
    res.end('{"token_type":"Bearer"}')
  })
  t.teardown(() => garbled.close())
  await using unusable = client({ tokenEndpoint: `${garbled.url}/oauth/token` })
  const parsed = mark()
  await t.rejects(unusable.fetchToken(undefined, { grantType: 'client_credentials' }), {
    code: 'ERR_OAUTH_INVALID_RESPONSE',
  })
  const [bad] = tokenCalls(since(parsed))
  t.same(bad?.events, FAILED_EVENTS, 'a 200 without access_token fails the traced call')
  t.match(bad?.last, { statusCode: 200, errorCode: 'ERR_OAUTH_INVALID_RESPONSE', path: '/oauth/token' })
})

t.test('token store: adopted before the lock, after waiting for it, lock wait timed', async t => {
  const store = new MemoryTokenStore()
  const options = { grantType: 'client_credentials', scope: 'api:read', tokenStore: store } as const
  await using a = client(options)
  await using b = client(options)
  const at = mark()
  const statuses = await Promise.all([getData(a), getData(b)])
  t.same(statuses, [200, 200])
  const events = since(at)
  t.equal(tokenCalls(events).length, 1, 'one token call between the two clients')
  const waits = of(events, 'storeLockWait')
  t.match(waits, [
    { clientType: 'OAuth2Client', clientId: basic.client_id, outcome: 'adopted', durationMs: Number },
  ])
  t.ok((waits[0]!.polls as number) >= 1, 'it read the store while it waited')
  t.match(of(events, 'storeAdopt'), [{ clientId: basic.client_id, stage: 'lock-wait' }])
  keepToken(a.token)

  await using late = client(options)
  const later = mark()
  t.equal(await getData(late), 200)
  t.same(tokenCalls(since(later)), [], 'no token call: the stored token was fresh')
  t.match(of(since(later), 'storeAdopt'), [{ stage: 'before-lock' }])
})

/** A TokenStore on `inner` whose methods the test replaces at will. */
function scriptedStore(overrides: Partial<TokenStore>, inner = new MemoryTokenStore()): TokenStore {
  return {
    get: key => inner.get(key),
    lock: (key, ttl) => inner.lock(key, ttl),
    save: (key, token, owner) => inner.save(key, token, owner),
    release: (key, owner) => inner.release(key, owner),
    ...overrides,
  }
}

t.test('token store: adopted after the lock, after a refused save; a lock wait that fails', async t => {
  const fresh = (value: string): OAuth2Token => ({
    access_token: value,
    token_type: 'Bearer',
    expires_at: Math.floor(Date.now() / 1000) + 3600,
  })
  let reads = 0
  await using afterLock = client({
    grantType: 'client_credentials',
    tokenStore: scriptedStore({ get: async () => (reads++ === 0 ? undefined : fresh('saved-meanwhile')) }),
  })
  const at = mark()
  await afterLock.ensureActiveToken()
  t.match(of(since(at), 'storeAdopt'), [{ stage: 'after-lock' }])
  t.equal(afterLock.token?.access_token, 'saved-meanwhile')

  let saved = false
  await using refused = client({
    grantType: 'client_credentials',
    tokenStore: scriptedStore({
      get: async () => (saved ? fresh('the-holders-token') : undefined),
      save: async () => {
        saved = true
        return false
      },
    }),
  })
  const refusedAt = mark()
  await refused.ensureActiveToken()
  t.equal(tokenCalls(since(refusedAt)).length, 1)
  t.match(of(since(refusedAt), 'storeAdopt'), [{ stage: 'save-refused' }])
  keepToken(refused.token)

  await using stuck = client({
    grantType: 'client_credentials',
    timeout: 300,
    tokenStore: scriptedStore({ lock: async () => undefined }),
  })
  const stuckAt = mark()
  await t.rejects(stuck.ensureActiveToken())
  t.match(of(since(stuckAt), 'storeLockWait'), [{ outcome: 'failed', durationMs: Number }])
  t.same(tokenCalls(since(stuckAt)), [], 'no token call while another holds the lock')
})

t.test('a lock whose holder gave up: the waiter takes it ("locked") and makes the call', async t => {
  let holderGone = false
  let tries = 0
  const inner = new MemoryTokenStore()
  const store = scriptedStore(
    {
      lock: async (key, ttl) => {
        tries++
        return holderGone ? inner.lock(key, ttl) : undefined
      },
    },
    inner,
  )
  await using c = client({ grantType: 'client_credentials', tokenStore: store })
  setTimeout(() => {
    holderGone = true
  }, 50)
  const at = mark()
  t.equal(await getData(c), 200)
  t.ok(tries >= 2)
  t.match(of(since(at), 'storeLockWait'), [{ outcome: 'locked' }])
  t.equal(tokenCalls(since(at)).length, 1)
  keepToken(c.token)
})

t.test('device polls and token exchange name their reasons', async t => {
  await using device = await OAuth2Client.discover(op.issuer, {
    clientId: DEVICE_CLIENTS.confidential.client_id,
    clientSecret: DEVICE_CLIENTS.confidential.client_secret,
    scope: 'api:read',
    updateToken,
  })
  const authorization = await device.deviceAuthorization()
  secrets.add(authorization.device_code)
  secrets.add(authorization.user_code)
  const at = mark()
  const polling = device.pollDeviceToken(authorization)
  await op.approveDevice(authorization.user_code)
  keepToken(await polling)
  const polls = tokenCalls(since(at))
  t.ok(polls.length >= 1)
  checkCall(t, polls.at(-1), {
    clientId: DEVICE_CLIENTS.confidential.client_id,
    grantType: DEVICE_CODE_GRANT,
    reason: 'device-poll',
  })

  await using user = client({})
  const subject = await user.fetchToken(undefined, { ...TEST_USER, scope: 'api:read' })
  keepToken(subject)
  await using exchanger = client({
    clientId: EXCHANGE_CLIENT.client_id,
    clientSecret: EXCHANGE_CLIENT.client_secret,
  })
  const exchanged = mark()
  const issued = await exchanger.exchangeToken({
    subjectToken: subject.access_token,
    subjectTokenType: TOKEN_TYPES.accessToken,
  })
  secrets.add(issued.access_token)
  checkCall(t, tokenCalls(since(exchanged))[0], {
    clientId: EXCHANGE_CLIENT.client_id,
    grantType: TOKEN_EXCHANGE_GRANT_TYPE,
    reason: 'exchange',
  })
})

t.test('the assertion client: first token, explicit, re-grant, with its client id', async t => {
  await using sa = AssertionClient.fromServiceAccount(
    { ...serviceAccount, token_uri: op.urls.token },
    { scope: ['api:read'], clientId: serviceAccount.client_id, updateToken },
  )
  const expected = {
    clientType: 'AssertionClient',
    clientId: serviceAccount.client_id,
    grantType: JWT_BEARER_GRANT_TYPE,
  }
  const at = mark()
  t.equal(await getData(sa), 200)
  checkCall(t, tokenCalls(since(at))[0], { ...expected, reason: 'first-token' })
  const explicit = mark()
  keepToken(await sa.fetchToken())
  checkCall(t, tokenCalls(since(explicit))[0], { ...expected, reason: 'explicit' })
  expire(sa)
  const again = mark()
  t.equal(await getData(sa), 200)
  checkCall(t, tokenCalls(since(again))[0], { ...expected, reason: 're-grant' })
  keepToken(sa.token)
})

t.test('error codes: the code, else the class name, else the type of what was thrown', async t => {
  t.equal(errorCode(new OAuthError('x', { error: 'invalid_grant' })), 'ERR_OAUTH')
  t.equal(errorCode(Object.assign(new Error('x'), { code: 'ECONNRESET' })), 'ECONNRESET')
  t.equal(errorCode(new RangeError('x')), 'RangeError')
  t.equal(errorCode('a string'), 'string')
  t.equal(errorCode(null), 'object')

  // A compliance hook that throws a plain Error fails the traced call with its class name.
  await using hooked = client({ grantType: 'client_credentials' })
  hooked.registerComplianceHook('access_token_response', () => {
    throw new TypeError('the hook refused it')
  })
  const at = mark()
  await t.rejects(hooked.fetchToken(), TypeError)
  const [call] = tokenCalls(since(at))
  t.same(call?.events, FAILED_EVENTS)
  t.match(call?.last, { errorCode: 'TypeError', reason: 'explicit' })
  t.notOk('oauthError' in call!.last)
})

t.test(
  'DPoP nonce retry: the publisher drops the query (the real repeats: test/oauth2/dpop-nonces.test.ts)',
  async t => {
    const at = mark()
    const who = () => ({ clientType: 'OAuth2Client', clientId: 'dpop-client' })
    publishDpopNonceRetry(who, 'authorization', { method: 'POST', url: new URL(`${op.urls.token}?x=1`) })
    publishDpopNonceRetry(who, 'resource', { method: 'GET', url: new URL(`${rs.url}/data?access_token=x`) })
    t.same(of(since(at), 'dpopNonceRetry'), [
      {
        clientType: 'OAuth2Client',
        clientId: 'dpop-client',
        server: 'authorization',
        method: 'POST',
        origin: op.issuer,
        path: TOKEN_PATH,
      },
      {
        clientType: 'OAuth2Client',
        clientId: 'dpop-client',
        server: 'resource',
        method: 'GET',
        origin: rs.url,
        path: '/data',
      },
    ])
  },
)

t.test('every message: only its documented fields, and none of the secrets', async t => {
  const channels = new Set(seen.map(s => s.channel.replace(/:.*$/, '')))
  t.same(
    [...channels].sort(),
    [
      'dpopNonceRetry',
      'renewalWait',
      'sessionClose',
      'storeAdopt',
      'storeLockWait',
      'token-request',
      'unauthorizedRetry',
    ],
    'every channel was seen',
  )
  for (const { channel, message } of seen) {
    const allowed = ALLOWED[channel.replace(/:.*$/, '')]!
    const extra = Object.keys(message).filter(key => !allowed.includes(key))
    if (extra.length > 0) t.fail(`${channel} carries ${extra.join(', ')}`)
  }
  const values = [...secrets].filter(value => value.length >= 8)
  t.ok(values.length > 40, `${values.length} secrets and tokens gathered from the wire and the clients`)
  t.ok(
    values.some(v => v.startsWith('eyJ')),
    'assertions or ID tokens among them',
  )
  const json = JSON.stringify(seen.map(s => s.message))
  const leaked = values.filter(value => json.includes(value))
  t.same(leaked.length, 0, `no secret in ${seen.length} messages`)
})

// Last: it unsubscribes the recorder.
t.test('without subscribers nothing is published and no message is built', async t => {
  tracing.unsubscribe(tracingHandlers)
  for (const unsubscribe of unsubscribers) unsubscribe()
  t.notOk(tracing.hasSubscribers)
  for (const name of Object.values(DIAGNOSTICS_CHANNELS).slice(1)) {
    t.notOk(diagnostics_channel.channel(name).hasSubscribers, `${name}: nobody listens`)
  }
  const at = mark()
  let asked = 0
  const who = () => {
    asked++
    return { clientType: 'x', clientId: undefined }
  }
  publishDpopNonceRetry(who, 'resource', { method: 'GET', url: new URL(rs.url) })
  t.equal(asked, 0, 'the client is not even asked who it is')
  const store = new MemoryTokenStore()
  const c = client({ scope: 'openid api:read', tokenStore: store, storeKey: 'alice' })
  await c.fetchToken(undefined, { ...TEST_USER })
  await dropAccessToken(c.token!.access_token)
  t.equal(await getData(c), 200, 'a 401 retry through the store, unobserved')
  await using adopter = client({ scope: 'openid api:read', tokenStore: store, storeKey: 'alice' })
  t.equal(await getData(adopter), 200, 'an adoption, unobserved')
  await c.close()
  await c.destroy()
  t.equal(seen.length, at, 'no event reached anyone')
})
