import { InvalidResponseError, OAuthError } from '../errors.js'
import { redactSecrets } from '../redact.js'

/** A token as the wire carries it (RFC 6749 §5.1); users persist it as JSON. */
export interface OAuth2Token {
  access_token: string
  token_type: string
  expires_in?: number
  /** Epoch seconds; computed on receipt from expires_in when absent. */
  expires_at?: number
  refresh_token?: string
  scope?: string
  id_token?: string
  [field: string]: unknown
}

/** An OAuth endpoint's answer as the compliance hooks see it. */
export interface EndpointResponse {
  statusCode: number
  headers: Record<string, string | string[]>
  body: string
}

const EXCERPT_LENGTH = 120

/**
 * A short excerpt of a body for error messages: whitespace folded, anything that looks like a
 * credential (long runs of token characters, and the known `secrets`) replaced by '…'.
 */
export function excerpt(body: string, secrets: readonly (string | undefined)[] = []): string {
  const text = redactSecrets(body.slice(0, 4 * EXCERPT_LENGTH), secrets)
    .replace(/[A-Za-z0-9\-._~+/=]{24,}/g, '…')
    .replace(/\s+/g, ' ')
    .trim()
  return text.length > EXCERPT_LENGTH ? `${text.slice(0, EXCERPT_LENGTH)}…` : text
}

function optionalString(object: Record<string, unknown>, name: string): string | undefined {
  const value = object[name]
  return typeof value === 'string' ? value : undefined
}

/**
 * The RFC 6749 §5.2 error in a JSON body, if there is one (a 200 that carries `error` is an
 * error too). Returns undefined for bodies that are not JSON objects with a string `error`.
 * Known `secrets` echoed in the error fields are redacted.
 */
export function readOAuthError(
  response: EndpointResponse,
  what: string,
  secrets: readonly (string | undefined)[] = [],
): OAuthError | undefined {
  let parsed: unknown
  try {
    parsed = JSON.parse(response.body)
  } catch {
    return undefined
  }
  if (
    parsed === null ||
    typeof parsed !== 'object' ||
    typeof (parsed as { error?: unknown }).error !== 'string'
  )
    return undefined
  const fields = parsed as Record<string, unknown>
  const error = redactSecrets(fields.error as string, secrets)
  const description = redactSecrets(optionalString(fields, 'error_description'), secrets)
  return new OAuthError(
    `${what} answered ${response.statusCode} ${error}${description ? `: ${description}` : ''}`,
    {
      error,
      description,
      uri: redactSecrets(optionalString(fields, 'error_uri'), secrets),
      statusCode: response.statusCode,
    },
  )
}

function invalidResponse(
  response: EndpointResponse,
  what: string,
  reason: string,
  secrets: readonly (string | undefined)[],
): InvalidResponseError {
  return new InvalidResponseError(`${what} answered ${response.statusCode}: ${reason}`, {
    statusCode: response.statusCode,
    excerpt: excerpt(response.body, secrets),
  })
}

/** The error an endpoint's failure answer stands for: its RFC 6749 §5.2 error, else an InvalidResponseError. */
export function endpointError(
  response: EndpointResponse,
  what: string,
  secrets: readonly (string | undefined)[] = [],
): OAuthError {
  return (
    readOAuthError(response, what, secrets) ??
    invalidResponse(response, what, 'not a success status', secrets)
  )
}

/**
 * Parses a JSON-object answer of an OAuth endpoint: an RFC 6749 §5.2 error becomes an OAuthError,
 * a non-2xx status or a body that is not a JSON object an InvalidResponseError with a short excerpt.
 */
export function parseJsonObject(
  response: EndpointResponse,
  what: string,
  secrets: readonly (string | undefined)[] = [],
): Record<string, unknown> {
  const { statusCode } = response
  if (statusCode < 200 || statusCode > 299 || readOAuthError(response, what) !== undefined) {
    throw endpointError(response, what, secrets)
  }
  const invalid = (reason: string) => invalidResponse(response, what, reason, secrets)
  let parsed: unknown
  try {
    parsed = JSON.parse(response.body)
  } catch {
    throw invalid('the body is not JSON')
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
    throw invalid('the body is not a JSON object')
  return parsed as Record<string, unknown>
}

/** A number, or a string holding a finite number (some servers quote expires_in). */
function readSeconds(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value)
  return undefined
}

