/**
 * Answers of OAuth endpoints that are not what was asked for, as errors: the RFC 6749 §5.2 error
 * body, or an InvalidResponseError with a short, redacted excerpt. Neutral ground: OAuth 2 token,
 * revocation, introspection and metadata endpoints use it, and OAuth 1 (RFC 5849) its excerpt.
 */
import { InvalidResponseError, OAuthError } from '../errors.js'
import { redactSecrets } from '../redact.js'

/** An OAuth endpoint's answer as the compliance hooks see it. */
export interface EndpointResponse {
  /** The HTTP status code. */
  statusCode: number
  /** The response headers, names in lower case. */
  headers: Record<string, string | string[]>
  /** The whole body as text (at most 1 MiB is read). */
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
