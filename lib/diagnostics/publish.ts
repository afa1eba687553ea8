/**
 * The publishers of the plain diagnostics channels (docs/observability.md). Each returns at once
 * when nobody subscribes, before it builds a message; `who` is called only for a message.
 */
import { channel } from 'node:diagnostics_channel'
import {
  DIAGNOSTICS_CHANNELS,
  type DiagnosticsClient,
  type DpopNonceRetryMessage,
  type RenewalWaitMessage,
  type SessionCloseMessage,
  type StoreAdoptMessage,
  type StoreLockWaitMessage,
  type UnauthorizedRetryMessage,
} from './channels.js'
import { errorCode } from './error-code.js'

/** Who an event is about, asked only when it is published. */
export type DescribeClient = () => DiagnosticsClient

const renewalWait = channel(DIAGNOSTICS_CHANNELS.renewalWait)
const unauthorizedRetry = channel(DIAGNOSTICS_CHANNELS.unauthorizedRetry)
const dpopNonceRetry = channel(DIAGNOSTICS_CHANNELS.dpopNonceRetry)
const storeLockWait = channel(DIAGNOSTICS_CHANNELS.storeLockWait)
const storeAdopt = channel(DIAGNOSTICS_CHANNELS.storeAdopt)
const sessionClose = channel(DIAGNOSTICS_CHANNELS.sessionClose)

/** A shared renewal settled after `waiters` callers waited on it; `failure` when it rejected them. */
export function publishRenewalWait(
  who: DescribeClient,
  waiters: number,
  durationMs: number,
  failure?: { error: unknown },
): void {
  if (!renewalWait.hasSubscribers) return
  const message: RenewalWaitMessage = {
    ...who(),
    waiters,
    durationMs,
    outcome: failure === undefined ? 'renewed' : 'failed',
  }
  if (failure !== undefined) message.errorCode = errorCode(failure.error)
  renewalWait.publish(message)
}

/** A request answered 401 `invalid_token` (RFC 6750 §3.1) goes again after `durationMs` of renewal. */
export function publishUnauthorizedRetry(
  who: DescribeClient,
  request: { method: string; url: URL },
  durationMs: number,
): void {
  if (!unauthorizedRetry.hasSubscribers) return
  const { origin, pathname } = request.url
  const message: UnauthorizedRetryMessage = {
    ...who(),
    method: request.method,
    origin,
    path: pathname,
    durationMs,
  }
  unauthorizedRetry.publish(message)
}

/**
 * A request goes again with the new nonce a server asked for (`use_dpop_nonce`): RFC 9449 §8 for
 * the authorization server ('authorization'), §9 for a resource server ('resource'). For the DPoP
 * code to call at each such retry; the nonce and the proof are never published.
 */
export function publishDpopNonceRetry(
  who: DescribeClient,
  server: DpopNonceRetryMessage['server'],
  request: { method: string; url: URL },
): void {
  if (!dpopNonceRetry.hasSubscribers) return
  const { origin, pathname } = request.url
  const message: DpopNonceRetryMessage = { ...who(), server, method: request.method, origin, path: pathname }
  dpopNonceRetry.publish(message)
}

/** A renewal waited `durationMs` for the holder of the TokenStore's lock, reading the store `polls` times. */
export function publishStoreLockWait(
  who: DescribeClient,
  outcome: StoreLockWaitMessage['outcome'],
  polls: number,
  durationMs: number,
): void {
  if (!storeLockWait.hasSubscribers) return
  const message: StoreLockWaitMessage = { ...who(), durationMs, polls, outcome }
  storeLockWait.publish(message)
}

/** A renewal took the token another client saved in the TokenStore, at `stage`. */
export function publishStoreAdopt(who: DescribeClient, stage: StoreAdoptMessage['stage']): void {
  if (!storeAdopt.hasSubscribers) return
  const message: StoreAdoptMessage = { ...who(), stage }
  storeAdopt.publish(message)
}

/** A session finished `close()` or a `destroy()` call, `inFlight` requests unanswered when it began. */
export function publishSessionClose(
  who: DescribeClient,
  kind: SessionCloseMessage['kind'],
  inFlight: number,
  durationMs: number,
): void {
  if (!sessionClose.hasSubscribers) return
  const message: SessionCloseMessage = { ...who(), kind, inFlight, durationMs }
  sessionClose.publish(message)
}
