/**
 * OAuth2Client (RFC 6749 and its extensions): coordinates the wire functions of the RFC-named
 * modules beside it (grants, revocation, introspection, authorization request and response,
 * device authorization, token exchange, pushed requests, request objects, registration, oidc/)
 * with its endpoints, client authentication and compliance hooks; every endpoint call goes
 * through client-endpoints.ts. Over 350 lines, its class over 250: one public class carries every
 * verb of the protocol and its extensions, each a few lines delegating, each with its TSDoc.
 */

import type { TokenRequestReason } from '../diagnostics/channels.js'
import { renewalReason } from '../diagnostics/token-request.js'
import { ClientClosedError, InvalidArgumentError, InvalidResponseError } from '../errors.js'
import { endpointError, parseJsonObject } from '../http/endpoint-errors.js'
import { checkKnownParams, checkString, optionError } from '../http/options.js'
import type { PreparedRequest } from '../http/prepared-request.js'
import type { SessionOptions } from '../http/session-options.js'
import type { KeyLike } from '../key-like.js'
import { deriveStoreKey } from '../store/store-key.js'
import {
  type AuthorizationRequest,
  type AuthorizationUrl,
  type AuthorizationUrlParams,
  authorizationEndpointUrl,
  authorizationRequest,
  buildAuthorizationUrl,
} from './authorization-request.js'
import type { ClientAuthMethod } from './client-auth-method.js'
import { defaultClientAuthMethods } from './client-auth-registry.js'
import { ClientEndpoints } from './client-endpoints.js'
import {
  checkAuthMethod,
  OAUTH2_CLIENT_OPTIONS,
  type OAuth2ClientOptions,
  type RequestSettings,
  readCertificateBinding,
  readIdTokenSettings,
  readRequestSettings,
  selectAuthMethods,
} from './client-options.js'
import {
  type ComplianceHookName,
  ComplianceHookRegistry,
  type ComplianceHooks,
  runProtectedRequestHook,
} from './compliance-hooks.js'
import {
  checkDeviceAuthorization,
  type DeviceAuthorization,
  type DeviceAuthorizationParams,
  deviceAuthorizationRequest,
  deviceTokenRequest,
  readDeviceAuthorizationResponse,
  readPollAnswer,
} from './device-authorization.js'
import { pollUntilApproved } from './device-polling.js'
import {
  checkFetchTokenArguments,
  checkRefreshTokenParams,
  type FetchTokenParams,
  fetchTokenRequest,
  type RefreshTokenParams,
  refreshTokenRequest,
} from './grants.js'
import { type IntrospectionResponse, readIntrospectionResponse } from './introspection.js'
import { type AuthorizationServerMetadata, checkIssuer, checkMetadata, metadataUrls } from './metadata.js'
import { buildEndSessionUrl, type EndSessionUrlParams } from './oidc/end-session.js'
import type { IdTokenClaims } from './oidc/id-token.js'
import { fetchJwks } from './oidc/jwks-cache.js'
import { RelyingParty } from './oidc/relying-party.js'
import { readUserinfo, requestUserinfo, type UserinfoClaims } from './oidc/userinfo.js'
import {
  assertPushNotRequired,
  PUSHED_AUTHORIZATION_ENDPOINT,
  type PushedAuthorizationUrl,
  pushedAuthorizationParams,
  readPushedAuthorizationResponse,
} from './pushed-authorization.js'
import {
  type ClientMetadata,
  checkClientMetadata,
  type ManagementAction,
  managementRequest,
  type RegisteredClient,
  type RegistrationHandle,
  type RegistrationOptions,
  readRegisteredClient,
  readRegistrationOptions,
  registrationRequest,
} from './registration.js'
import { signedRequestParams } from './request-object.js'
import { checkRevocationResponse, type TokenHintParams, tokenHintBody } from './revocation.js'
import { implicitToken, type OAuth2Token, parseTokenResponse, toToken } from './token.js'
import {
  readTokenExchangeResponse,
  type TokenExchangeParams,
  type TokenExchangeResponse,
  tokenExchangeRequest,
} from './token-exchange.js'
import { type ObtainedToken, type RenewalTrigger, TokenSession } from './token-session.js'

