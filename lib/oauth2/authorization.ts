import { timingSafeEqual } from 'node:crypto'
import { MismatchingStateError, OAuthError } from '../errors.js'

/** RFC 6749 §3.3: a scope is a space-delimited list. */
export function scopeToString(scope: string | readonly string[] | undefined): string | undefined {
  if (scope === undefined) return undefined
  return typeof scope === 'string' ? scope : scope.join(' ')
}

/** Compares two states in constant time (the state is a CSRF secret, RFC 6749 §10.12). */
export function statesEqual(expected: string, received: string): boolean {
  const a = Buffer.from(expected)
  const b = Buffer.from(received)
  return a.length === b.length && timingSafeEqual(a, b)
}

/** The parameters of an authorization response (RFC 6749 §4.1.2, §4.2.2): query, then fragment. */
export interface AuthorizationResponse {
  params: URLSearchParams
  /** True when the parameters came in the fragment (implicit flow or response_mode=fragment). */
  fromFragment: boolean
}

/**
 * Reads an authorization response redirect URL. An `error` (RFC 6749 §4.1.2.1, §4.2.2.1) throws
 * OAuthError; a state that differs from `expectedState` throws MismatchingStateError. A missing
 * state in the response counts as a mismatch when one was expected.
 */
export function readAuthorizationResponse(
  redirect: string,
  expectedState: string | undefined,
): AuthorizationResponse {
  let url: URL
  try {
    url = new URL(redirect)
  } catch {
    throw new OAuthError('authorization response is not an absolute URL', { error: 'invalid_request' })
  }
  const fragment = new URLSearchParams(url.hash.slice(1))
  const fromFragment =
    !url.searchParams.has('code') &&
    !url.searchParams.has('error') &&
    (fragment.has('access_token') || fragment.has('code') || fragment.has('error'))
  const params = fromFragment ? fragment : url.searchParams
  const error = params.get('error')
  if (error !== null) {
    const description = params.get('error_description') ?? undefined
    throw new OAuthError(`authorization server answered ${error}${description ? `: ${description}` : ''}`, {
      error,
      description,
      uri: params.get('error_uri') ?? undefined,
    })
  }
  if (expectedState !== undefined) {
    const state = params.get('state')
    if (state === null || !statesEqual(expectedState, state)) throw new MismatchingStateError()
  }
  return { params, fromFragment }
}

/** Appends `params` to `base` in order, expanding arrays and skipping undefined and null. */
export function appendParams(target: URLSearchParams, params: Record<string, unknown>): void {
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined || value === null) continue
    if (Array.isArray(value)) for (const item of value) target.append(name, String(item))
    else target.append(name, String(value))
  }
}
