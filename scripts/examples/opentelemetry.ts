/**
 * OpenTelemetry: one span per token-endpoint call, made from this package's diagnostics channels
 * (docs/observability.md), and a span event on the caller's span for each 401 retry.
 *
 * Nothing in undici-oauth depends on OpenTelemetry: this module subscribes to the channels with
 * `node:diagnostics_channel` and uses only `@opentelemetry/api` (your application brings the SDK
 * and the exporter). Each token call's span is a CLIENT span named `oauth2.token <grant type>`,
 * child of the span active where the call started: your request's span for an automatic renewal
 * (the request that started it), your own span around an explicit `fetchToken()`. Its attributes
 * are the message's fields; nothing secret is on the messages, so nothing secret reaches a span.
 *
 *   import { context, trace } from '@opentelemetry/api'
 *   import { instrumentUndiciOAuth } from './opentelemetry.js'
 *   // after your SDK set its tracer provider and a context manager:
 *   const uninstrument = instrumentUndiciOAuth(trace.getTracer('my-service'))
 *
 * Spans nest only under a context manager that follows async calls: the SDK's
 * AsyncLocalStorageContextManager (@opentelemetry/context-async-hooks), or the minimal
 * `LocalContextManager` below. Run as a test by test/examples/opentelemetry.test.ts with
 * @opentelemetry/sdk-trace-base's in-memory exporter. In an application, import from 'undici-oauth'
 * instead of the source tree.
 */
import { AsyncLocalStorage } from 'node:async_hooks'
import diagnostics_channel from 'node:diagnostics_channel'
import {
  type Attributes,
  type Context,
  type ContextManager,
  context,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api'
import {
  DIAGNOSTICS_CHANNELS,
  type TokenRequestMessage,
  type UnauthorizedRetryMessage,
} from '../../lib/index.js'

/** The span attributes of a token call, from its message (OpenTelemetry semantic names where one exists). */
export function tokenRequestAttributes(message: TokenRequestMessage): Attributes {
  const origin = new URL(message.origin)
  const attributes: Attributes = {
    'oauth2.client.type': message.clientType,
    'oauth2.grant_type': message.grantType,
    'oauth2.token_request.reason': message.reason,
    'server.address': origin.hostname,
    'server.port': Number(origin.port || (origin.protocol === 'https:' ? 443 : 80)),
    'url.path': message.path,
  }
  if (message.clientId !== undefined) attributes['oauth2.client_id'] = message.clientId
  if (message.statusCode !== undefined) attributes['http.response.status_code'] = message.statusCode
  if (message.errorCode !== undefined) attributes['error.type'] = message.errorCode
  if (message.oauthError !== undefined) attributes['oauth2.error'] = message.oauthError
  return attributes
}

/**
 * Subscribes to the token-request TracingChannel and the 401 retry channel, making spans with
 * `tracer`. Returns the function that unsubscribes again.
 */
export function instrumentUndiciOAuth(tracer: Tracer): () => void {
  // One span per context object: the channel hands the same object to each event of one call.
  const spans = new WeakMap<TokenRequestMessage, Span>()
  const handlers = {
    start(message: TokenRequestMessage) {
      const span = tracer.startSpan(
        `oauth2.token ${message.grantType}`,
        { kind: SpanKind.CLIENT, attributes: tokenRequestAttributes(message) },
        context.active(),
      )
      spans.set(message, span)
    },
    end() {},
    asyncStart() {},
    error(message: TokenRequestMessage) {
      spans.get(message)?.setStatus({ code: SpanStatusCode.ERROR, message: message.errorCode })
    },
    asyncEnd(message: TokenRequestMessage) {
      const span = spans.get(message)
      if (span === undefined) return
      spans.delete(message)
      span.setAttributes(tokenRequestAttributes(message))
      span.end()
    },
  }
  const tokenRequests = diagnostics_channel.tracingChannel<unknown, TokenRequestMessage>(
    DIAGNOSTICS_CHANNELS.tokenRequest,
  )
  tokenRequests.subscribe(handlers)
  // Published where the retried request runs, so its span is the active one.
  const onRetry = (message: unknown) => {
    const { method, origin, path, durationMs } = message as UnauthorizedRetryMessage
    trace.getActiveSpan()?.addEvent('oauth2.unauthorized_retry', {
      'http.request.method': method,
      'url.full': `${origin}${path}`,
      'oauth2.renewal.duration_ms': durationMs,
    })
  }
  diagnostics_channel.subscribe(DIAGNOSTICS_CHANNELS.unauthorizedRetry, onRetry)
  return () => {
    tokenRequests.unsubscribe(handlers)
    diagnostics_channel.unsubscribe(DIAGNOSTICS_CHANNELS.unauthorizedRetry, onRetry)
  }
}

/**
 * A minimal context manager on AsyncLocalStorage, for programs without
 * @opentelemetry/context-async-hooks: `context.with()` makes a context active for a call and
 * everything it awaits. Register it with `context.setGlobalContextManager(new LocalContextManager())`.
 */
export class LocalContextManager implements ContextManager {
  readonly #storage = new AsyncLocalStorage<Context>()

  active(): Context {
    return this.#storage.getStore() ?? ROOT_CONTEXT
  }

  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    active: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    return this.#storage.run(active, () => fn.apply(thisArg, args))
  }

  /** Functions only: a bound function runs in `active` wherever it is called from. */
  bind<T>(active: Context, target: T): T {
    if (typeof target !== 'function') return target
    const run = (thisArg: unknown, args: unknown[]) =>
      this.#storage.run(active, () => (target as (...a: unknown[]) => unknown).apply(thisArg, args))
    return function (this: unknown, ...args: unknown[]) {
      return run(this, args)
    } as T
  }

  enable(): this {
    return this
  }

  disable(): this {
    this.#storage.disable()
    return this
  }
}