/** The options are declared with their checks; OAuth2Client's users find the type here too. */
export type { OAuth2ClientOptions }

const TOKEN_ENDPOINT = {
  label: 'token endpoint',
  option: 'tokenEndpoint',
  field: 'token_endpoint',
  dpop: true,
} as const
const REVOCATION_ENDPOINT = {
  label: 'revocation endpoint',
  option: 'revocationEndpoint',
  field: 'revocation_endpoint',
  auth: 'revocation',
  requestHook: 'revoke_token_request',
} as const
const INTROSPECTION_ENDPOINT = {
  label: 'introspection endpoint',
  option: 'introspectionEndpoint',
  field: 'introspection_endpoint',
  requestHook: 'introspect_token_request',
} as const
const DEVICE_AUTHORIZATION_ENDPOINT = {
  label: 'device authorization endpoint',
  option: 'deviceAuthorizationEndpoint',
  field: 'device_authorization_endpoint',
} as const

/**
 * An OAuth 2.0 client (RFC 6749) that is also a pooled HTTP session: every request carries the
 * access token, renewed before it expires through one serialized, single-flight refresh queue.
 * @example
 * ```ts
 * await using client = new OAuth2Client({
 *   clientId: 'your-client-id',
 *   clientSecret: 'your-client-secret',
 *   tokenEndpoint: 'https://as.example.com/oauth/token',
 *   grantType: 'client_credentials', // the first request obtains a token; renewals follow by themselves
 * })
 * const { statusCode, body } = await client.get('https://api.example.com/v1/me')
 * console.log(statusCode, await body.json())
 * ```
 */
