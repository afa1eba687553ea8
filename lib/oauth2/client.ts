import { ClientClosedError, InvalidResponseError, MissingTokenError } from '../errors.js'
import type { EndpointResult } from '../http/endpoint.js'
import {
  checkKnownKeys,
  checkOneOf,
  checkString,
  checkUrl,
  type OptionNames,
  optionError,
  suggest,
} from '../http/options.js'
import type { PreparedRequest } from '../http/prepared-request.js'
import type { KeyLike } from '../key-like.js'
import { appendParams, readAuthorizationResponse, scopeToString } from './authorization.js'
import { defaultClientAuthMethods } from './client-auth.js'
import type { ClientAuthMethod, ClientAuthMethodName } from './client-auth-method.js'
import {
  type ComplianceHookName,
  ComplianceHookRegistry,
  type ComplianceHooks,
  type HookRequest,
} from './compliance-hooks.js'
import { checkGrantType, type GrantType } from './grant-type.js'
import { type AuthorizationServerMetadata, checkIssuer, checkMetadata, metadataUrls } from './metadata.js'
import { type CodeChallengeMethod, createCodeChallenge, generateCodeVerifier, generateToken } from './pkce.js'
import { endpointError, type OAuth2Token, parseJsonObject, parseTokenResponse, toToken } from './token.js'
import {
  type ObtainedToken,
  TOKEN_SESSION_OPTIONS,
  TokenSession,
  type TokenSessionOptions,
} from './token-session.js'

export interface OAuth2ClientOptions extends TokenSessionOptions {
  clientId?: string
  /** The client secret; for private_key_jwt it may hold the private key. */
  clientSecret?: string | KeyLike
  /**
   * A built-in method's name, or a ClientAuthMethod object (your own, or e.g.
   * `new PrivateKeyJWT(tokenEndpoint, { key })`), which is registered and selected in one step.
   * Default client_secret_basic with a secret, none without.
   */
  tokenEndpointAuthMethod?: ClientAuthMethodName | ClientAuthMethod
  /** Default: tokenEndpointAuthMethod. */
  revocationEndpointAuthMethod?: ClientAuthMethodName | ClientAuthMethod
  scope?: string | string[]
  redirectUri?: string
  /** PKCE (RFC 7636); default 'S256'; null disables. */
  codeChallengeMethod?: CodeChallengeMethod | null
  /** The grant repeated when a token must be obtained automatically, e.g. 'client_credentials'. */
  grantType?: GrantType
  authorizationEndpoint?: string
  tokenEndpoint?: string
  revocationEndpoint?: string
  introspectionEndpoint?: string
  /** An RFC 8414 document; fills the endpoints above. */
  metadata?: AuthorizationServerMetadata
}

export const OAUTH2_CLIENT_OPTIONS: OptionNames<OAuth2ClientOptions> = {
  ...TOKEN_SESSION_OPTIONS,
  clientId: true,
  clientSecret: true,
  tokenEndpointAuthMethod: true,
  revocationEndpointAuthMethod: true,
  scope: true,
  redirectUri: true,
  codeChallengeMethod: true,
  grantType: true,
  authorizationEndpoint: true,
  tokenEndpoint: true,
  revocationEndpoint: true,
  introspectionEndpoint: true,
  metadata: true,
}

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

const AUTHORIZATION_URL_PARAMS: OptionNames<AuthorizationUrlParams> = {
  state: true,
  codeVerifier: true,
  nonce: true,
  scope: true,
  redirectUri: true,
  responseType: true,
  extraParams: true,
}

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

/** Further form parameters for the endpoint, sent as they are (an array repeats the name). */
export type ExtraParams = Record<string, string | string[]>

