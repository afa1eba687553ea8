/**
 * Every error this package raises. OAuth failures are `OAuthError`s with a stable `code`;
 * transport failures are undici's own errors, passed through unchanged.
 * Messages never contain secrets: callers pass only what is safe to print.
 */

export interface OAuthErrorOptions {
  /** RFC 6749 §5.2 `error` code, e.g. 'invalid_grant'. */
  error?: string
  /** RFC 6749 §5.2 `error_description`. */
  description?: string
  /** RFC 6749 §5.2 `error_uri`. */
  uri?: string
  /** HTTP status of the response that carried the error, when there was one. */
  statusCode?: number
  cause?: unknown
}

export class OAuthError extends Error {
  readonly code: string = 'ERR_OAUTH'
  readonly error: string
  readonly description: string | undefined
  readonly uri: string | undefined
  readonly statusCode: number | undefined

  constructor(message: string, options: OAuthErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = new.target.name
    this.error = options.error ?? 'oauth_error'
    this.description = options.description
    this.uri = options.uri
    this.statusCode = options.statusCode
  }
}

/** The answer is not a valid OAuth response (not JSON, no access_token, too large, wrong types). */
export class InvalidResponseError extends OAuthError {
  override readonly code: string = 'ERR_OAUTH_INVALID_RESPONSE'
  /** A short excerpt of the body, with anything that looks like a credential removed. */
  readonly excerpt: string | undefined

  constructor(message: string, options: OAuthErrorOptions & { excerpt?: string } = {}) {
    super(message, { error: 'invalid_response', ...options })
    this.excerpt = options.excerpt
  }
}

/** The `state` of an authorization response differs from the one the caller expected (CSRF). */
export class MismatchingStateError extends OAuthError {
  override readonly code: string = 'ERR_OAUTH_MISMATCHING_STATE'
  constructor(
    message = 'authorization response state does not match the expected state',
    options: OAuthErrorOptions = {},
  ) {
    super(message, { error: 'mismatching_state', ...options })
  }
}

/** A request needs a token, there is none, and the client has no way to obtain one. */
export class MissingTokenError extends OAuthError {
  override readonly code: string = 'ERR_OAUTH_MISSING_TOKEN'
  constructor(
    message = 'no token: call fetchToken() first or configure grantType',
    options: OAuthErrorOptions = {},
  ) {
    super(message, { error: 'missing_token', ...options })
  }
}

/** The token expired and cannot be refreshed (no refresh_token and no grant to repeat). */
export class TokenExpiredError extends OAuthError {
  override readonly code: string = 'ERR_OAUTH_TOKEN_EXPIRED'
  constructor(message = 'the token has expired and cannot be refreshed', options: OAuthErrorOptions = {}) {
    super(message, { error: 'token_expired', ...options })
  }
}

/** Credentials would travel over plain http:// to a host that is not loopback. */
export class InsecureTransportError extends OAuthError {
  override readonly code: string = 'ERR_OAUTH_INSECURE_TRANSPORT'
  constructor(message: string, options: OAuthErrorOptions = {}) {
    super(message, { error: 'insecure_transport', ...options })
  }
}

/** A request was made on a client after close() or destroy(). */
export class ClientClosedError extends Error {
  readonly code = 'ERR_OAUTH_CLIENT_CLOSED'
  constructor(message = 'the client is closed') {
    super(message)
    this.name = new.target.name
  }
}

/** A request, or a token renewal, did not complete within its deadline. */
export class RequestTimeoutError extends Error {
  readonly code = 'ERR_OAUTH_REQUEST_TIMEOUT'
  constructor(timeout: number, what = 'request') {
    super(`${what} did not complete within ${timeout} ms`)
    this.name = new.target.name
  }
}
