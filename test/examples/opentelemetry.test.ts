/**
 * Issue 18, acceptance 2: scripts/examples/opentelemetry.ts turns the token-request channel into
 * spans, recorded with @opentelemetry/sdk-trace-base's in-memory exporter against the real
 * oidc-provider: one CLIENT span per token call with the message's attributes, a child of the
 * caller's active span (under the example's AsyncLocalStorage context manager; the SDK's own
 * context-async-hooks package is not installed here), an error status for a refused call, a span
 * event for a 401 retry, and nothing once uninstrumented.
 */
import { context, type Span, SpanKind, SpanStatusCode } from '@opentelemetry/api'
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base'
import t from 'tap'
import { OAuth2Client, type OAuth2ClientOptions } from '../../lib/index.js'
import {
  instrumentUndiciOAuth,
  LocalContextManager,
  tokenRequestAttributes,
} from '../../scripts/examples/opentelemetry.js'
import { oauthError } from '../fixtures/match.js'
import { DEFAULT_CLIENTS, startProvider, startResource, TEST_USER } from '../fixtures/provider.js'

const op = await startProvider()
const rs = await startResource(op.provider)
const exporter = new InMemorySpanExporter()
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
const tracer = provider.getTracer('undici-oauth-example-test')
context.setGlobalContextManager(new LocalContextManager())
const uninstrument = instrumentUndiciOAuth(tracer)
t.teardown(async () => {
  uninstrument()
  context.disable()
  await provider.shutdown()
  await rs.close()
  await op.close()
})

const basic = DEFAULT_CLIENTS.basic
const { hostname, port } = new URL(op.issuer)
const TOKEN_PATH = new URL(op.urls.token).pathname

function client(options: OAuth2ClientOptions = {}): OAuth2Client {
  return new OAuth2Client({
    tokenEndpoint: op.urls.token,
    clientId: basic.client_id,
    clientSecret: basic.client_secret,
    ...options,
  })
}

/** Runs `work` inside an active span named `name`, ended when `work` settles. */
function inSpan<T>(name: string, work: (span: Span) => Promise<T>): Promise<T> {
  return tracer.startActiveSpan(name, async span => {
    try {
      return await work(span)
    } finally {
      span.end()
    }
  })
}

const tokenSpans = (spans: ReadableSpan[]) => spans.filter(s => s.name.startsWith('oauth2.token '))
const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId

t.test('one span per token call, child of the caller span, with the attributes', async t => {
  exporter.reset()
  await using c = client({ grantType: 'client_credentials', scope: 'api:read' })
  await inSpan('handle job', async () => {
    const { statusCode, body } = await c.get(`${rs.url}/data`)
    await body.dump()
    t.equal(statusCode, 200)
    await c.fetchToken()
  })
  const spans = exporter.getFinishedSpans()
  const caller = spans.find(s => s.name === 'handle job')!
  const tokens = tokenSpans(spans)
  t.equal(tokens.length, 2, 'the first token and the explicit fetch: two calls, two spans')
  for (const span of tokens) {
    t.equal(span.name, 'oauth2.token client_credentials')
    t.equal(span.kind, SpanKind.CLIENT)
    t.equal(parentOf(span), caller.spanContext().spanId, 'a child of the caller span')
    t.equal(span.spanContext().traceId, caller.spanContext().traceId, 'in the caller trace')
    t.equal(span.status.code, SpanStatusCode.UNSET)
    t.ok(span.duration[0] > 0 || span.duration[1] > 0, 'a duration')
  }
  t.same(
    tokens.map(s => s.attributes),
    ['first-token', 'explicit'].map(reason => ({
      'oauth2.client.type': 'OAuth2Client',
      'oauth2.grant_type': 'client_credentials',
      'oauth2.token_request.reason': reason,
      'server.address': hostname,
      'server.port': Number(port),
      'url.path': TOKEN_PATH,
      'oauth2.client_id': basic.client_id,
      'http.response.status_code': 200,
    })),
  )
})

