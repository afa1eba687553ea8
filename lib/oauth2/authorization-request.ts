/**
 * The authorization request URL (RFC 6749 §4.1.1 code, §4.2.1 implicit) with its state (§10.12),
 * the RFC 7636 §4.3 PKCE challenge and the OpenID Connect Core §3.1.2.1 nonce.
 */
import { checkKnownKeys } from '../http/options.js'
import { appendQuery } from '../http/syntax.js'
import { appendParams, scopeToString } from './parameters.js'
import { type CodeChallengeMethod, createCodeChallenge, generateCodeVerifier, generateToken } from './pkce.js'

export interface AuthorizationUrlParams {
  state?: string
  codeVerifier?: string
  nonce?: string
  scope?: string | string[]
  redirectUri?: string
  /** Default 'code'; 'token' asks for the implicit grant (RFC 6749 §4.2.1), which gets no PKCE. */
  responseType?: string
  /** Further authorization request parameters (e.g. `prompt`, `login_hint`), sent as they are. */
  extraParams?: Record<string, string | string[]>
}

const AUTHORIZATION_URL_PARAMS: readonly (keyof AuthorizationUrlParams)[] = [
  'state',
  'codeVerifier',
  'nonce',
  'scope',
  'redirectUri',
  'responseType',
  'extraParams',
]

/** The parameters createAuthorizationUrl sets itself, and the parameter that sets each. */
const OWN_AUTHORIZATION_PARAMS: Readonly<Record<string, string>> = {
  response_type: '`responseType`',
  client_id: 'the `clientId` option',
  redirect_uri: '`redirectUri`',
  scope: '`scope`',
  state: '`state`',
  code_challenge: '`codeVerifier`',
  code_challenge_method: 'the `codeChallengeMethod` option',
  nonce: '`nonce`',
}

export interface AuthorizationUrl {
  url: string
  state: string
  /**
   * The PKCE verifier to pass to fetchToken (RFC 7636 §4.5). Present whenever PKCE is on (the
   * default) and the response type includes `code`; absent with `codeChallengeMethod: null`.
   */
  codeVerifier?: string
  nonce?: string
}

/** What the client configures for every authorization request. */
export interface AuthorizationRequestDefaults {
  clientId: string | undefined
  redirectUri: string | undefined
  scope: string | undefined
  /** null: no PKCE. */
  codeChallengeMethod: CodeChallengeMethod | null
}

/**
 * Extra authorization request parameters: strings or arrays of strings, none of them one the
 * request sets itself from a named parameter or option (a second `state` would defeat the check).
 * `caller` names the method for the message.
 */
function checkExtraParams(value: unknown, caller: string): Record<string, string | string[]> {
  if (value === undefined) return {}
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new TypeError(`${caller}: \`extraParams\` must be an object of parameter names to strings`)
  }
  const params = value as Record<string, unknown>
  for (const [name, item] of Object.entries(params)) {
    const own = OWN_AUTHORIZATION_PARAMS[name]
    if (own !== undefined) {
      throw new TypeError(`${caller}: extraParams.${name} is set from ${own}, not extraParams`)
    }
    if (typeof item !== 'string' && !(Array.isArray(item) && item.every(i => typeof i === 'string'))) {
      throw new TypeError(`${caller}: extraParams.${name} must be a string or an array of strings`)
    }
  }
  return params as Record<string, string | string[]>
}

/** An authorization request's parameters, and what the caller keeps for the response. */
export interface AuthorizationRequest {
  params: URLSearchParams
  /** The AuthorizationUrl without its `url`. */
  kept: Omit<AuthorizationUrl, 'url'>
}

/**
 * The authorization request's parameters (RFC 6749 §4.1.1), with a fresh state, PKCE verifier and
 * (for an `openid` scope) nonce unless given; `params` checked first (names, then extraParams).
 * `caller` names the method in messages: the plain URL's or the pushed request's (RFC 9126 §2.1).
 */
export function authorizationRequest(
  params: AuthorizationUrlParams,
  defaults: AuthorizationRequestDefaults,
  caller: string,
): AuthorizationRequest {
  checkKnownKeys(`${caller} parameter`, params, AUTHORIZATION_URL_PARAMS)
  const extra = checkExtraParams(params.extraParams, caller)
  const { state: givenState, codeVerifier: givenVerifier, nonce: givenNonce, scope, redirectUri } = params
  const state = givenState ?? generateToken()
  const type = params.responseType ?? 'code'
  const scopeValue = scope === undefined ? defaults.scope : scopeToString(scope)
  const query = new URLSearchParams({ response_type: type })
  appendParams(query, {
    client_id: defaults.clientId,
    redirect_uri: redirectUri ?? defaults.redirectUri,
    scope: scopeValue,
    state,
  })
  appendParams(query, extra)
  const kept: Omit<AuthorizationUrl, 'url'> = { state }
  // RFC 7636 §4.3: PKCE protects the code, so it goes with every response type that returns one.
  const method = defaults.codeChallengeMethod
  if (method !== null && type.split(' ').includes('code')) {
    const verifier = givenVerifier ?? generateCodeVerifier()
    query.append('code_challenge', createCodeChallenge(verifier, method))
    query.append('code_challenge_method', method)
    kept.codeVerifier = verifier
  }
  // OpenID Connect Core §3.1.2.1: a nonce binds the ID token to this request.
  const nonce = givenNonce ?? (scopeValue?.split(' ').includes('openid') ? generateToken() : undefined)
  if (nonce !== undefined) {
    query.append('nonce', nonce)
    kept.nonce = nonce
  }
  return { params: query, kept }
}

/** `query` added to the authorization endpoint's URL, whose own query is kept (RFC 6749 §3.1). */
export function authorizationEndpointUrl(
  endpoint: string | undefined,
  query: URLSearchParams,
  caller: string,
): string {
  if (endpoint === undefined) throw new TypeError(`${caller}: pass a URL or configure authorizationEndpoint`)
  const target = new URL(endpoint)
  appendQuery(target, query.toString())
  return target.href
}

/** The plain authorization URL on `endpoint`: see authorizationRequest. */
export function buildAuthorizationUrl(
  endpoint: string | undefined,
  params: AuthorizationUrlParams,
  defaults: AuthorizationRequestDefaults,
): AuthorizationUrl {
  const caller = 'createAuthorizationUrl'
  const request = authorizationRequest(params, defaults, caller)
  return { url: authorizationEndpointUrl(endpoint, request.params, caller), ...request.kept }
}
