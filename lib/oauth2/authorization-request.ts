/**
 * The authorization request URL (RFC 6749 §4.1.1 code, §4.2.1 implicit) with its state (§10.12),
 * the RFC 7636 §4.3 PKCE challenge and the OpenID Connect Core §3.1.2.1 nonce.
 */
import { argumentError, checkKnownKeys } from '../http/options.js'
import { appendQuery } from '../http/syntax.js'
import { appendParams, scopeToString } from './parameters.js'
import { type CodeChallengeMethod, createCodeChallenge, generateCodeVerifier, generateToken } from './pkce.js'
import { checkResource, type ResourceIndicator } from './resource-indicators.js'

export interface AuthorizationUrlParams {
  state?: string
  codeVerifier?: string
  nonce?: string
  scope?: string | string[]
  redirectUri?: string
  /** Default 'code'; 'token' asks for the implicit grant (RFC 6749 §4.2.1), which gets no PKCE. */
  responseType?: string
  /** RFC 8707 §2.1: the resource(s) the token is for; default the client's `resource` option. */
  resource?: ResourceIndicator
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
  'resource',
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
  resource: '`resource`',
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
  /** RFC 8707 resource indicators sent when the call names none. */
  resource?: readonly string[] | undefined
}

/**
 * Extra authorization request parameters: strings or arrays of strings, none of them one the
 * request sets itself from a named parameter or option (a second `state` would defeat the check).
 */
function checkExtraParams(value: unknown): Record<string, string | string[]> {
  if (value === undefined) return {}
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new TypeError(
      'createAuthorizationUrl: `extraParams` must be an object of parameter names to strings',
    )
  }
  const params = value as Record<string, unknown>
  for (const [name, item] of Object.entries(params)) {
    const own = OWN_AUTHORIZATION_PARAMS[name]
    if (own !== undefined) {
      throw new TypeError(`createAuthorizationUrl: extraParams.${name} is set from ${own}, not extraParams`)
    }
    if (typeof item !== 'string' && !(Array.isArray(item) && item.every(i => typeof i === 'string'))) {
      throw new TypeError(
        `createAuthorizationUrl: extraParams.${name} must be a string or an array of strings`,
      )
    }
  }
  return params as Record<string, string | string[]>
}

/**
 * The authorization URL on `endpoint` (its own query kept), with a fresh state, PKCE verifier and
 * (for an `openid` scope) nonce unless given; `params` checked first (names, then extraParams).
 */
export function buildAuthorizationUrl(
  endpoint: string | undefined,
  params: AuthorizationUrlParams,
  defaults: AuthorizationRequestDefaults,
): AuthorizationUrl {
  checkKnownKeys('createAuthorizationUrl parameter', params, AUTHORIZATION_URL_PARAMS)
  const extra = checkExtraParams(params.extraParams)
  if (endpoint === undefined)
    throw new TypeError('createAuthorizationUrl: pass a URL or configure authorizationEndpoint')
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
    resource: checkResource('resource', params.resource, argumentError) ?? defaults.resource,
  })
  appendParams(query, extra)
  const result: AuthorizationUrl = { url: '', state }
  // RFC 7636 §4.3: PKCE protects the code, so it goes with every response type that returns one.
  const method = defaults.codeChallengeMethod
  if (method !== null && type.split(' ').includes('code')) {
    const verifier = givenVerifier ?? generateCodeVerifier()
    query.append('code_challenge', createCodeChallenge(verifier, method))
    query.append('code_challenge_method', method)
    result.codeVerifier = verifier
  }
  // OpenID Connect Core §3.1.2.1: a nonce binds the ID token to this request.
  const nonce = givenNonce ?? (scopeValue?.split(' ').includes('openid') ? generateToken() : undefined)
  if (nonce !== undefined) {
    query.append('nonce', nonce)
    result.nonce = nonce
  }
  const target = new URL(endpoint)
  appendQuery(target, query.toString())
  result.url = target.href
  return result
}
