/**
 * Every error this package raises, each with a stable `code` from `OAuthErrorCode` (the table in
 * docs/errors.md#error-codes says when each is thrown). OAuth failures are `OAuthError`s; misuse is an
 * `InvalidOptionError` or `InvalidArgumentError`, both `TypeError`s; transport failures are
 * undici's own errors, passed through unchanged (they carry undici's `UND_ERR_*` codes).
 * Messages never contain secrets: callers pass only what is safe to print.
 */

/** Every `code` an error of this package carries, as a list (the type below is derived from it). */
export const OAUTH_ERROR_CODES = [
  'ERR_OAUTH',
  'ERR_OAUTH_INVALID_RESPONSE',
  'ERR_OAUTH_MISMATCHING_STATE',
  'ERR_OAUTH_MISMATCHING_ISSUER',
  'ERR_OAUTH_MISSING_TOKEN',
  'ERR_OAUTH_TOKEN_EXPIRED',
  'ERR_OAUTH_INSECURE_TRANSPORT',
  'ERR_OAUTH_CLIENT_CLOSED',
  'ERR_OAUTH_REQUEST_TIMEOUT',
  'ERR_OAUTH_INVALID_OPTION',
  'ERR_OAUTH_INVALID_ARGUMENT',
  'ERR_OAUTH_TOKEN_STORE',
  'ERR_OAUTH_ID_TOKEN',
] as const

/** The stable `code` of every error this package throws; switch on it rather than on messages. */
export type OAuthErrorCode = (typeof OAUTH_ERROR_CODES)[number]

/** What an {@link OAuthError} carries besides its message: the RFC 6749 §5.2 error fields and a cause. */
export interface OAuthErrorOptions {
  /** RFC 6749 §5.2 `error` code, e.g. 'invalid_grant'. */
  error?: string
  /** RFC 6749 §5.2 `error_description`. */
  description?: string
  /** RFC 6749 §5.2 `error_uri`. */
  uri?: string
  /** HTTP status of the response that carried the error, when there was one. */
  statusCode?: number
  /** The underlying failure, kept as the error's standard `cause`. */
  cause?: unknown
}

/**
 * An OAuth failure: an error response from an endpoint (RFC 6749 §5.2, RFC 5849 §2) or a protocol
 * rule the client enforces. Subclasses narrow `code`; a plain OAuthError is `ERR_OAUTH`.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.2
 */
export class OAuthError extends Error {
  /** The stable code of this error's class; switch on it rather than on the message. */
  readonly code: OAuthErrorCode = 'ERR_OAUTH'
  /** The RFC 6749 §5.2 `error` code the server sent ('invalid_grant', ...), or this client's own name for the failure. */
  readonly error: string
  /** The server's `error_description`, when it sent one. */
  readonly description: string | undefined
  /** The server's `error_uri`, when it sent one. */
  readonly uri: string | undefined
  /** The HTTP status of the response that carried the error, when there was one. */
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

/**
 * The answer is not a valid OAuth response (not JSON, no access_token, too large, wrong types).
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.1
 */
export class InvalidResponseError extends OAuthError {
  override readonly code: 'ERR_OAUTH_INVALID_RESPONSE' = 'ERR_OAUTH_INVALID_RESPONSE'
  /** A short excerpt of the body, with anything that looks like a credential removed. */
  readonly excerpt: string | undefined

