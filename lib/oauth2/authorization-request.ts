/**
 * The authorization request URL (RFC 6749 §4.1.1 code, §4.2.1 implicit) with its state (§10.12),
 * the RFC 7636 §4.3 PKCE challenge and the OpenID Connect Core §3.1.2.1 nonce.
 */
import { InvalidArgumentError, InvalidOptionError } from '../errors.js'
import { argumentError, checkKnownKeys } from '../http/options.js'
import { appendQuery } from '../http/syntax.js'
import { appendParams, spaceDelimited } from './parameters.js'
import { type CodeChallengeMethod, createCodeChallenge, generateCodeVerifier, generateToken } from './pkce.js'
import { checkResource, type ResourceIndicator } from './resource-indicators.js'

/**
 * createAuthorizationUrl's parameters; each one absent takes the client's default or a fresh value.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.1
 */
export interface AuthorizationUrlParams {
  /** The CSRF `state` (default a fresh random one). @see https://www.rfc-editor.org/rfc/rfc6749#section-10.12 */
  state?: string
  /** The PKCE code verifier (default a fresh random one). @see https://www.rfc-editor.org/rfc/rfc7636#section-4.1 */
  codeVerifier?: string
  /** The OpenID Connect `nonce` (default a fresh one when the scope holds `openid`). @see https://openid.net/specs/openid-connect-core-1_0.html#AuthRequest */
  nonce?: string
  /** The scope requested (default the client's `scope`). @see https://www.rfc-editor.org/rfc/rfc6749#section-3.3 */
  scope?: string | string[]
  /** The redirection URI (default the client's `redirectUri`). @see https://www.rfc-editor.org/rfc/rfc6749#section-3.1.2 */
  redirectUri?: string
  /**
   * Default 'code'; 'token' asks for the implicit grant (RFC 6749 §4.2.1), which gets no PKCE.
   * @see https://www.rfc-editor.org/rfc/rfc6749#section-3.1.1
   */
  responseType?: string
  /** RFC 8707 §2.1: the resource(s) the token is for; default the client's `resource` option. */
  resource?: ResourceIndicator
  /** OpenID Connect Core §3.1.2.1 `max_age`: seconds since the user last authenticated; pass it to fetchToken too. */
  maxAge?: number
  /** `prompt`: space-separated `none`, `login`, `consent`, `select_account`, or a list of them. */
  prompt?: string | string[]
  /** `login_hint`: who is expected to log in. */
  loginHint?: string
  /** `claims` (§5.5): the claims requested; an object is sent as its JSON. */
  claims?: string | Record<string, unknown>
  /** `acr_values`: Authentication Context Class References, in order of preference. */
  acrValues?: string | string[]
  /** `ui_locales`: preferred languages (BCP47 tags), in order. */
  uiLocales?: string | string[]
  /**
   * Further authorization request parameters, sent as they are.
   * @see https://www.rfc-editor.org/rfc/rfc6749#section-8.2
   */
  extraParams?: Record<string, string | string[]>
}