export interface FetchTokenParams {
  /** Inferred: code/authorizationResponse -> authorization_code, username+password -> password, else client_credentials. */
  grantType?: GrantType
  /** The full redirect URL; code, state and error are read from its query or fragment. */
  authorizationResponse?: string
  code?: string
  /** The state created with the authorization URL; a different or unexpected one throws MismatchingStateError. */
  state?: string
  /** Takes AuthorizationUrl.codeVerifier as it is: undefined when PKCE is off. */
  codeVerifier?: string | undefined
  redirectUri?: string
  username?: string
  password?: string
  scope?: string | string[]
  headers?: Record<string, string>
  signal?: AbortSignal
  /** Parameters of other grants (e.g. RFC 8693 `subject_token`); names the client sets itself are refused. */
  extraParams?: ExtraParams
}

export interface RefreshTokenParams {
  refreshToken?: string
  scope?: string | string[]
  headers?: Record<string, string>
  signal?: AbortSignal
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
  'headers',
  'signal',
  'extraParams',
]

const REFRESH_TOKEN_PARAMS: readonly (keyof RefreshTokenParams)[] = [
  'refreshToken',
  'scope',
  'headers',
  'signal',
  'extraParams',
]

const EXTRA_PARAMS_HINT = 'put parameters for the server in `extraParams`'

/**
 * Appends the caller's `extraParams` to a token request body. A name the body already holds is
 * refused: the grant's own parameters come from their named options, never twice.
 */
function appendExtraParams(body: URLSearchParams, extraParams: unknown, what: string): void {
  if (extraParams === undefined) return
  if (extraParams === null || typeof extraParams !== 'object' || Array.isArray(extraParams)) {
    throw new TypeError(`${what}: extraParams must be an object of names to strings or string arrays`)
  }
  for (const [name, value] of Object.entries(extraParams)) {
    const values: unknown[] = Array.isArray(value) ? value : [value]
    if (!values.every(item => typeof item === 'string')) {
      throw new TypeError(`${what}: extraParams.${name} must be a string or an array of strings`)
    }
    if (body.has(name)) {
      throw new TypeError(
        `${what}: extraParams.${name} is a parameter the client sets itself; use its option`,
      )
    }
    for (const item of values as string[]) body.append(name, item)
  }
}

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

export interface TokenHintParams {
  token?: string
  tokenTypeHint?: 'access_token' | 'refresh_token' | (string & {})
  signal?: AbortSignal
}

/** An RFC 7662 §2.2 introspection response. */
export interface IntrospectionResponse {
  active: boolean
  scope?: string
  client_id?: string
  username?: string
  token_type?: string
  exp?: number
  iat?: number
  nbf?: number
  sub?: string
  aud?: string | string[]
  iss?: string
  jti?: string
  [field: string]: unknown
}

/** The option that configures each endpoint, for the message when none is known. */
const ENDPOINT_OPTIONS: Readonly<Record<string, string>> = {
  'token endpoint': 'tokenEndpoint',
  'revocation endpoint': 'revocationEndpoint',
  'introspection endpoint': 'introspectionEndpoint',
}