  constructor(message: string, options: OAuthErrorOptions & { excerpt?: string } = {}) {
    super(message, { error: 'invalid_response', ...options })
    this.excerpt = options.excerpt
  }
}

/**
 * The `state` of an authorization response differs from the one the caller expected (CSRF).
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-10.12
 */
export class MismatchingStateError extends OAuthError {
  override readonly code: 'ERR_OAUTH_MISMATCHING_STATE' = 'ERR_OAUTH_MISMATCHING_STATE'
  constructor(
    message = 'authorization response state does not match the expected state',
    options: OAuthErrorOptions = {},
  ) {
    super(message, { error: 'mismatching_state', ...options })
  }
}

/**
 * The authorization response's `iss` is not the issuer the client knows, or is missing while the
 * server promises it (metadata `authorization_response_iss_parameter_supported`): a possible mix-up
 * attack, refused before the code is used. Its `error` is 'invalid_issuer'.
 * @see https://www.rfc-editor.org/rfc/rfc9207#section-2.4
 */
export class MismatchingIssuerError extends OAuthError {
  override readonly code: 'ERR_OAUTH_MISMATCHING_ISSUER' = 'ERR_OAUTH_MISMATCHING_ISSUER'
  constructor(message: string, options: OAuthErrorOptions = {}) {
    super(message, { error: 'invalid_issuer', ...options })
  }
}

/**
 * A request needs a token, there is none, and the client has no way to obtain one.
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-2
 */
export class MissingTokenError extends OAuthError {
  override readonly code: 'ERR_OAUTH_MISSING_TOKEN' = 'ERR_OAUTH_MISSING_TOKEN'
  constructor(
    message = 'no token: call fetchToken() first or configure grantType',
    options: OAuthErrorOptions = {},
  ) {
    super(message, { error: 'missing_token', ...options })
  }
}

/**
 * The token expired and cannot be refreshed (no refresh_token and no grant to repeat).
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-6
 */
export class TokenExpiredError extends OAuthError {
  override readonly code: 'ERR_OAUTH_TOKEN_EXPIRED' = 'ERR_OAUTH_TOKEN_EXPIRED'
  constructor(message = 'the token has expired and cannot be refreshed', options: OAuthErrorOptions = {}) {
    super(message, { error: 'token_expired', ...options })
  }
}

/**
 * Credentials would travel over plain http:// to a host that is not loopback.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-10.3
 */
export class InsecureTransportError extends OAuthError {
  override readonly code: 'ERR_OAUTH_INSECURE_TRANSPORT' = 'ERR_OAUTH_INSECURE_TRANSPORT'
  constructor(message: string, options: OAuthErrorOptions = {}) {
    super(message, { error: 'insecure_transport', ...options })
  }
}

/**
 * The shared token store failed a renewal: it was unavailable under `onStoreError: 'fail'`, or
 * it holds a value that does not decrypt or parse (a wrong `encryptionKey`). The message names
 * the store's failure, never a token value.
 */
export class TokenStoreError extends OAuthError {
  override readonly code: 'ERR_OAUTH_TOKEN_STORE' = 'ERR_OAUTH_TOKEN_STORE'
  constructor(message: string, options: OAuthErrorOptions = {}) {
    super(message, { error: 'token_store', ...options })
  }
}

/**
 * An OpenID Connect ID token (or a signed userinfo answer) failed validation. `claim` names the
 * claim or step that failed ('nonce', 'iss', 'aud', 'signature', 'kid', ...); the message says
 * what was expected and what came, and never holds the token itself.
 * @see https://openid.net/specs/openid-connect-core-1_0.html#IDTokenValidation
 */
export class IdTokenValidationError extends OAuthError {
  override readonly code: 'ERR_OAUTH_ID_TOKEN' = 'ERR_OAUTH_ID_TOKEN'
  /** The claim or validation step that failed. */
  readonly claim: string

  constructor(claim: string, message: string, options: OAuthErrorOptions = {}) {
    super(message, { error: 'invalid_id_token', ...options })
    this.claim = claim
  }
}

/** A request was made on a client after close() or destroy(). */
export class ClientClosedError extends Error {
  /** Always 'ERR_OAUTH_CLIENT_CLOSED'. */
  readonly code: 'ERR_OAUTH_CLIENT_CLOSED' = 'ERR_OAUTH_CLIENT_CLOSED'
  constructor(message = 'the client is closed') {
    super(message)
    this.name = new.target.name
  }
}

/** A request, or a token renewal, did not complete within its deadline. */
export class RequestTimeoutError extends Error {
  /** Always 'ERR_OAUTH_REQUEST_TIMEOUT'. */
  readonly code: 'ERR_OAUTH_REQUEST_TIMEOUT' = 'ERR_OAUTH_REQUEST_TIMEOUT'
  constructor(timeout: number, what = 'request') {
    super(`${what} did not complete within ${timeout} ms`)
    this.name = new.target.name
  }
}

/**
 * A client's configuration is invalid: a constructor option, a key or secret it was given, or the
 * service-account key a factory reads. Its `name` stays 'TypeError' (it is one, and code that
 * checks `name` keeps working); its `code` tells it apart from an InvalidArgumentError.
 */
export class InvalidOptionError extends TypeError {
  /** Always 'ERR_OAUTH_INVALID_OPTION'. */
  readonly code: 'ERR_OAUTH_INVALID_OPTION' = 'ERR_OAUTH_INVALID_OPTION'
  constructor(message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'TypeError'
  }
}

/**
 * A call was given an argument it cannot use: request options, token-endpoint parameters, a
 * request the OAuth 1 signer cannot sign, a bad length or verifier for the PKCE helpers. Its
 * `name` stays 'TypeError'; its `code` tells it apart from an InvalidOptionError.
 */
export class InvalidArgumentError extends TypeError {
  /** Always 'ERR_OAUTH_INVALID_ARGUMENT'. */
  readonly code: 'ERR_OAUTH_INVALID_ARGUMENT' = 'ERR_OAUTH_INVALID_ARGUMENT'
  constructor(message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'TypeError'
  }
}
