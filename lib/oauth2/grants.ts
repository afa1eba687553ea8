/**
 * The token request of each grant (RFC 6749 §4.1.3 authorization code, §4.3.2 password, §4.4.2
 * client credentials, §4.5 extension grants, §6 refresh), built from plain inputs, and the checks
 * of fetchToken's and refreshToken's parameters. Client authentication is added by the caller.
 */
import { InvalidArgumentError, MissingTokenError } from '../errors.js'
import { argumentError, checkKnownKeys } from '../http/options.js'
import { readAuthorizationResponse } from './authorization-response.js'
import type { GrantType } from './grant-type.js'
import { appendExtraParams, appendParams, type ExtraParams, spaceDelimited } from './parameters.js'
import { checkResource, type ResourceIndicator } from './resource-indicators.js'

/**
 * fetchToken's parameters: the grant's inputs, and the call's headers, signal and extra parameters.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4
 */
export interface FetchTokenParams {
  /**
   * Inferred: code/authorizationResponse -> authorization_code, username+password -> password, else client_credentials.
   * @see https://www.rfc-editor.org/rfc/rfc6749#section-4
   */
  grantType?: GrantType
  /** The full redirect URL; code, state and error are read from its query or fragment. @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2 */
  authorizationResponse?: string
  /** The authorization code from the redirect, when authorizationResponse is not given. @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.3 */
  code?: string
  /**
   * The state created with the authorization URL; a different or unexpected one throws MismatchingStateError.
   * @see https://www.rfc-editor.org/rfc/rfc6749#section-10.12
   */
  state?: string
  /** Takes AuthorizationUrl.codeVerifier as it is: undefined when PKCE is off. @see https://www.rfc-editor.org/rfc/rfc7636#section-4.5 */
  codeVerifier?: string | undefined
  /**
   * The redirect_uri sent in the authorization request (default the client's `redirectUri`).
   * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.3
   */
  redirectUri?: string
  /** The resource owner's username, for the password grant. @see https://www.rfc-editor.org/rfc/rfc6749#section-4.3.2 */
  username?: string
  /** The resource owner's password, for the password grant. @see https://www.rfc-editor.org/rfc/rfc6749#section-4.3.2 */
  password?: string
  /** The scope requested (default the client's `scope`). @see https://www.rfc-editor.org/rfc/rfc6749#section-3.3 */
  scope?: string | string[]
  /** RFC 8707 §2.2: the resource(s) the token is for; default the client's `resource` option. */
  resource?: ResourceIndicator
  /** Extra headers for the token request. @see https://www.rfc-editor.org/rfc/rfc6749#section-3.2 */
  headers?: Record<string, string>
  /** Aborts the token request. @see docs/sessions.md#sessions */
  signal?: AbortSignal
  /**
   * Parameters of other grants (e.g. RFC 8693 `subject_token`); names the client sets itself are refused.
   * @see https://www.rfc-editor.org/rfc/rfc6749#section-8.2
   */
  extraParams?: ExtraParams
  /**
   * OpenID Connect: the nonce createAuthorizationUrl returned; the ID token must carry exactly it
   * (Core §3.1.3.7 step 11). Passing it makes an ID token required. Like `state`, the client keeps none.
   */
  nonce?: string | undefined
  /** OpenID Connect: the `maxAge` the authorization URL asked for; the ID token's `auth_time` must be that recent. */
  maxAge?: number | undefined
}

/** refreshToken's parameters. @see https://www.rfc-editor.org/rfc/rfc6749#section-6 */
export interface RefreshTokenParams {
  /** The refresh token to use (default the current token's). @see https://www.rfc-editor.org/rfc/rfc6749#section-6 */
  refreshToken?: string
  /** A scope no wider than the one originally granted. @see https://www.rfc-editor.org/rfc/rfc6749#section-6 */
  scope?: string | string[]
  /** RFC 8707 §2.2: the resource(s) the refreshed token is for; default the client's `resource` option. */
  resource?: ResourceIndicator
  /** Extra headers for the token request. @see https://www.rfc-editor.org/rfc/rfc6749#section-3.2 */
  headers?: Record<string, string>
  /** Aborts the refresh request. @see docs/sessions.md#sessions */
  signal?: AbortSignal
  /** Further request parameters; names the client sets itself are refused. @see https://www.rfc-editor.org/rfc/rfc6749#section-8.2 */
  extraParams?: ExtraParams
}