/**
 * Validates a token and fills `expires_at` (RFC 6749 §5.1): `access_token` and `token_type` are
 * strings, `expires_in`/`expires_at` numbers (or numeric strings), `refresh_token` and `scope`
 * strings when present. `issuedAt` is epoch seconds of the moment the request was sent, so the
 * computed expiry is never later than the server's. The input object is not modified.
 */
export function toToken(
  fields: Record<string, unknown>,
  issuedAt: number,
  fail: (reason: string) => Error,
): OAuth2Token {
  if (typeof fields.access_token !== 'string' || fields.access_token === '')
    fail('access_token is missing or not a string')
  if (typeof fields.token_type !== 'string' || fields.token_type === '')
    fail('token_type is missing or not a string')
  for (const name of ['refresh_token', 'scope', 'id_token']) {
    if (fields[name] !== undefined && fields[name] !== null && typeof fields[name] !== 'string')
      fail(`${name} is not a string`)
  }
  const token = { ...fields } as OAuth2Token
  for (const name of ['refresh_token', 'scope', 'id_token']) if (token[name] === null) delete token[name]
  for (const name of ['expires_in', 'expires_at'] as const) {
    if (fields[name] === undefined || fields[name] === null) {
      delete token[name]
      continue
    }
    const seconds = readSeconds(fields[name])
    if (seconds === undefined) fail(`${name} is not a number`)
    token[name] = seconds
  }
  if (token.expires_at === undefined && token.expires_in !== undefined) {
    // Not rounded down to a whole second: that would cut up to a second off a short-lived token.
    // Rounded to the millisecond; a huge expires_in (1e306) would overflow to Infinity when scaled.
    const at = issuedAt + token.expires_in
    token.expires_at = Number.isFinite(at * 1000) ? Math.round(at * 1000) / 1000 : at
  }
  return token
}

/** Parses a token endpoint answer into a validated token (RFC 6749 §5.1, §5.2). */
export function parseTokenResponse(
  response: EndpointResponse,
  issuedAt: number,
  secrets: readonly (string | undefined)[] = [],
): OAuth2Token {
  const fields = parseJsonObject(response, 'token endpoint', secrets)
  return toToken(fields, issuedAt, reason => {
    throw new InvalidResponseError(
      `token endpoint answered ${response.statusCode} with an invalid token: ${reason}`,
      {
        statusCode: response.statusCode,
      },
    )
  })
}

/**
 * When a token should be renewed, in epoch ms: `leeway` seconds before it expires, but never more
 * than half its lifetime early, so a token shorter-lived than the leeway is not renewed on every
 * request. Infinity when the token states no expiry.
 */
export function renewalTime(token: OAuth2Token, leeway: number): number {
  if (token.expires_at === undefined) return Number.POSITIVE_INFINITY
  const lifetime = token.expires_in
  const early = lifetime === undefined ? leeway : Math.min(leeway, lifetime / 2)
  return (token.expires_at - early) * 1000
}

/**
 * Whether `token` has expired, or will within `leeway` seconds (simple-oauth2's `expired()`):
 * `expires_at` is epoch seconds (RFC 6749 §5.1 gives only `expires_in`; the client records the
 * moment). A token that states no expiry is not expired.
 */
export function isTokenExpired(token: OAuth2Token, leeway = 0): boolean {
  if (token === null || typeof token !== 'object') {
    throw new TypeError(
      `isTokenExpired: token must be an OAuth2Token object; got ${token === null ? 'null' : typeof token}`,
    )
  }
  if (typeof leeway !== 'number' || !(leeway >= 0)) {
    throw new TypeError(
      `isTokenExpired: leeway must be a non-negative number of seconds; got ${typeof leeway === 'number' ? leeway : typeof leeway}`,
    )
  }
  const expiresAt = token.expires_at
  if (expiresAt === undefined || expiresAt === null) return false
  if (typeof expiresAt !== 'number' || Number.isNaN(expiresAt)) {
    throw new TypeError(
      `isTokenExpired: expires_at must be a number of epoch seconds; got ${typeof expiresAt}`,
    )
  }
  return Date.now() >= (expiresAt - leeway) * 1000
}