const AUTHORIZATION_URL_PARAMS: readonly (keyof AuthorizationUrlParams)[] = [
  'state',
  'codeVerifier',
  'nonce',
  'scope',
  'redirectUri',
  'responseType',
  'maxAge',
  'prompt',
  'loginHint',
  'claims',
  'acrValues',
  'uiLocales',
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

/** The authorization URL and the values fetchToken will need to check its answer. @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.1 */
export interface AuthorizationUrl {
  /** The URL to send the user agent to. @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.1 */
  url: string
  /** The state the URL carries: pass it to fetchToken. @see https://www.rfc-editor.org/rfc/rfc6749#section-10.12 */
  state: string
  /**
   * The PKCE verifier to pass to fetchToken (RFC 7636 §4.5). Present whenever PKCE is on (the
   * default) and the response type includes `code`; absent with `codeChallengeMethod: null`.
   * @see https://www.rfc-editor.org/rfc/rfc7636#section-4.5
   */
  codeVerifier?: string
  /** The nonce the URL carries, for checking the ID token. @see https://openid.net/specs/openid-connect-core-1_0.html#AuthRequest */
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
  /** RFC 9449 §10: the thumbprint of the client's DPoP key, binding the code to it. */
  dpopJkt?: string | undefined
}

/**
 * Extra authorization request parameters: strings or arrays of strings, none of them one the
 * request sets itself from a named parameter or option (a second `state` would defeat the check).
 * `caller` names the method for the message.
 */
function checkExtraParams(value: unknown, caller: string): Record<string, string | string[]> {
  if (value === undefined) return {}
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidArgumentError(
      `${caller}: \`extraParams\` must be an object of parameter names to strings`,
    )
  }
  const params = value as Record<string, unknown>
  for (const [name, item] of Object.entries(params)) {
    const own = OWN_AUTHORIZATION_PARAMS[name]
    if (own !== undefined) {
      throw new InvalidArgumentError(`${caller}: extraParams.${name} is set from ${own}, not extraParams`)
    }
    if (typeof item !== 'string' && !(Array.isArray(item) && item.every(i => typeof i === 'string'))) {
      throw new InvalidArgumentError(`${caller}: extraParams.${name} must be a string or an array of strings`)
    }
  }
  return params as Record<string, string | string[]>
}

/** The OpenID Connect parameters' names, and the wire name each is sent under. */
const OPENID_WIRE_NAMES: Readonly<Record<string, string>> = {
  max_age: 'maxAge',
  prompt: 'prompt',
  login_hint: 'loginHint',
  claims: 'claims',
  acr_values: 'acrValues',
  ui_locales: 'uiLocales',
}

/**
 * OpenID Connect Core §3.1.2.1's request parameters, under their wire names. They may come through
 * `extraParams` too (as before they had names), but not both ways at once.
 */
function openIdParams(
  params: AuthorizationUrlParams,
  extra: Record<string, string | string[]>,
  caller: string,
): Record<string, string | undefined> {
  const { maxAge, claims } = params
  if (maxAge !== undefined && !(Number.isSafeInteger(maxAge) && maxAge >= 0)) {
    throw new InvalidArgumentError(
      `${caller}: \`maxAge\` must be a non-negative integer of seconds, got ${String(maxAge)}`,
    )
  }
  if (
    claims !== undefined &&
    (claims === null || (typeof claims !== 'string' && typeof claims !== 'object'))
  ) {
    throw new InvalidArgumentError(
      `${caller}: \`claims\` must be a JSON string or an object (OpenID Connect Core §5.5)`,
    )
  }
  const wire: Record<string, string | undefined> = {
    max_age: maxAge === undefined ? undefined : String(maxAge),
    prompt: spaceDelimited(params.prompt),
    login_hint: params.loginHint,
    claims: typeof claims === 'object' ? JSON.stringify(claims) : claims,
    acr_values: spaceDelimited(params.acrValues),
    ui_locales: spaceDelimited(params.uiLocales),
  }
  for (const [name, value] of Object.entries(wire)) {
    if (value !== undefined && Object.hasOwn(extra, name)) {
      throw new InvalidArgumentError(
        `${caller}: ${name} is set both by \`${OPENID_WIRE_NAMES[name]}\` and by extraParams.${name}`,
      )
    }
  }
  return wire
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
  const scopeValue = scope === undefined ? defaults.scope : spaceDelimited(scope)
  const query = new URLSearchParams({ response_type: type })
  appendParams(query, {
    client_id: defaults.clientId,
    redirect_uri: redirectUri ?? defaults.redirectUri,
    scope: scopeValue,
    state,
    resource: checkResource('resource', params.resource, argumentError) ?? defaults.resource,
  })
  appendParams(query, openIdParams(params, extra, caller))
  if (defaults.dpopJkt !== undefined) {
    if (Object.hasOwn(extra, 'dpop_jkt')) {
      throw new InvalidArgumentError(`${caller}: dpop_jkt is set from the \`dpop\` option, not extraParams`)
    }
    query.append('dpop_jkt', defaults.dpopJkt)
  }
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
  if (endpoint === undefined)
    throw new InvalidOptionError(`${caller}: pass a URL or configure authorizationEndpoint`)
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