const FETCH_TOKEN_PARAMS: readonly (keyof FetchTokenParams)[] = [
  'grantType',
  'authorizationResponse',
  'code',
  'state',
  'codeVerifier',
  'redirectUri',
  'username',
  'password',
  'scope',
  'resource',
  'headers',
  'signal',
  'extraParams',
  'nonce',
  'maxAge',
]

const REFRESH_TOKEN_PARAMS: readonly (keyof RefreshTokenParams)[] = [
  'refreshToken',
  'scope',
  'resource',
  'headers',
  'signal',
  'extraParams',
]

const EXTRA_PARAMS_HINT = 'put parameters for the server in `extraParams`'

/**
 * True for a URL that carries an authorization response (`code`, `state` or `error` in its query or
 * fragment): passed where the token endpoint goes, it would receive the client's credentials.
 */
function looksLikeAuthorizationResponse(url: string): boolean {
  if (!URL.canParse(url)) return false
  const { searchParams, hash } = new URL(url)
  const fragment = new URLSearchParams(hash.slice(1))
  return ['code', 'state', 'error'].some(name => searchParams.has(name) || fragment.has(name))
}

/** fetchToken's arguments: known parameter names only, and a token endpoint that is no redirect URL. */
export function checkFetchTokenArguments(url: string | undefined, params: FetchTokenParams): void {
  checkKnownKeys('fetchToken parameter', params, FETCH_TOKEN_PARAMS, EXTRA_PARAMS_HINT)
  if (url !== undefined && looksLikeAuthorizationResponse(url)) {
    throw new InvalidArgumentError(
      'fetchToken: the first argument is the token endpoint, and this URL carries code, state or error: ' +
        'pass the callback URL as { authorizationResponse }',
    )
  }
}

/** refreshToken's parameters: known names only. */
export function checkRefreshTokenParams(params: RefreshTokenParams): void {
  checkKnownKeys('refreshToken parameter', params, REFRESH_TOKEN_PARAMS, EXTRA_PARAMS_HINT)
}

/** The grant fetchToken uses when none is named: a code exchanges, a username and password log in. */
function inferGrantType(
  code: string | undefined,
  username: string | undefined,
  password: string | undefined,
): GrantType {
  if (code !== undefined) return 'authorization_code'
  return username !== undefined && password !== undefined ? 'password' : 'client_credentials'
}

/** RFC 6749 §4.1.3: exchanging an authorization code, with the RFC 7636 §4.5 verifier when PKCE is on. */
export function authorizationCodeGrant(
  code: string | undefined,
  redirectUri: string | undefined,
  codeVerifier: string | undefined,
): URLSearchParams {
  if (code === undefined)
    throw new InvalidArgumentError(
      'fetchToken: the authorization_code grant needs code or authorizationResponse',
    )
  const body = new URLSearchParams({ grant_type: 'authorization_code' })
  appendParams(body, { code, redirect_uri: redirectUri, code_verifier: codeVerifier })
  return body
}

/** What the grants other than authorization_code take: the resource owner's credentials and a scope. */
export interface OwnerCredentials {
  username?: string | undefined
  password?: string | undefined
  scope?: string | undefined
}

/**
 * RFC 6749 §4.4.2 client credentials and §4.5 extension grants: the grant type and scope, with a
 * username and password when the caller gives them (sent as given).
 */
export function credentialsGrant(grantType: GrantType, inputs: OwnerCredentials): URLSearchParams {
  const body = new URLSearchParams({ grant_type: grantType })
  appendParams(body, { username: inputs.username, password: inputs.password, scope: inputs.scope })
  return body
}

