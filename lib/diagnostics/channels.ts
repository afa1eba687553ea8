/**
 * The names of the `node:diagnostics_channel` channels this package publishes on, and the shape of
 * each message: a stable interface, documented channel by channel in docs/observability.md.
 * Messages carry names, counts, durations, origins and paths, client ids and error codes only:
 * never a token, secret, code, verifier, assertion or proof (docs/security.md).
 */

/**
 * Every channel this package publishes on. `tokenRequest` names a TracingChannel (Node's
 * `diagnostics_channel.tracingChannel`), so its events arrive on
 * `tracing:undici-oauth:token-request:start`, `:end`, `:asyncStart`, `:asyncEnd` and `:error`;
 * every other name is a plain channel.
 * @see docs/observability.md
 * @example
 * ```ts
 * import diagnostics_channel from 'node:diagnostics_channel'
 * import { DIAGNOSTICS_CHANNELS, type TokenRequestMessage } from 'undici-oauth'
 *
 * diagnostics_channel.tracingChannel<object, TokenRequestMessage>(DIAGNOSTICS_CHANNELS.tokenRequest).subscribe({
 *   start() {},
 *   end() {},
 *   asyncStart() {},
 *   asyncEnd: message => console.log(message.grantType, message.reason, message.statusCode, message.durationMs),
 *   error: message => console.log('token request failed', message.errorCode, message.oauthError),
 * })
 * ```
 */
export const DIAGNOSTICS_CHANNELS = Object.freeze({
  /** TracingChannel around every token-endpoint call: {@link TokenRequestMessage}. */
  tokenRequest: 'undici-oauth:token-request',
  /** A shared renewal settled, with how many callers waited on it: {@link RenewalWaitMessage}. */
  renewalWait: 'undici-oauth:renewal:wait',
  /** A request answered 401 `invalid_token` is sent again with a renewed token: {@link UnauthorizedRetryMessage}. */
  unauthorizedRetry: 'undici-oauth:request:unauthorized-retry',
  /** A request is sent again with the server's new DPoP nonce: {@link DpopNonceRetryMessage}. */
  dpopNonceRetry: 'undici-oauth:request:dpop-nonce-retry',
  /** A renewal found the TokenStore's lock taken and waited for its holder: {@link StoreLockWaitMessage}. */
  storeLockWait: 'undici-oauth:store:lock-wait',
  /** A renewal took the token another client saved in the TokenStore: {@link StoreAdoptMessage}. */
  storeAdopt: 'undici-oauth:store:adopt',
  /** A client finished `close()` or `destroy()`: {@link SessionCloseMessage}. */
  sessionClose: 'undici-oauth:session:close',
} as const)

/** Who an event is about; every message carries these two fields. */
export interface DiagnosticsClient {
  /** The client's class name: 'OAuth2Client', 'AssertionClient', 'OAuth1Client', 'Session' or a subclass's. */
  clientType: string
  /**
   * The client identifier (RFC 6749 §2.2, RFC 5849 §1.1 for OAuth 1), which is public; undefined
   * when the client has none (a plain Session, an AssertionClient without `clientId`).
   */
  clientId: string | undefined
}

/**
 * Why a token-endpoint call ran:
 * - `first-token`: a request needed a token and the client had none;
 * - `refresh`: the token was due and the client refreshed it (RFC 6749 §6);
 * - `re-grant`: the token was due and the client repeated its grant (no refresh token);
 * - `after-401`: a resource answered 401 `invalid_token` (RFC 6750 §3.1);
 * - `explicit`: the program called `fetchToken()` or `refreshToken()`;
 * - `device-poll`: one poll of `pollDeviceToken()` (RFC 8628 §3.4);
 * - `exchange`: `exchangeToken()` (RFC 8693 §2.1).
 */
export type TokenRequestReason =
  | 'first-token'
  | 'refresh'
  | 're-grant'
  | 'after-401'
  | 'explicit'
  | 'device-poll'
  | 'exchange'

/**
 * The context object of one token-endpoint call, the same object on each of its TracingChannel
 * events. `start` and `end` see the fields that describe the call; `asyncEnd` (and `error`, on a
 * failure) see the outcome too. The error object itself is not attached: its codes are.
 */
