/**
 * The TracingChannel around every token-endpoint call (RFC 6749 §3.2): start, end, asyncStart,
 * asyncEnd and error, in the order Node's own `tracePromise` publishes them, on one context
 * object (docs/observability.md). Published by hand rather than by `tracePromise`, which would
 * put the call's result (the token response) and the error object on that context.
 */
import { tracingChannel } from 'node:diagnostics_channel'
import { performance } from 'node:perf_hooks'
import { OAuthError } from '../errors.js'
import {
  DIAGNOSTICS_CHANNELS,
  type DiagnosticsClient,
  type TokenRequestMessage,
  type TokenRequestReason,
} from './channels.js'
import { errorCode } from './error-code.js'

const channels = tracingChannel<unknown, TokenRequestMessage>(DIAGNOSTICS_CHANNELS.tokenRequest)

/** What a token call is, as its caller knows it; built only when someone listens. */
export interface TokenRequestCall extends DiagnosticsClient {
  grantType: string
  reason: TokenRequestReason
  /** The token endpoint called: only its origin and path are published. */
  endpoint: URL
}

/**
 * Runs one token-endpoint call: `send` makes the HTTP exchange (retries included) and `read`
 * turns its answer into the caller's value, both inside the trace, so an unusable answer is the
 * call's error too. With no subscriber this is `send().then(read)` and nothing more.
 */
export function traceTokenRequest<S extends { response: { statusCode: number } }, R>(
  describe: () => TokenRequestCall,
  send: () => Promise<S>,
  read: (result: S) => R,
): Promise<R> {
  if (!channels.hasSubscribers) return send().then(read)
  const { clientType, clientId, grantType, reason, endpoint } = describe()
  const message: TokenRequestMessage = {
    clientType,
    clientId,
    grantType,
    reason,
    origin: endpoint.origin,
    path: endpoint.pathname,
  }
  const started = performance.now()
  // runStores: a store bound to `start` (an OpenTelemetry context, say) is active during the call.
  return channels.start.runStores(message, () => {
    const answered = send().then(result => {
      message.statusCode = result.response.statusCode
      return read(result)
    })
    channels.end.publish(message)
    return answered.then(
      value => {
        message.durationMs = performance.now() - started
        channels.asyncStart.publish(message)
        channels.asyncEnd.publish(message)
        return value
      },
      (err: unknown) => {
        message.durationMs = performance.now() - started
        describeError(message, err)
        channels.error.publish(message)
        channels.asyncStart.publish(message)
        channels.asyncEnd.publish(message)
        throw err
      },
    )
  })
}

/** The codes of a failure: never its message, which may quote the server's answer. */
function describeError(message: TokenRequestMessage, err: unknown): void {
  message.errorCode = errorCode(err)
  if (err instanceof OAuthError) {
    message.oauthError = err.error
    if (err.statusCode !== undefined) message.statusCode ??= err.statusCode
  }
}

/**
 * The reason of an automatic renewal's token call: after a 401, or the first token, or a refresh
 * (RFC 6749 §6) or a repeated grant of a due token.
 */
export function renewalReason(
  trigger: 'due' | 'unauthorized',
  hadToken: boolean,
  refreshes: boolean,
): TokenRequestReason {
  if (trigger === 'unauthorized') return 'after-401'
  if (!hadToken) return 'first-token'
  return refreshes ? 'refresh' : 're-grant'
}
