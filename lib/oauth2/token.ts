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

/** A body that is not JSON at all. */
const NOT_JSON = Symbol('not JSON')

/** The body parsed as JSON, once per answer: a large or deeply nested body costs one parse only. */
function parseBody(body: string): unknown {
  try {
    return JSON.parse(body)
  } catch {
    return NOT_JSON
  }
}

function isJsonObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

/**
 * The RFC 6749 §5.2 error an already parsed body carries (a 200 that carries `error` is an error
 * too), with known `secrets` echoed in its fields redacted; undefined when it carries none.
 */
function oauthErrorIn(
  parsed: unknown,
  response: EndpointResponse,
  what: string,
  secrets: readonly (string | undefined)[],
): OAuthError | undefined {
  if (!isJsonObject(parsed) || typeof parsed.error !== 'string') return undefined
  const error = redactSecrets(parsed.error, secrets)
  const description = redactSecrets(optionalString(parsed, 'error_description'), secrets)
  return new OAuthError(
    `${what} answered ${response.statusCode} ${error}${description ? `: ${description}` : ''}`,
    {
      error,
      description,
      uri: redactSecrets(optionalString(parsed, 'error_uri'), secrets),
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

/**
 * The error an endpoint's failure answer stands for: its RFC 6749 §5.2 error, else an
 * InvalidResponseError, which names the endpoint by origin and path when `endpoint` is given (a
 * 404 page or a proxy's 502 then shows which URL was wrong; never the query, which may carry
 * credentials).
 */
export function endpointError(
  response: EndpointResponse,
  what: string,
  secrets: readonly (string | undefined)[] = [],
  endpoint?: URL,
): OAuthError {
  return failure(parseBody(response.body), response, what, secrets, endpoint)
}

function failure(
  parsed: unknown,
  response: EndpointResponse,
  what: string,
  secrets: readonly (string | undefined)[],
  endpoint?: URL,
): OAuthError {
  const where = endpoint === undefined ? what : `${what} ${endpoint.origin}${endpoint.pathname}`
  return (
    oauthErrorIn(parsed, response, what, secrets) ??
    invalidResponse(response, where, 'not a success status', secrets)
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
  const parsed = parseBody(response.body)
  if (statusCode < 200 || statusCode > 299) throw failure(parsed, response, what, secrets)
  const error = oauthErrorIn(parsed, response, what, secrets)
  if (error !== undefined) throw error
  if (parsed === NOT_JSON) throw invalidResponse(response, what, 'the body is not JSON', secrets)
  if (!isJsonObject(parsed)) throw invalidResponse(response, what, 'the body is not a JSON object', secrets)
  return parsed
}

/** A number, or a string holding a finite number (some servers quote expires_in). */
function readSeconds(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value)
  return undefined
}

/**
 * What may be sent as a token: visible ASCII (RFC 5234 VCHAR, %x21-7E). RFC 6750 §2.1's b64token
 * is narrower, but providers issue tokens outside it that work; what this refuses is what cannot
 * go in an HTTP header at all (CR, LF, other controls, space, non-ASCII, RFC 9110 §5.5).
 */
const SENDABLE_TOKEN = /^[\x21-\x7E]+$/

/** Where a token value first breaks SENDABLE_TOKEN, named by code point (never the value itself). */
function unsendable(name: string, value: string): string {
  if (value === '') return `${name} is empty`
  const index = [...value].findIndex(char => !SENDABLE_TOKEN.test(char))
  const code = value.codePointAt(index)!.toString(16).padStart(2, '0')
  return `${name} holds U+${code.toUpperCase()} at position ${index}: a token must be visible ASCII to go in an HTTP header`
}

/** Quoted and cut short, for naming a non-secret value that came. */
function shown(value: string): string {
  return value.length > 40 ? `'${value.slice(0, 40)}…'` : `'${value}'`
}

/**
 * Validates a token and fills `expires_at` (RFC 6749 §5.1): `access_token` (and `refresh_token`)
 * visible-ASCII strings, `token_type` Bearer in any case (RFC 6750 §4: every token is sent as a
 * Bearer token, so another type could not be used), `expires_in` a positive number of seconds
 * and `expires_at` a number (or numeric strings), `scope` and `id_token` strings when present.
 * `issuedAt` is epoch seconds of the moment the request was sent, so the computed expiry is
 * never later than the server's. The input object is not modified.
 */
export function toToken(
  fields: Record<string, unknown>,
  issuedAt: number,
  fail: (reason: string) => never,
): OAuth2Token {
  if (typeof fields.access_token !== 'string' || fields.access_token === '')
    fail('access_token is missing or not a string')
  if (typeof fields.token_type !== 'string' || fields.token_type === '')
    fail('token_type is missing or not a string')
  for (const name of ['refresh_token', 'scope', 'id_token']) {
    if (fields[name] !== undefined && fields[name] !== null && typeof fields[name] !== 'string')
      fail(`${name} is not a string`)
  }
  for (const name of ['access_token', 'refresh_token']) {
    const value = fields[name]
    if (typeof value === 'string' && !SENDABLE_TOKEN.test(value)) fail(unsendable(name, value))
  }
  const type = fields.token_type as string
  if (type.toLowerCase() !== 'bearer')
    fail(
      `token_type must be Bearer (RFC 6750 §4), got ${shown(type)}: this client sends every token as Bearer`,
    )
  const token = { ...fields } as OAuth2Token
  for (const name of ['refresh_token', 'scope', 'id_token']) if (token[name] === null) delete token[name]
  for (const name of ['expires_in', 'expires_at'] as const) {
    if (fields[name] === undefined || fields[name] === null) {
      delete token[name]
      continue
    }
    const seconds = readSeconds(fields[name])
    if (seconds === undefined) fail(`${name} is not a number`)
    // A lifetime of 0 or less would make every request renew the token first.
    if (name === 'expires_in' && seconds <= 0)
      fail(`expires_in must be a positive number of seconds, got ${seconds}`)
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