/** RFC 6749 §4.3.2: the resource owner password credentials grant, which needs both. */
export function passwordGrant(inputs: OwnerCredentials): URLSearchParams {
  if (inputs.username === undefined || inputs.password === undefined) {
    throw new InvalidArgumentError('fetchToken: the password grant needs username and password')
  }
  return credentialsGrant('password', inputs)
}

/** RFC 6749 §6: refreshing with a refresh token, optionally for a narrower scope. */
export function refreshTokenGrant(refreshToken: string, scope: string | undefined): URLSearchParams {
  const body = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken })
  appendParams(body, { scope })
  return body
}

/** What fetchToken takes from its client: its defaults, and what its metadata says of the issuer (RFC 9207). */
export interface FetchTokenDefaults {
  redirectUri: string | undefined
  scope: string | undefined
  issuer: string | undefined
  issRequired: boolean
  /** RFC 8707 resource indicators sent when the call names none. */
  resource?: readonly string[] | undefined
}

/**
 * fetchToken's request: the token request body of the grant named or inferred, with `extraParams`;
 * or, for an implicit-flow `authorizationResponse` (RFC 6749 §4.2.2), the token fields it carries,
 * which need no request. The authorization response is checked first (authorization-response.ts).
 */
export function fetchTokenRequest(
  params: FetchTokenParams,
  defaults: FetchTokenDefaults,
): { body: URLSearchParams; code?: string; idToken?: string } | { token: Record<string, string> } {
  const { grantType, authorizationResponse, code, codeVerifier, username, password, scope } = params
  let authorizationCode = code
  let frontChannelIdToken: string | undefined
  if (authorizationResponse !== undefined) {
    const grant = readAuthorizationResponse(authorizationResponse, {
      state: params.state,
      issuer: defaults.issuer,
      issRequired: defaults.issRequired,
      codeFlow: codeVerifier !== undefined || code !== undefined || grantType === 'authorization_code',
    })
    if ('token' in grant) return grant
    authorizationCode = grant.code
    frontChannelIdToken = grant.idToken
  }
  const grant = grantType ?? inferGrantType(authorizationCode, username, password)
  const owner = { username, password, scope: scope === undefined ? defaults.scope : spaceDelimited(scope) }
  const body =
    grant === 'authorization_code'
      ? authorizationCodeGrant(authorizationCode, params.redirectUri ?? defaults.redirectUri, codeVerifier)
      : grant === 'password'
        ? passwordGrant(owner)
        : credentialsGrant(grant, owner)
  appendParams(body, {
    resource: checkResource('resource', params.resource, argumentError) ?? defaults.resource,
  })
  appendExtraParams(body, params.extraParams, 'fetchToken')
  if (grant !== 'authorization_code' || authorizationCode === undefined) return { body }
  return frontChannelIdToken === undefined
    ? { body, code: authorizationCode }
    : { body, code: authorizationCode, idToken: frontChannelIdToken }
}

/**
 * refreshToken's request (RFC 6749 §6): the given refresh token, else `current`, with the RFC 8707
 * `resource` (else `defaultResource`) and `extraParams`.
 * Returns the refresh token used, which stays valid when the answer carries no new one.
 */
export function refreshTokenRequest(
  params: RefreshTokenParams,
  current: string | undefined,
  defaultResource?: readonly string[],
): { body: URLSearchParams; refreshToken: string } {
  const refreshToken = params.refreshToken ?? current
  if (refreshToken === undefined) throw new MissingTokenError('no refresh_token to refresh with')
  const body = refreshTokenGrant(refreshToken, spaceDelimited(params.scope))
  appendParams(body, {
    resource: checkResource('resource', params.resource, argumentError) ?? defaultResource,
  })
  appendExtraParams(body, params.extraParams, 'refreshToken')
  return { body, refreshToken }
}