export class OAuth2Client extends TokenSession {
  readonly #clientId: string | undefined
  readonly #clientSecret: string | KeyLike | undefined
  protected static override readonly optionNames: readonly string[] = Object.keys(OAUTH2_CLIENT_OPTIONS)
  /** Scope, redirect URI, PKCE method, grant type and explicit endpoints, from the options. */
  readonly #settings: RequestSettings
  #metadata: AuthorizationServerMetadata
  readonly #authMethods = defaultClientAuthMethods()
  readonly #hooks = new ComplianceHookRegistry()
  readonly #endpoints: ClientEndpoints
  /** OpenID Connect: ID token validation, JWKS caches, userinfo checks. */
  readonly #oidc: RelyingParty
  /**
   * A client as registered with the authorization server (RFC 6749 §2); `options` are checked here.
   * @see https://www.rfc-editor.org/rfc/rfc6749#section-2
   */
  constructor(options: OAuth2ClientOptions = {}) {
    super(options)
    this.#clientId = checkString('clientId', options.clientId)
    if (options.clientSecret === null) throw optionError('clientSecret', 'a string or a key', null)
    this.#clientSecret = options.clientSecret
    const selected = selectAuthMethods(this.#authMethods, options)
    this.#settings = readRequestSettings(options)
    this.#metadata = { ...options.metadata, ...this.#settings.explicitEndpoints }
    this.#endpoints = new ClientEndpoints({
      send: call => this.callEndpoint(call),
      credentials: { clientId: this.#clientId, clientSecret: this.#clientSecret },
      authMethods: this.#authMethods,
      selected,
      hooks: this.#hooks,
      secrets: () => this.secrets(),
      metadata: () => this.#metadata,
      explicitEndpoints: this.#settings.explicitEndpoints,
      certificateBoundTokens: readCertificateBinding(options, selected),
      client: this.describeClient,
      dpop: this.dpop,
    })
    if (
      options.tokenStore !== undefined &&
      options.storeKey === undefined &&
      this.#settings.grantType === undefined
    ) {
      // A refresh-token grant belongs to one user, and nothing in the options says which.
      throw optionError(
        'storeKey',
        'set with tokenStore when the client renews by refresh token (no grantType): one key per user grant',
        undefined,
      )
    }
    this.#oidc = new RelyingParty({
      clientId: this.#clientId,
      clientSecret: this.#clientSecret,
      metadata: () => this.#metadata,
      ...readIdTokenSettings(options),
      fetchJwks: uri => fetchJwks(call => this.callEndpoint(call), uri),
    })
  }

  /**
   * A client configured from the issuer's metadata (RFC 8414 §3, then OpenID Connect Discovery §4).
   * Endpoints given in `options` win over discovered ones.
   * @see https://www.rfc-editor.org/rfc/rfc8414#section-3
   */
  static async discover(issuer: string | URL, options: OAuth2ClientOptions = {}): Promise<OAuth2Client> {
    const client = new OAuth2Client(options)
    try {
      const href = typeof issuer === 'string' ? issuer : issuer.href
      if (!(await client.#discover(href))) {
        throw new InvalidResponseError(`no authorization server metadata found for ${href}`, {
          statusCode: 404,
        })
      }
    } catch (err) {
      await client.close()
      throw err
    }
    return client
  }

  /**
   * `issuer` is the identifier exactly as given: the document's `issuer` must be identical to it
   * (a URL object stands for its href, which always has a path, so at least "/"). False when
   * neither well-known location has a document.
   */
  async #discover(issuer: string, signal?: AbortSignal): Promise<boolean> {
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
        signal,
      })
      if (response.statusCode === 404) continue
      const document = parseJsonObject(response, 'metadata endpoint')
      this.#metadata = {
        ...checkMetadata(document, issuer, allowInsecure),
        ...this.#settings.explicitEndpoints,
      }
      return true
    }
    return false
  }

  /** The server metadata in use, with explicitly configured endpoints applied. @see https://www.rfc-editor.org/rfc/rfc8414#section-2 */
  get metadata(): AuthorizationServerMetadata {
    return { ...this.#metadata }
  }

  /**
   * Serves every auth method option naming `method.name`, in place of any method of that name
   * (e.g. a ClientSecretJWT with a fixed audience in place of the default one).
   * @see https://www.rfc-editor.org/rfc/rfc6749#section-2.3
   */
  registerClientAuthMethod(method: ClientAuthMethod): void {
    checkAuthMethod('registerClientAuthMethod', method, InvalidArgumentError)
    this.#authMethods.set(method.name, method)
  }

  /**
   * Runs `hook` on every request or response of the named kind, after the ones registered before.
   * @see docs/oauth2.md#compliance-hooks-for-non-standard-providers
   */
  registerComplianceHook<N extends ComplianceHookName>(name: N, hook: ComplianceHooks[N]): void {
    this.#hooks.register(name, hook)
  }

  /**
   * Builds the authorization request URL (RFC 6749 §4.1.1, §4.2.1) with state and, by default, PKCE
   * S256. Throws when the server requires pushed requests (RFC 9126 §5) or the client signs its
   * requests (the `requestObject` option: use createSignedAuthorizationUrl).
   * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.1
   */
  createAuthorizationUrl(url?: string, params: AuthorizationUrlParams = {}): AuthorizationUrl {
    assertPushNotRequired(this.#metadata, 'createAuthorizationUrl')
    if (this.#settings.requestObject !== undefined) {
      throw new InvalidArgumentError(
        'createAuthorizationUrl: the requestObject option signs the request, which is asynchronous: use await client.createSignedAuthorizationUrl(url, params)',
      )
    }
    return buildAuthorizationUrl(url ?? this.#metadata.authorization_endpoint, params, {
      clientId: this.#clientId,
      ...this.#settings,
      dpopJkt: this.dpopThumbprint,
    })
  }

  /**
   * Obtains a token from the token endpoint (RFC 6749 §4.1.3, §4.3.2, §4.4.2, or an extension
   * grant §4.5), or from an implicit-flow redirect fragment without any request (§4.2.2).
   * @see https://www.rfc-editor.org/rfc/rfc6749#section-3.2
   */
  fetchToken(url?: string, params: FetchTokenParams = {}): Promise<OAuth2Token> {
    if (this.closed) return Promise.reject(new ClientClosedError())
    return this.#fetchToken(url, params, undefined, 'explicit')
  }

  async #fetchToken(
    url: string | undefined,
    params: FetchTokenParams,
    notAfter: number | undefined,
    reason: TokenRequestReason,
  ): Promise<OAuth2Token> {
    checkFetchTokenArguments(url, params)
    const request = fetchTokenRequest(params, {
      redirectUri: this.#settings.redirectUri,
      scope: this.#settings.scope,
      issuer: this.#metadata.issuer,
      issRequired: this.#metadata.authorization_response_iss_parameter_supported === true,
      resource: this.#settings.resource,
    })
    const { nonce, maxAge } = params
    if ('token' in request) {
      const token = implicitToken(request.token)
      await this.#oidc.checkTokenResponse(
        token,
        { nonce, maxAge, authentication: nonce !== undefined },
        this.token,
      )
      this.storeToken(token)
      return token
    }
    // OpenID Connect Core §3.3.2.12: a hybrid response's ID token is checked before its code is used.
    if (request.idToken !== undefined) {
      await this.#oidc.checkIdToken(
        request.idToken,
        { nonce, maxAge, code: request.code },
        undefined,
        this.token,
      )
    }
    const { headers, signal } = params
    const token = await this.#endpoints.token(
      url,
      request.body,
      { ...TOKEN_ENDPOINT, headers, signal, notAfter, responseHook: 'access_token_response' },
      reason,
      ({ response, sentAt, redact }) => parseTokenResponse(response, sentAt, redact, this.acceptedTokenTypes),
    )
    // OpenID Connect Core §3.1.3.3: a code exchanged with a nonce, or for an `openid` scope, brings an ID token.
    const authentication =
      nonce !== undefined ||
      (request.code !== undefined && token.scope?.split(' ').includes('openid') === true)
    await this.#oidc.checkTokenResponse(token, { nonce, maxAge, authentication }, this.token)
    this.storeToken(token)
    return token
  }

  /**
   * Refreshes the token (RFC 6749 §6) through the client's serialized queue, after any renewal in
   * progress, with the refresh token current at that moment unless one is given.
   * @see https://www.rfc-editor.org/rfc/rfc6749#section-6
   */
  refreshToken(url?: string, params: RefreshTokenParams = {}): Promise<OAuth2Token> {
    try {
      checkRefreshTokenParams(params)
    } catch (err) {
      return Promise.reject(err)
    }
    return this.renewExclusive(
      (deadline, notAfter) =>
        this.#refresh(url, params, deadline, notAfter, 'explicit').then(obtained =>
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
    reason: TokenRequestReason,
  ): Promise<ObtainedToken> {
    const { body, refreshToken } = refreshTokenRequest(
      params,
      this.token?.refresh_token,
      this.#settings.resource,
    )
    const token = await this.#endpoints.token(
      url,
      body,
      {
        ...TOKEN_ENDPOINT,
        headers: params.headers,
        signal: deadline,
        notAfter,
        refresh: true,
        requestHook: 'refresh_token_request',
        responseHook: 'refresh_token_response',
      },
      reason,
      ({ response, sentAt, redact }) => parseTokenResponse(response, sentAt, redact, this.acceptedTokenTypes),
    )
    // RFC 6749 §6: without a new refresh token, the old one stays valid.
    token.refresh_token ??= refreshToken
    const current = this.token
    await this.#oidc.checkTokenResponse(token, { refresh: true }, current)
    // OpenID Connect Core §12.2: a refresh answer may omit the ID token; the original one still stands.
    if (token.id_token === undefined && current?.id_token !== undefined) token.id_token = current.id_token
    this.storeToken(token)
    return { token, refreshToken }
  }

  /** Token endpoint, client id, the repeated grant and its scope (docs/fleet.md). */
  protected override defaultStoreKey(): string {
    return deriveStoreKey({
      tokenEndpoint: this.#metadata.token_endpoint,
      clientId: this.#clientId,
      grantType: this.#settings.grantType,
      scope: this.#settings.scope,
    })
  }

  protected override canRenew(): boolean {
    return this.token?.refresh_token !== undefined || this.#settings.grantType !== undefined
  }

  /** Refresh when there is a refresh token (RFC 6749 §6), else repeat `grantType`. */
  protected override async obtain(
    current: OAuth2Token | undefined,
    deadline: AbortSignal,
    notAfter: number,
    trigger: RenewalTrigger,
  ): Promise<ObtainedToken> {
    if (current?.refresh_token !== undefined) {
      return this.#refresh(undefined, {}, deadline, notAfter, renewalReason(trigger, true, true))
    }
    return {
      token: await this.#fetchToken(
        undefined,
        { grantType: this.#settings.grantType, signal: deadline },
        notAfter,
        renewalReason(trigger, current !== undefined, false),
      ),
    }
  }

  /** Revokes a token (RFC 7009); by default the refresh token, else the access token. @see https://www.rfc-editor.org/rfc/rfc7009#section-2 */
  async revokeToken(url?: string, params: TokenHintParams = {}): Promise<void> {
    if (this.closed) throw new ClientClosedError()
    const body = tokenHintBody(params, this.token)
    const call = { ...REVOCATION_ENDPOINT, signal: params.signal }
    const { response, redact } = await this.#endpoints.post(url, body, call)
    checkRevocationResponse(response, redact)
  }

  /**
   * Asks the introspection endpoint about a token (RFC 7662); by default the refresh token, else the access token.
   * @see https://www.rfc-editor.org/rfc/rfc7662#section-2
   */
  async introspectToken(url?: string, params: TokenHintParams = {}): Promise<IntrospectionResponse> {
    if (this.closed) throw new ClientClosedError()
    const body = tokenHintBody(params, this.token)
    const call = { ...INTROSPECTION_ENDPOINT, signal: params.signal }
    const { response, redact } = await this.#endpoints.post(url, body, call)
    return readIntrospectionResponse(response, redact)
  }

  /** OpenID Connect: the claims of the current token's ID token, validated when it arrived; undefined otherwise. */
  idTokenClaims(): IdTokenClaims | undefined {
    return this.#oidc.validatedClaims(this.token)
  }

  /** OpenID Connect Core §5.3: the UserInfo claims, fetched with the access token; `sub` must be the ID token's. */
  async userinfo(params: { signal?: AbortSignal } = {}): Promise<UserinfoClaims> {
    checkKnownParams('userinfo parameter', params, ['signal'])
    const url = this.#metadata.userinfo_endpoint
    const response = await requestUserinfo((u, o) => this.get(u, o), url, params.signal, this.secrets())
    return readUserinfo(response, this.#oidc.subjectOf(this.token), jwt => this.#oidc.verifyUserinfoJwt(jwt))
  }

  /** OpenID Connect RP-Initiated Logout §2: the provider's logout URL; `idTokenHint` defaults to the current ID token. */
  createEndSessionUrl(params: EndSessionUrlParams = {}): string {
    return buildEndSessionUrl(this.#metadata.end_session_endpoint, params, {
      clientId: this.#clientId,
      idToken: this.token?.id_token,
    })
  }

  /** Starts the device authorization grant (RFC 8628 §3.1): show the user `user_code` and `verification_uri`. */
  async deviceAuthorization(params: DeviceAuthorizationParams = {}): Promise<DeviceAuthorization> {
    if (this.closed) throw new ClientClosedError()
    const { response, sentAt, redact } = await this.#endpoints.post(
      undefined,
      deviceAuthorizationRequest(params, this.#settings),
      { ...DEVICE_AUTHORIZATION_ENDPOINT, headers: params.headers, signal: params.signal },
    )
    return readDeviceAuthorizationResponse(response, sentAt, redact)
  }

  /**
   * Polls the token endpoint with a device code until the user approves (RFC 8628 §3.4, §3.5; see
   * device-polling.ts for the timing), then holds the token as fetchToken does and calls updateToken.
   */
  async pollDeviceToken(
    authorization: DeviceAuthorization,
    options: { signal?: AbortSignal } = {},
  ): Promise<OAuth2Token> {
    if (this.closed) throw new ClientClosedError()
    const { device_code } = checkDeviceAuthorization(authorization)
    checkKnownParams('pollDeviceToken option', options, ['signal'])
    const token = await pollUntilApproved(
      authorization,
      () =>
        this.#endpoints.token(
          undefined,
          deviceTokenRequest(device_code),
          // The answer that issues the token consumes the device code: like a refresh token, it is
          // sent again only when it provably never arrived; the poll reads every answer itself.
          { ...TOKEN_ENDPOINT, signal: options.signal, refresh: true, returnFailures: true },
          'device-poll',
          ({ response, sentAt, redact }) => readPollAnswer(response, sentAt, redact, this.acceptedTokenTypes),
        ),
      [options.signal, this.lifetime],
    )
    const replaced = this.token
    this.storeToken(token)
    return this.announceToken({ token }, replaced)
  }

  /**
   * Exchanges a token at the token endpoint (RFC 8693 §2.1). The issued token is returned, and it
   * becomes the client's own (updateToken called) only with `replaceToken: true`.
   */
  async exchangeToken(params: TokenExchangeParams): Promise<TokenExchangeResponse> {
    if (this.closed) throw new ClientClosedError()
    const body = tokenExchangeRequest(params)
    const { issued, sentAt, statusCode } = await this.#endpoints.token(
      undefined,
      body,
      { ...TOKEN_ENDPOINT, headers: params.headers, signal: params.signal },
      'exchange',
      ({ response, sentAt, redact }) => ({
        issued: readTokenExchangeResponse(response, redact),
        sentAt,
        statusCode: response.statusCode,
      }),
    )
    if (params.replaceToken !== true) return issued
    const token = toToken(
      issued,
      sentAt,
      reason => {
        throw new InvalidResponseError(`the exchanged token cannot be the client's own: ${reason}`, {
          statusCode,
        })
      },
      this.acceptedTokenTypes,
    )
    const replaced = this.token
    this.storeToken(token)
    await this.announceToken({ token }, replaced)
    return issued
  }

  /**
   * The authorization request's parameters (authorization-request.ts), signed into a `request`
   * object (RFC 9101 §5) when the client has the `requestObject` option.
   */
  async #authorizationRequest(params: AuthorizationUrlParams, caller: string): Promise<AuthorizationRequest> {
    const request = authorizationRequest(
      params,
      { clientId: this.#clientId, ...this.#settings, dpopJkt: this.dpopThumbprint },
      caller,
    )
    const signer = this.#settings.requestObject
    if (signer === undefined) return request
    return {
      ...request,
      params: await signedRequestParams(signer, request.params, this.#metadata.issuer, caller),
    }
  }

  /** The authorization URL with its parameters in a signed request object (JAR, RFC 9101 §5); needs `requestObject`. */
  async createSignedAuthorizationUrl(
    url?: string,
    params: AuthorizationUrlParams = {},
  ): Promise<AuthorizationUrl> {
    const caller = 'createSignedAuthorizationUrl'
    assertPushNotRequired(this.#metadata, caller)
    if (this.#settings.requestObject === undefined) {
      throw new InvalidArgumentError(
        `${caller}: set the requestObject option { key, alg, kid } to sign requests`,
      )
    }
    const { params: query, kept } = await this.#authorizationRequest(params, caller)
    return {
      url: authorizationEndpointUrl(url ?? this.#metadata.authorization_endpoint, query, caller),
      ...kept,
    }
  }

  /**
   * Pushes the authorization request (RFC 9126 §2.1, client-authenticated like a token request;
   * signed with `requestObject`) and returns the URL that carries only `client_id` and the
   * `request_uri` (§4), with the state, verifier and nonce the callback needs.
   */
  async pushAuthorizationRequest(
    params: AuthorizationUrlParams = {},
    options: { signal?: AbortSignal } = {},
  ): Promise<PushedAuthorizationUrl> {
    if (this.closed) throw new ClientClosedError()
    const caller = 'pushAuthorizationRequest'
    const { params: body, kept } = await this.#authorizationRequest(params, caller)
    const call = { ...PUSHED_AUTHORIZATION_ENDPOINT, signal: options.signal }
    const { response, redact } = await this.#endpoints.post(undefined, body, call)
    const pushed = readPushedAuthorizationResponse(response, redact)
    const query = pushedAuthorizationParams(this.#clientId, pushed.requestUri)
    const url = authorizationEndpointUrl(this.#metadata.authorization_endpoint, query, caller)
    return { url, ...kept, expiresIn: pushed.expiresIn }
  }

  /**
   * Registers a client (RFC 7591 §3.1) at the registration endpoint of `issuerOrEndpoint`: the
   * issuer's metadata names it (discovery as in discover()); a URL without metadata is taken as the
   * endpoint itself. Returns the registered client, `registration_access_token` included.
   */
  static async register(
    issuerOrEndpoint: string | URL,
    metadata: ClientMetadata,
    options: RegistrationOptions = {},
  ): Promise<RegisteredClient> {
    const { session, initialAccessToken, signal } = readRegistrationOptions('register', options)
    checkClientMetadata('register', metadata)
    return OAuth2Client.#shortLived(session, async client => {
      const href = typeof issuerOrEndpoint === 'string' ? issuerOrEndpoint : issuerOrEndpoint.href
      const found = await client.#discover(href, signal)
      const endpoint = found ? client.#metadata.registration_endpoint : href
      if (endpoint === undefined) {
        throw new InvalidArgumentError(
          `register: the metadata of ${href} names no registration_endpoint (RFC 8414 §2): pass the endpoint itself`,
        )
      }
      const call = registrationRequest(new URL(endpoint), metadata, initialAccessToken, signal)
      const { response, sent } = await client.callEndpoint(call)
      return readRegisteredClient(response, call.label, [...sent, ...(call.secrets ?? [])])
    })
  }

  /** Reads a registration (RFC 7592 §2.1) with its registration access token. */
  static readRegistration(
    registration: RegistrationHandle,
    options: RegistrationOptions = {},
  ): Promise<RegisteredClient> {
    return OAuth2Client.#manage('read', registration, undefined, options)
  }

  /**
   * Replaces a registration's metadata (RFC 7592 §2.2): pass all of it (e.g. `{ ...registered,
   * client_name }`); the answer may carry a new registration access token.
   */
  static updateRegistration(
    registration: RegistrationHandle,
    metadata: ClientMetadata,
    options: RegistrationOptions = {},
  ): Promise<RegisteredClient> {
    return OAuth2Client.#manage('update', registration, metadata, options)
  }

  /** Deletes a registration (RFC 7592 §2.3): the client_id and its tokens stop working. */
  static async deleteRegistration(
    registration: RegistrationHandle,
    options: RegistrationOptions = {},
  ): Promise<void> {
    await OAuth2Client.#manage('delete', registration, undefined, options)
  }

  static async #manage(
    action: ManagementAction,
    registration: RegistrationHandle,
    metadata: ClientMetadata | undefined,
    options: RegistrationOptions,
  ): Promise<RegisteredClient> {
    const { session, signal } = readRegistrationOptions(`${action}Registration`, options)
    const call = managementRequest(action, registration, metadata, signal)
    return OAuth2Client.#shortLived(session, async client => {
      const { response, sent } = await client.callEndpoint(call)
      const secrets = [...sent, ...(call.secrets ?? [])]
      return action === 'delete'
        ? { client_id: registration.client_id }
        : readRegisteredClient(response, call.label, secrets)
    })
  }

  /** Runs `work` on a client made for it, closed afterwards: registration has no client yet. */
  static async #shortLived<T>(
    options: SessionOptions,
    work: (client: OAuth2Client) => Promise<T>,
  ): Promise<T> {
    const client = new OAuth2Client(options)
    try {
      return await work(client)
    } finally {
      await client.close()
    }
  }

  protected override get clientId(): string | undefined {
    return this.#clientId
  }

  protected override secrets(): (string | undefined)[] {
    return [typeof this.#clientSecret === 'string' ? this.#clientSecret : undefined, ...super.secrets()]
  }

  /** The protected_request compliance hook sees every resource request after the token is placed. */
  protected override afterPlacement(request: PreparedRequest): void | Promise<void> {
    if (this.#hooks.has('protected_request')) return runProtectedRequestHook(this.#hooks, request)
  }

  protected override describe(): Record<string, unknown> {
    return {
      ...super.describe(),
      clientId: this.#clientId,
      tokenEndpoint: this.#metadata.token_endpoint,
      tokenEndpointAuthMethod: this.#endpoints.tokenAuthMethod,
    }
  }
}