export interface TokenRequestMessage extends DiagnosticsClient {
  /** The `grant_type` sent (RFC 6749 §4), e.g. 'client_credentials', 'refresh_token', an extension grant's URI. */
  grantType: string
  /** Why the call ran. */
  reason: TokenRequestReason
  /** The token endpoint's origin, e.g. 'https://as.example.com'. */
  origin: string
  /** The token endpoint's path, e.g. '/oauth/token' (the query, if any, is left out). */
  path: string
  /** The HTTP status of the answer, once there is one (absent when no answer came). */
  statusCode?: number
  /** Milliseconds from `start` to the outcome: retries (`tokenRetries`) included. */
  durationMs?: number
  /** On failure: the error's `code` ('ERR_OAUTH', 'UND_ERR_CONNECT_TIMEOUT', ...), else its name. */
  errorCode?: string
  /** On an OAuthError: its RFC 6749 §5.2 `error` ('invalid_grant', ...). */
  oauthError?: string
}

/**
 * One shared renewal (docs/design.md "Token renewal") settled: every caller that found the token
 * due (or answered 401) while it ran waited on it.
 */
export interface RenewalWaitMessage extends DiagnosticsClient {
  /** The callers that waited on this renewal, the one that started it included. */
  waiters: number
  /** Milliseconds from the first caller's wait to the outcome: the longest any of them waited. */
  durationMs: number
  /** Whether the renewal gave a token ('renewed') or rejected every waiter ('failed'). */
  outcome: 'renewed' | 'failed'
  /** When it failed: the error's `code`, else its name. */
  errorCode?: string
}

/** A request answered 401 with a Bearer `invalid_token` challenge (RFC 6750 §3.1) is sent once more. */
export interface UnauthorizedRetryMessage extends DiagnosticsClient {
  /** The request's method. */
  method: string
  /** The resource's origin. */
  origin: string
  /** The resource's path (never its query, which may carry the token: RFC 6750 §2.3). */
  path: string
  /** Milliseconds the request waited for the renewed token before it was sent again. */
  durationMs: number
}

/**
 * A request is sent again because the server asked for a new DPoP nonce (`use_dpop_nonce`,
 * RFC 9449 §8 for the authorization server, §9 for a resource server). The nonce is not carried.
 */
export interface DpopNonceRetryMessage extends DiagnosticsClient {
  /** Which server asked: the authorization server (a token request) or a resource server. */
  server: 'authorization' | 'resource'
  /** The request's method. */
  method: string
  /** The server's origin. */
  origin: string
  /** The request's path (never its query). */
  path: string
}

/**
 * A renewal with a TokenStore (docs/fleet.md) found the store's lock held by another client and
 * polled the store until that client's token appeared or the lock was free.
 */
export interface StoreLockWaitMessage extends DiagnosticsClient {
  /** Milliseconds spent waiting. */
  durationMs: number
  /** How many times the store was read while waiting. */
  polls: number
  /**
   * 'adopted': the holder's token appeared; 'locked': the lock became this client's (the holder
   * failed or its lock expired); 'failed': the renewal deadline passed or the store failed.
   */
  outcome: 'adopted' | 'locked' | 'failed'
}

/** A renewal with a TokenStore took, instead of a token call, the token another client saved. */
export interface StoreAdoptMessage extends DiagnosticsClient {
  /**
   * When: 'before-lock' (the first read found it), 'lock-wait' (it appeared while waiting for the
   * lock), 'after-lock' (the read after taking the lock found it), 'save-refused' (this client's
   * fenced save was refused and the newer token saved meanwhile replaced its own).
   */
  stage: 'before-lock' | 'lock-wait' | 'after-lock' | 'save-refused'
}

/** A client finished closing: `close()` once its in-flight requests were answered, or `destroy()`. */
export interface SessionCloseMessage extends DiagnosticsClient {
  /** Which method: 'close' (graceful, published once) or 'destroy' (published for each call). */
  kind: 'close' | 'destroy'
  /** Requests still without an answer when it was called. */
  inFlight: number
  /** Milliseconds from the call to the sockets being closed. */
  durationMs: number
}