t.test('a refresh and a 401 retry: spans named for their grant, the retry an event', async t => {
  exporter.reset()
  await using c = client({ scope: 'openid api:read' })
  await c.fetchToken(undefined, { ...TEST_USER })
  const stale = await op.provider.AccessToken.find(c.token!.access_token)
  await (stale as unknown as { destroy(): Promise<void> }).destroy()
  await inSpan('call api', async () => {
    const { statusCode, body } = await c.get(`${rs.url}/orders`)
    await body.dump()
    t.equal(statusCode, 200)
  })
  const spans = exporter.getFinishedSpans()
  const caller = spans.find(s => s.name === 'call api')!
  const [password, refresh] = tokenSpans(spans)
  t.equal(password?.name, 'oauth2.token password')
  t.equal(parentOf(password!), undefined, 'outside any span: a root span')
  t.equal(refresh?.name, 'oauth2.token refresh_token')
  t.equal(refresh?.attributes['oauth2.token_request.reason'], 'after-401')
  t.equal(parentOf(refresh!), caller.spanContext().spanId)
  t.match(caller.events, [
    {
      name: 'oauth2.unauthorized_retry',
      attributes: {
        'http.request.method': 'GET',
        'url.full': `${rs.url}/orders`,
        'oauth2.renewal.duration_ms': Number,
      },
    },
  ])
})

t.test('a refused token call: an error span with the codes', async t => {
  exporter.reset()
  await using c = client({ clientSecret: 'wrong-secret-value', grantType: 'client_credentials' })
  await inSpan('bad config', () => t.rejects(c.fetchToken(), oauthError('invalid_client')))
  const [span] = tokenSpans(exporter.getFinishedSpans())
  t.equal(span?.status.code, SpanStatusCode.ERROR)
  t.equal(span?.status.message, 'ERR_OAUTH')
  t.match(span?.attributes, {
    'error.type': 'ERR_OAUTH',
    'oauth2.error': 'invalid_client',
    'http.response.status_code': 401,
  })
  const json = JSON.stringify(exporter.getFinishedSpans().map(s => [s.attributes, s.events, s.status]))
  t.notOk(json.includes('wrong-secret-value'), 'no secret on any span')
})

t.test('the minimal context manager: with, bind, and the root context outside', async t => {
  const manager = new LocalContextManager()
  const key = Symbol('k')
  const inner = manager.active().setValue(key, 'v')
  t.equal(manager.active().getValue(key), undefined, 'outside: the root context')
  t.equal(
    manager.with(
      inner,
      function (this: { n: number }, add: number) {
        return `${manager.active().getValue(key)}${this.n + add}`
      },
      { n: 1 },
      2,
    ),
    'v3',
  )
  const bound = manager.bind(inner, () => manager.active().getValue(key))
  t.equal(bound(), 'v', 'a bound function runs in its context')
  const notAFunction = { a: 1 }
  t.equal(manager.bind(inner, notAFunction), notAFunction, 'other values are returned as they are')
  t.equal(manager.enable(), manager)
  t.equal(manager.disable(), manager)
  t.same(
    tokenRequestAttributes({
      clientType: 'AssertionClient',
      clientId: undefined,
      grantType: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
      reason: 're-grant',
      origin: 'https://as.example.com',
      path: '/token',
    }),
    {
      'oauth2.client.type': 'AssertionClient',
      'oauth2.grant_type': 'urn:ietf:params:oauth:grant-type:jwt-bearer',
      'oauth2.token_request.reason': 're-grant',
      'server.address': 'as.example.com',
      'server.port': 443,
      'url.path': '/token',
    },
    'no client id, status or error: no attribute for them',
  )
})

t.test('uninstrumented: no span any more', async t => {
  uninstrument()
  exporter.reset()
  await using c = client({ grantType: 'client_credentials' })
  await inSpan('after', () => c.fetchToken())
  t.same(
    exporter.getFinishedSpans().map(s => s.name),
    ['after'],
    'only the caller span',
  )
})
