/**
 * The authorization response (RFC 6749 §4.1.2, §4.2.2): the redirect URL read and checked (state
 * §10.12, error §4.1.2.1, issuer RFC 9207 §2.4) before its code or token is used.
 */
import { timingSafeEqual } from 'node:crypto'
import { InvalidResponseError, MismatchingIssuerError, MismatchingStateError, OAuthError } from '../errors.js'

/** Compares two states in constant time (the state is a CSRF secret, RFC 6749 §10.12). */
export function statesEqual(expected: string, received: string): boolean {
  const a = Buffer.from(expected)
  const b = Buffer.from(received)
  return a.length === b.length && timingSafeEqual(a, b)
}

/** What a caller expects of an authorization response. */
export interface AuthorizationResponseChecks {
  /** The state created with the authorization URL; undefined when the caller has none. */
  state: string | undefined
  /** The issuer the client knows (its metadata's `issuer`), compared with `iss` (RFC 9207 §2.4). */
  issuer?: string | undefined
  /** The server always sends `iss` (metadata `authorization_response_iss_parameter_supported`). */
  issRequired?: boolean | undefined
  /** The caller is doing a code flow (it holds a code verifier or asked for authorization_code). */
  codeFlow: boolean
}

/**
 * What an authorization response grants: a code to exchange (with the ID token of a hybrid
 * response, OpenID Connect Core §3.3.2.5), or an implicit-flow token's fields.
 */
export type AuthorizationGrant = { code: string; idToken?: string } | { token: Record<string, string> }

/**
 * Reads an authorization response redirect URL (RFC 6749 §4.1.2, §4.2.2): the query, or the
 * fragment when the query carries no response. Throws before anything is used:
 * - InvalidResponseError for an `access_token` in the query (§4.2.2 returns tokens only in the
 *   fragment; a query token is an injection), and for a fragment token in a code flow (a code flow
 *   takes only a code, which PKCE and client authentication protect);
 * - MismatchingIssuerError (`error` 'invalid_issuer') when `iss` differs from the known issuer,
 *   or is missing while the server promises it (RFC 9207 §2.4: checked on error responses too, against mix-up);
 * - OAuthError with the response's `error` (§4.1.2.1, §4.2.2.1);
 * - MismatchingStateError when the state differs from the expected one, is missing, or is present
 *   while the caller expects none (§10.12: the CSRF check is the caller's state).
 * A code wins over a token beside it (a hybrid response): the code is exchanged, the token unused.
 */
export function readAuthorizationResponse(
  redirect: string,
  checks: AuthorizationResponseChecks,
): AuthorizationGrant {
  let url: URL
  try {
    url = new URL(redirect)
  } catch {
    throw new OAuthError('authorization response is not an absolute URL', { error: 'invalid_request' })
  }
  if (url.searchParams.has('access_token')) {
    throw new InvalidResponseError(
      'authorization response carries access_token in its query: tokens come only in the fragment (RFC 6749 §4.2.2), so it is refused',
    )
  }
  const fragment = new URLSearchParams(url.hash.slice(1))
  const fromFragment =
    !url.searchParams.has('code') &&
    !url.searchParams.has('error') &&
    (fragment.has('access_token') || fragment.has('code') || fragment.has('error'))
  const params = fromFragment ? fragment : url.searchParams
  checkIssuer(params.get('iss'), checks)
  const error = params.get('error')
  if (error !== null) {
    const description = params.get('error_description') ?? undefined
    throw new OAuthError(`authorization server answered ${error}${description ? `: ${description}` : ''}`, {
      error,
      description,
      uri: params.get('error_uri') ?? undefined,
    })
  }
  const state = params.get('state')
  if (checks.state === undefined) {
    if (state !== null) {
      throw new MismatchingStateError(
        'authorization response carries a state but none was passed: pass the state created with the authorization URL',
      )
    }
  } else if (state === null || !statesEqual(checks.state, state)) {
    throw new MismatchingStateError()
  }
  const code = params.get('code')
  const idToken = params.get('id_token')
  if (code !== null) return idToken === null ? { code } : { code, idToken }
  if (!params.has('access_token')) {
    throw new OAuthError('authorization response carries neither code nor error', {
      error: 'invalid_request',
    })
  }
  if (checks.codeFlow) {
    throw new InvalidResponseError(
      'authorization response carries an access token and no code, but this is a code flow (codeVerifier, code or grantType authorization_code given): a code flow takes only a code',
    )
  }
  const token = Object.fromEntries(params)
  delete token.state
  delete token.iss
  return { token }
}

/** RFC 9207 §2.4: `iss`, when the client knows its issuer, must be identical to it. */
function checkIssuer(iss: string | null, checks: AuthorizationResponseChecks): void {
  if (iss === null) {
    if (checks.issRequired === true) {
      throw new MismatchingIssuerError(
        'authorization response has no iss, which the server promises (RFC 9207 §2.4): refused as a possible mix-up',
      )
    }
    return
  }
  if (checks.issuer !== undefined && iss !== checks.issuer) {
    throw new MismatchingIssuerError(
      `authorization response iss '${iss.slice(0, 80)}' is not the issuer '${checks.issuer}' (RFC 9207 §2.4): refused as a possible mix-up`,
    )
  }
}