function checkAuthMethod(what: string, value: unknown): ClientAuthMethod {
  const method = value as ClientAuthMethod
  if (
    value === null ||
    typeof value !== 'object' ||
    typeof method.name !== 'string' ||
    typeof method.authenticate !== 'function'
  ) {
    throw new TypeError(`${what}: expected an object with a string \`name\` and an \`authenticate\` function`)
  }
  return method
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

interface EndpointCall {
  /** For messages: 'token endpoint', 'revocation endpoint', ... */
  what: string
  authMethod: string
  headers?: Record<string, string> | undefined
  signal?: AbortSignal | undefined
  /** Epoch ms: retries stop here (a renewal's deadline). */
  notAfter?: number
  /** A refresh-token grant: repeated only when it provably never reached the server. */
  refresh?: boolean
  requestHook?: 'refresh_token_request' | 'revoke_token_request' | 'introspect_token_request'
  responseHook?: 'access_token_response' | 'refresh_token_response'
}

/**
 * An OAuth 2.0 client (RFC 6749) that is also a pooled HTTP session: every request carries the
 * access token, renewed before it expires through one serialized, single-flight refresh queue.
 */
export class OAuth2Client extends TokenSession {
  readonly #clientId: string | undefined
  readonly #clientSecret: string | KeyLike | undefined
  readonly #tokenAuthMethod: string
  readonly #revocationAuthMethod: string
  protected static override readonly optionNames: readonly string[] = Object.keys(OAUTH2_CLIENT_OPTIONS)
  readonly #scope: string | undefined
  readonly #redirectUri: string | undefined
  readonly #codeChallengeMethod: CodeChallengeMethod | null
  readonly #grantType: GrantType | undefined
  readonly #explicitEndpoints: AuthorizationServerMetadata
  #metadata: AuthorizationServerMetadata
  readonly #authMethods = defaultClientAuthMethods()
  readonly #hooks = new ComplianceHookRegistry()
  constructor(options: OAuth2ClientOptions = {}) {
    super(options)
    this.#clientId = checkString('clientId', options.clientId)
    if (options.clientSecret === null) throw optionError('clientSecret', 'a string or a key', null)
    this.#clientSecret = options.clientSecret
    const defaultMethod = options.clientSecret === undefined ? 'none' : 'client_secret_basic'
    this.#tokenAuthMethod =
      this.#selectAuthMethod('tokenEndpointAuthMethod', options.tokenEndpointAuthMethod) ?? defaultMethod
    const { tokenEndpointAuthMethod: forToken, revocationEndpointAuthMethod: forRevocation } = options
    if (
      typeof forToken === 'object' &&
      typeof forRevocation === 'object' &&
      forToken !== forRevocation &&
      forToken?.name === forRevocation?.name
    ) {
      throw new TypeError(
        `options \`tokenEndpointAuthMethod\` and \`revocationEndpointAuthMethod\` are two different methods named '${forToken?.name}'`,
      )
    }
    this.#revocationAuthMethod =
      this.#selectAuthMethod('revocationEndpointAuthMethod', forRevocation) ?? this.#tokenAuthMethod
    if (options.scope !== undefined && typeof options.scope !== 'string' && !Array.isArray(options.scope)) {
      throw optionError('scope', 'a string or an array of strings', options.scope)
    }
    this.#scope = scopeToString(options.scope)
    this.#redirectUri = checkString('redirectUri', options.redirectUri)
    this.#codeChallengeMethod =
      options.codeChallengeMethod === null
        ? null
        : checkOneOf<CodeChallengeMethod>(
            'codeChallengeMethod',
            options.codeChallengeMethod,
            ['S256', 'plain'],
            'S256',
          )
    this.#grantType = checkGrantType('grantType', options.grantType)
    if (
      options.metadata !== undefined &&
      (options.metadata === null || typeof options.metadata !== 'object')
    ) {
      throw optionError('metadata', 'an authorization server metadata object', options.metadata)
    }
    const explicit: AuthorizationServerMetadata = {}
    const endpoints = [
      ['authorizationEndpoint', 'authorization_endpoint'],
      ['tokenEndpoint', 'token_endpoint'],
      ['revocationEndpoint', 'revocation_endpoint'],
      ['introspectionEndpoint', 'introspection_endpoint'],
    ] as const
    for (const [option, field] of endpoints) {
      const url = checkUrl(option, options[option])
      if (url !== undefined) explicit[field] = url.href
    }
    this.#explicitEndpoints = explicit
    this.#metadata = { ...options.metadata, ...explicit }
  }

  /**
   * A client configured from the issuer's metadata (RFC 8414 §3, then OpenID Connect Discovery §4).
   * Endpoints given in `options` win over discovered ones.
   */
  static async discover(issuer: string | URL, options: OAuth2ClientOptions = {}): Promise<OAuth2Client> {
    const client = new OAuth2Client(options)
    try {
      await client.#discover(typeof issuer === 'string' ? issuer : issuer.href)
    } catch (err) {
      await client.close()
      throw err
    }
    return client
  }

  /**
   * `issuer` is the identifier exactly as given: the document's `issuer` must be identical to it
   * (a URL object stands for its href, which always has a path, so at least "/").
   */
  async #discover(issuer: string): Promise<void> {
    const allowInsecure = !this.checksTransport
    for (const url of metadataUrls(checkIssuer(issuer, allowInsecure))) {
      // RFC 8414 §3: a metadata GET carries no credentials (its scheme follows the issuer rule), is
      // not repeated, and a 404 sends discovery on to the next well-known location.
      const { response } = await this.callEndpoint({
        label: 'metadata endpoint',
        url: new URL(url),
        method: 'GET',
        headers: { accept: 'application/json' },
        carriesCredentials: false,
        retry: false,
        absentStatus: 404,
        failure: endpointError,
      })
      if (response.statusCode === 404) continue
      const document = parseJsonObject(response, 'metadata endpoint')
      this.#metadata = { ...checkMetadata(document, issuer, allowInsecure), ...this.#explicitEndpoints }
      return
    }
    throw new InvalidResponseError(`no authorization server metadata found for ${issuer}`, {
      statusCode: 404,
    })
  }

  /** The server metadata in use, with explicitly configured endpoints applied. */
  get metadata(): AuthorizationServerMetadata {
    return { ...this.#metadata }
  }

  /**
   * The name of the method an auth method option selects: a built-in name, or a ClientAuthMethod
   * object, registered here. A name nothing serves throws now rather than at the first token call.
   */
  #selectAuthMethod(option: string, value: unknown): string | undefined {
    if (value === undefined) return undefined
    if (typeof value === 'string') {
      if (this.#authMethods.has(value)) return value
      const guess = suggest(value, [...this.#authMethods.keys()])
      throw new TypeError(
        `option \`${option}\`: '${value}' is not a built-in client auth method${guess === undefined ? '' : ` (did you mean '${guess}'?)`}; for a method of your own, pass the ClientAuthMethod object itself as \`${option}\``,
      )
    }
    const method = checkAuthMethod(option, value)
    this.#authMethods.set(method.name, method)
    return method.name
  }

  /**
   * Serves every auth method option naming `method.name`, in place of any method of that name
   * (e.g. a ClientSecretJWT with a fixed audience in place of the default one).
   */
  registerClientAuthMethod(method: ClientAuthMethod): void {
    checkAuthMethod('registerClientAuthMethod', method)
    this.#authMethods.set(method.name, method)
  }

  registerComplianceHook<N extends ComplianceHookName>(name: N, hook: ComplianceHooks[N]): void {
    this.#hooks.register(name, hook)
  }

  /** Builds the authorization request URL (RFC 6749 §4.1.1, §4.2.1) with state and, by default, PKCE S256. */
  createAuthorizationUrl(url?: string, params: AuthorizationUrlParams = {}): AuthorizationUrl {
    checkKnownKeys('createAuthorizationUrl parameter', params, Object.keys(AUTHORIZATION_URL_PARAMS))
    const extra = checkExtraParams(params.extraParams)
    const endpoint = url ?? this.#metadata.authorization_endpoint
    if (endpoint === undefined)
      throw new TypeError('createAuthorizationUrl: pass a URL or configure authorizationEndpoint')
    const {
      state: givenState,
      codeVerifier: givenVerifier,
      nonce: givenNonce,
      scope,
      redirectUri,
      responseType,
    } = params
    const state = givenState ?? generateToken()
    const type = responseType ?? 'code'
    const scopeValue = scope === undefined ? this.#scope : scopeToString(scope)
    const query = new URLSearchParams({ response_type: type })
    appendParams(query, {
      client_id: this.#clientId,
      redirect_uri: redirectUri ?? this.#redirectUri,
      scope: scopeValue,
      state,
    })
    appendParams(query, extra)
    const result: AuthorizationUrl = { url: '', state }
    // RFC 7636 §4.3: PKCE protects the code, so it goes with every response type that returns one.
    if (this.#codeChallengeMethod !== null && type.split(' ').includes('code')) {
      const verifier = givenVerifier ?? generateCodeVerifier()
      query.append('code_challenge', createCodeChallenge(verifier, this.#codeChallengeMethod))
      query.append('code_challenge_method', this.#codeChallengeMethod)
      result.codeVerifier = verifier
    }
    // OpenID Connect Core §3.1.2.1: a nonce binds the ID token to this request.
    const nonce = givenNonce ?? (scopeValue?.split(' ').includes('openid') ? generateToken() : undefined)
    if (nonce !== undefined) {
      query.append('nonce', nonce)
      result.nonce = nonce
    }
    const target = new URL(endpoint)
    target.search = target.search === '' ? query.toString() : `${target.search.slice(1)}&${query}`
    result.url = target.href
    return result
  }

  /**
   * Obtains a token from the token endpoint (RFC 6749 §4.1.3, §4.3.2, §4.4.2, or an extension
   * grant §4.5), or from an implicit-flow redirect fragment without any request (§4.2.2).
   */
  fetchToken(url?: string, params: FetchTokenParams = {}): Promise<OAuth2Token> {
    if (this.closed) return Promise.reject(new ClientClosedError())
    return this.#fetchToken(url, params, undefined)
  }

  async #fetchToken(
    url: string | undefined,
    params: FetchTokenParams,
    notAfter: number | undefined,
  ): Promise<OAuth2Token> {
    checkKnownKeys('fetchToken parameter', params, FETCH_TOKEN_PARAMS, EXTRA_PARAMS_HINT)
    if (url !== undefined && looksLikeAuthorizationResponse(url)) {
      throw new TypeError(
        'fetchToken: the first argument is the token endpoint, and this URL carries code, state or error: ' +
          'pass the callback URL as { authorizationResponse }',
      )
    }
    const {
      grantType,
      authorizationResponse,
      code,
      state,
      codeVerifier,
      redirectUri,
      username,
      password,
      scope,
      headers,
      signal,
      extraParams,
    } = params
    let authorizationCode = code
    if (authorizationResponse !== undefined) {
      const grant = readAuthorizationResponse(authorizationResponse, {
        state,
        issuer: this.#metadata.issuer,
        issRequired: this.#metadata.authorization_response_iss_parameter_supported === true,
        codeFlow: codeVerifier !== undefined || code !== undefined || grantType === 'authorization_code',
      })
      if ('token' in grant) return this.#tokenFromFragment(grant.token)
      authorizationCode = grant.code
    }
    const grant =
      grantType ??
      (authorizationCode !== undefined
        ? 'authorization_code'
        : username !== undefined && password !== undefined
          ? 'password'
          : 'client_credentials')
    const body = new URLSearchParams({ grant_type: grant })
    if (grant === 'authorization_code') {
      if (authorizationCode === undefined)
        throw new TypeError('fetchToken: the authorization_code grant needs code or authorizationResponse')
      appendParams(body, {
        code: authorizationCode,
        redirect_uri: redirectUri ?? this.#redirectUri,
        code_verifier: codeVerifier,
      })
    } else {
      if (grant === 'password' && (username === undefined || password === undefined)) {
        throw new TypeError('fetchToken: the password grant needs username and password')
      }
      appendParams(body, {
        username,
        password,
        scope: scope === undefined ? this.#scope : scopeToString(scope),
      })
    }
    appendExtraParams(body, extraParams, 'fetchToken')
    const { response, sentAt, sent } = await this.#callEndpoint(url ?? this.#metadata.token_endpoint, body, {
      what: 'token endpoint',
      authMethod: this.#tokenAuthMethod,
      headers,
      signal,
      notAfter,
      responseHook: 'access_token_response',
    })
    const token = parseTokenResponse(response, sentAt, [...sent, ...this.secrets()])
    this.storeToken(token)
    return token
  }

  /** RFC 6749 §4.2.2: the implicit flow's token, validated as a token endpoint's would be. */
  #tokenFromFragment(fields: Record<string, string>): OAuth2Token {
    const token = toToken(fields, Date.now() / 1000, reason => {
      throw new InvalidResponseError(`implicit authorization response carries an invalid token: ${reason}`)
    })
    this.storeToken(token)
    return token
  }

  /**
   * Refreshes the token (RFC 6749 §6) through the client's serialized queue, after any renewal in
   * progress, with the refresh token current at that moment unless one is given.
   */
  refreshToken(url?: string, params: RefreshTokenParams = {}): Promise<OAuth2Token> {
    try {
      checkKnownKeys('refreshToken parameter', params, REFRESH_TOKEN_PARAMS, EXTRA_PARAMS_HINT)
    } catch (err) {
      return Promise.reject(err)
    }
    return this.renewExclusive(
      (deadline, notAfter) =>
        this.#refresh(url, params, deadline, notAfter).then(obtained =>
          this.announceToken(obtained, undefined),
        ),
      params.signal,
    )
  }

  async #refresh(
    url: string | undefined,
    params: RefreshTokenParams,
    deadline: AbortSignal,
    notAfter: number,
  ): Promise<ObtainedToken> {
    const { refreshToken: given, scope, headers, extraParams } = params
    const refreshToken = given ?? this.token?.refresh_token
    if (refreshToken === undefined) throw new MissingTokenError('no refresh_token to refresh with')
    const body = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken })
    appendParams(body, { scope: scopeToString(scope) })
    appendExtraParams(body, extraParams, 'refreshToken')
    const { response, sentAt, sent } = await this.#callEndpoint(url ?? this.#metadata.token_endpoint, body, {
      what: 'token endpoint',
      authMethod: this.#tokenAuthMethod,
      headers,
      signal: deadline,
      notAfter,
      refresh: true,
      requestHook: 'refresh_token_request',
      responseHook: 'refresh_token_response',
    })
    const token = parseTokenResponse(response, sentAt, [...sent, ...this.secrets()])
    // RFC 6749 §6: without a new refresh token, the old one stays valid.
    token.refresh_token ??= refreshToken
    this.storeToken(token)
    return { token, refreshToken }
  }

  protected override canRenew(): boolean {
    return this.token?.refresh_token !== undefined || this.#grantType !== undefined
  }

  /** Refresh when there is a refresh token (RFC 6749 §6), else repeat `grantType`. */
  protected override async obtain(
    current: OAuth2Token | undefined,
    deadline: AbortSignal,
    notAfter: number,
  ): Promise<ObtainedToken> {
    if (current?.refresh_token !== undefined) return this.#refresh(undefined, {}, deadline, notAfter)
    return {
      token: await this.#fetchToken(undefined, { grantType: this.#grantType, signal: deadline }, notAfter),
    }
  }

  /** Revokes a token (RFC 7009); by default the refresh token, else the access token. */
  async revokeToken(url?: string, params: TokenHintParams = {}): Promise<void> {
    if (this.closed) throw new ClientClosedError()
    const { response, sent } = await this.#callEndpoint(
      url ?? this.#metadata.revocation_endpoint,
      this.#tokenHintBody(params),
      {
        what: 'revocation endpoint',
        authMethod: this.#revocationAuthMethod,
        signal: params.signal,
        requestHook: 'revoke_token_request',
      },
    )
    // RFC 7009 §2.2: 200 means revoked (or already invalid); anything else is an error.
    if (response.statusCode < 200 || response.statusCode > 299)
      throw endpointError(response, 'revocation endpoint', [...sent, ...this.secrets()])
  }

  /** Asks the introspection endpoint about a token (RFC 7662); by default the refresh token, else the access token. */
  async introspectToken(url?: string, params: TokenHintParams = {}): Promise<IntrospectionResponse> {
    if (this.closed) throw new ClientClosedError()
    const { response, sent } = await this.#callEndpoint(
      url ?? this.#metadata.introspection_endpoint,
      this.#tokenHintBody(params),
      {
        what: 'introspection endpoint',
        authMethod: this.#tokenAuthMethod,
        signal: params.signal,
        requestHook: 'introspect_token_request',
      },
    )
    const fields = parseJsonObject(response, 'introspection endpoint', [...sent, ...this.secrets()])
    if (typeof fields.active !== 'boolean') {
      throw new InvalidResponseError(
        'introspection endpoint answered without a boolean `active` (RFC 7662 §2.2)',
        {
          statusCode: response.statusCode,
        },
      )
    }
    return fields as IntrospectionResponse
  }

  #tokenHintBody(params: TokenHintParams): URLSearchParams {
    const current = this.token
    const token = params.token ?? current?.refresh_token ?? current?.access_token
    if (token === undefined) throw new MissingTokenError('no token: pass params.token or set a token')
    const hint =
      params.tokenTypeHint ??
      (params.token !== undefined
        ? undefined
        : current?.refresh_token !== undefined
          ? 'refresh_token'
          : 'access_token')
    const body = new URLSearchParams({ token })
    appendParams(body, { token_type_hint: hint })
    return body
  }

  /**
   * One authenticated POST to an OAuth endpoint, with its hooks, capped body and deadline. `sent`
   * holds the secrets the request carried, as sent, for redacting the answer.
   */
  async #callEndpoint(
    url: string | undefined,
    body: URLSearchParams,
    call: EndpointCall,
  ): Promise<EndpointResult> {
    if (url === undefined) {
      throw new TypeError(
        `no ${call.what}: set the \`${ENDPOINT_OPTIONS[call.what]}\` option or use OAuth2Client.discover()`,
      )
    }
    let target = new URL(url)
    let headers: Record<string, string> = {
      accept: 'application/json',
      'content-type': 'application/x-www-form-urlencoded',
      ...call.headers,
    }
    if (call.requestHook !== undefined && this.#hooks.has(call.requestHook)) {
      const hooked = await this.#hooks.run(call.requestHook, {
        url: target.href,
        headers,
        body: body.toString(),
      })
      target = new URL(hooked.url)
      headers = { ...hooked.headers }
      body = new URLSearchParams(hooked.body)
    }
    const method = this.#authMethod(call.authMethod)
    const responseHook = call.responseHook
    // Any failure answer ends the call there, parsed once, naming the endpoint when it is no OAuth error.
    return this.callEndpoint({
      label: call.what,
      url: target,
      headers,
      body,
      authenticate: attempt =>
        method.authenticate(
          { method: 'POST', url: attempt.url, headers: attempt.headers, body: attempt.body! },
          { clientId: this.#clientId, clientSecret: this.#clientSecret },
        ),
      signal: call.signal,
      notAfter: call.notAfter,
      onlyIfUnsent: call.refresh === true,
      ...(responseHook === undefined ? {} : { review: response => this.#hooks.run(responseHook, response) }),
      failure: endpointError,
      secrets: this.secrets(),
    })
  }

  /** The constructor checked that a method serves every name it selected; none is ever removed. */
  #authMethod(name: string): ClientAuthMethod {
    return this.#authMethods.get(name)!
  }

  protected override secrets(): (string | undefined)[] {
    return [typeof this.#clientSecret === 'string' ? this.#clientSecret : undefined, ...super.secrets()]
  }

  /** The protected_request compliance hook sees every resource request after the token is placed. */
  protected override afterPlacement(request: PreparedRequest): void | Promise<void> {
    if (this.#hooks.has('protected_request')) return this.#runProtectedHook(request)
  }

  async #runProtectedHook(request: PreparedRequest): Promise<void> {
    const headers: Record<string, string> = {}
    for (const [name, value] of Object.entries(request.headers)) {
      headers[name] = Array.isArray(value) ? value.join(', ') : value
    }
    const body =
      typeof request.body === 'string'
        ? request.body
        : request.body instanceof Uint8Array
          ? Buffer.from(request.body).toString('utf8')
          : ''
    const hooked: HookRequest = await this.#hooks.run('protected_request', {
      url: request.url.href,
      headers,
      body,
    })
    request.url = new URL(hooked.url)
    request.headers = { ...hooked.headers }
    if (hooked.body !== body) request.body = hooked.body
  }

  protected override describe(): Record<string, unknown> {
    return {
      ...super.describe(),
      clientId: this.#clientId,
      tokenEndpoint: this.#metadata.token_endpoint,
      tokenEndpointAuthMethod: this.#tokenAuthMethod,
    }
  }
}
