/**
 * RFC 6750, the Bearer token: where a resource request carries it (§2.1 header, §2.2 form body,
 * §2.3 query), and the WWW-Authenticate challenge (§3, read per RFC 9110 §11.6.1) that asks for a
 * new one. Pure functions; TokenSession calls them.
 */
import { OAuthError } from '../errors.js'
import type { PreparedRequest } from '../http/prepared-request.js'
import { appendQuery, LEADING_HTTP_TOKEN } from '../http/syntax.js'

/** Where a bearer token goes on a request (RFC 6750 §2): the `Authorization` header (default), the form body (§2.2) or the query (§2.3). */
export type TokenPlacement = 'header' | 'body' | 'uri'

export const TOKEN_PLACEMENTS: readonly TokenPlacement[] = ['header', 'body', 'uri']

/** §2.1: the Authorization field value, built once per token so the header placement is one assignment. */
export function bearerAuthorization(accessToken: string): string {
  return `Bearer ${accessToken}`
}

/** §2.3: the token as the `access_token` query parameter. */
export function placeInQuery(request: PreparedRequest, accessToken: string): void {
  appendQuery(request.url, `access_token=${encodeURIComponent(accessToken)}`)
}

/** §2.2: the token in a single-part form-encoded body, of a method that has a body. */
export function placeInForm(request: PreparedRequest, accessToken: string): void {
  if (request.form === undefined || request.method === 'GET' || request.method === 'HEAD') {
    throw new OAuthError(
      `tokenPlacement 'body' needs a form body and a method other than GET (RFC 6750 §2.2), got ${request.method}`,
      { error: 'invalid_request' },
    )
  }
  request.form.append('access_token', accessToken)
  request.body = request.form.toString()
}

/** The access token a request carries where `placement` puts it (§2.1-2.3), if any. */
export function accessTokenIn(request: PreparedRequest, placement: TokenPlacement): string | undefined {
  if (placement === 'header') {
    const value = request.headers.authorization
    if (typeof value !== 'string') return undefined
    // RFC 9449 §7.1: a DPoP-bound token goes under the DPoP scheme.
    if (value.startsWith('Bearer ')) return value.slice(7)
    return value.startsWith('DPoP ') ? value.slice(5) : undefined
  }
  if (placement === 'uri') return request.url.searchParams.get('access_token') ?? undefined
  return request.form?.get('access_token') ?? undefined
}

/** One challenge of a WWW-Authenticate header (RFC 9110 §11.6.1). */
export interface Challenge {
  /** Lower-case auth scheme, e.g. 'bearer'. */
  scheme: string
  /** auth-params with lower-case names; a token68 is kept under ''. */
  params: Record<string, string>
}

/** A token68 standing alone after the scheme (followed by a comma or the end). */
const TOKEN68 = /^([A-Za-z0-9\-._~+/]+=*)[ \t]*(?=,|$)/

function readQuoted(input: string): { value: string; rest: string } | undefined {
  let value = ''
  for (let i = 1; i < input.length; i++) {
    const char = input[i]
    if (char === '\\' && i + 1 < input.length) value += input[++i]
    else if (char === '"') return { value, rest: input.slice(i + 1) }
    else value += char
  }
  return undefined
}

/** An own property even for names like `__proto__`, which plain assignment would not create. */
function setParam(params: Record<string, string>, name: string, value: string): void {
  Object.defineProperty(params, name, { value, enumerable: true, writable: true, configurable: true })
}

function readToken(input: string): { value: string; rest: string } {
  const value = LEADING_HTTP_TOKEN.exec(input)?.[0] ?? ''
  return { value, rest: input.slice(value.length) }
}

/**
 * Parses WWW-Authenticate field values into challenges (RFC 9110 §11.6.1, §11.2). It never
 * throws: where a value stops making sense, what was read before is returned.
 */
export function parseWwwAuthenticate(values: string | string[] | undefined): Challenge[] {
  const challenges: Challenge[] = []
  for (const value of values === undefined ? [] : Array.isArray(values) ? values : [values]) {
    let rest = value
    let current: Challenge | undefined
    for (;;) {
      rest = rest.replace(/^[\s,]+/, '')
      const name = LEADING_HTTP_TOKEN.exec(rest)?.[0]
      if (name === undefined) break
      rest = rest.slice(name.length).replace(/^[ \t]+/, '')
      if (current !== undefined && rest.startsWith('=')) {
        rest = rest.slice(1).replace(/^[ \t]+/, '')
        const read = rest.startsWith('"') ? readQuoted(rest) : readToken(rest)
        if (read === undefined) break
        setParam(current.params, name.toLowerCase(), read.value)
        rest = read.rest
        continue
      }
      current = { scheme: name.toLowerCase(), params: {} }
      challenges.push(current)
      const token68 = TOKEN68.exec(rest)
      if (token68?.[1] !== undefined) {
        setParam(current.params, '', token68[1])
        rest = rest.slice(token68[0].length)
      }
    }
  }
  return challenges
}

/**
 * True when the response challenges the token as invalid (RFC 6750 §3.1 `invalid_token`) under
 * `scheme`: 'bearer', or 'dpop' for a DPoP-bound token (RFC 9449 §7.1).
 */
export function isInvalidTokenChallenge(
  values: string | string[] | undefined,
  scheme: 'bearer' | 'dpop' = 'bearer',
): boolean {
  return parseWwwAuthenticate(values).some(c => c.scheme === scheme && c.params.error === 'invalid_token')
}
