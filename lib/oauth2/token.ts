/** The access token (RFC 6749 §5.1): its validation, the token endpoint answer that carries it, and its renewal time. */
import { InvalidArgumentError, InvalidResponseError } from '../errors.js'
import { type EndpointResponse, parseJsonObject } from '../http/endpoint-errors.js'

import type { OAuth2Token } from '../oauth2-token.js'

export type { OAuth2Token }

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

/** Token types a client can send: Bearer (RFC 6750 §4), and DPoP (RFC 9449 §7.1) only with a DPoP key. */
export type AcceptedTokenTypes = 'bearer' | 'bearer or dpop'

/**
 * Validates a token and fills `expires_at` (RFC 6749 §5.1): `access_token` (and `refresh_token`)
 * visible-ASCII strings, `token_type` Bearer in any case (RFC 6750 §4), or DPoP in any case when
 * `accepted` allows it (RFC 9449 §5: only a client with a DPoP key can use such a token; another
 * type could not be sent at all), `expires_in` a positive number of seconds
 * and `expires_at` a number (or numeric strings), `scope` and `id_token` strings when present.
 * `issuedAt` is epoch seconds of the moment the request was sent, so the computed expiry is
 * never later than the server's. The input object is not modified.
 */
export function toToken(
  fields: Record<string, unknown>,
  issuedAt: number,
  fail: (reason: string) => never,
  accepted: AcceptedTokenTypes = 'bearer',
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
  const type = (fields.token_type as string).toLowerCase()
  if (type === 'dpop' && accepted === 'bearer')
    fail(`token_type DPoP (RFC 9449 §5) needs a DPoP key: set the client's \`dpop\` option`)
  if (type !== 'bearer' && type !== 'dpop')
    fail(
      `token_type must be Bearer (RFC 6750 §4) or DPoP (RFC 9449 §5), got ${shown(fields.token_type as string)}`,
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
  accepted: AcceptedTokenTypes = 'bearer',
): OAuth2Token {
  const fields = parseJsonObject(response, 'token endpoint', secrets)
  return toToken(
    fields,
    issuedAt,
    reason => {
      throw new InvalidResponseError(
        `token endpoint answered ${response.statusCode} with an invalid token: ${reason}`,
        {
          statusCode: response.statusCode,
        },
      )
    },
    accepted,
  )
}

/** RFC 9449 §5: whether the token is DPoP-bound, so sent with `Authorization: DPoP` and a proof. */
export function isDpopBound(token: OAuth2Token): boolean {
  return token.token_type.toLowerCase() === 'dpop'
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
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.1
 */
export function isTokenExpired(token: OAuth2Token, leeway = 0): boolean {
  if (token === null || typeof token !== 'object') {
    throw new InvalidArgumentError(
      `isTokenExpired: token must be an OAuth2Token object; got ${token === null ? 'null' : typeof token}`,
    )
  }
  if (typeof leeway !== 'number' || !(leeway >= 0)) {
    throw new InvalidArgumentError(
      `isTokenExpired: leeway must be a non-negative number of seconds; got ${typeof leeway === 'number' ? leeway : typeof leeway}`,
    )
  }
  const expiresAt = token.expires_at
  if (expiresAt === undefined || expiresAt === null) return false
  if (typeof expiresAt !== 'number' || Number.isNaN(expiresAt)) {
    throw new InvalidArgumentError(
      `isTokenExpired: expires_at must be a number of epoch seconds; got ${typeof expiresAt}`,
    )
  }
  return Date.now() >= (expiresAt - leeway) * 1000
}

/** RFC 6749 §4.2.2: the implicit flow's token from a redirect fragment, validated as a token endpoint's would be. */
export function implicitToken(fields: Record<string, string>): OAuth2Token {
  return toToken(fields, Date.now() / 1000, reason => {
    throw new InvalidResponseError(`implicit authorization response carries an invalid token: ${reason}`)
  })
}
