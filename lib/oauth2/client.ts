/**
 * OAuth2Client (RFC 6749): coordinates the wire functions of grants.ts, revocation.ts,
 * introspection.ts, authorization-request.ts and authorization-response.ts with its endpoints,
 * client authentication and compliance hooks; every call goes through lib/http/endpoint.ts.
 */

import { ClientClosedError, InvalidResponseError } from '../errors.js'
import type { EndpointResult } from '../http/endpoint.js'
import { endpointError, parseJsonObject } from '../http/endpoint-errors.js'
import { checkString, optionError } from '../http/options.js'
import type { PreparedRequest } from '../http/prepared-request.js'
import type { KeyLike } from '../key-like.js'
import { deriveStoreKey } from '../store/store-key.js'
import {
  type AuthorizationUrl,
  type AuthorizationUrlParams,
  buildAuthorizationUrl,
} from './authorization-request.js'
import type { ClientAuthMethod } from './client-auth-method.js'
import { defaultClientAuthMethods } from './client-auth-registry.js'
import {
  checkAuthMethod,
  OAUTH2_CLIENT_OPTIONS,
  type OAuth2ClientOptions,
  type RequestSettings,
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
  checkFetchTokenArguments,
  checkRefreshTokenParams,
  type FetchTokenParams,
  fetchTokenRequest,
  type RefreshTokenParams,
  refreshTokenRequest,
} from './grants.js'
import { type IntrospectionResponse, readIntrospectionResponse } from './introspection.js'
import { type AuthorizationServerMetadata, checkIssuer, checkMetadata, metadataUrls } from './metadata.js'
import { checkRevocationResponse, type TokenHintParams, tokenHintBody } from './revocation.js'
import { implicitToken, type OAuth2Token, parseTokenResponse } from './token.js'
import { type ObtainedToken, TokenSession } from './token-session.js'

/** The options are declared with their checks; OAuth2Client's users find the type here too. */
export type { OAuth2ClientOptions }

/** The option that configures each endpoint, for the message when none is known. */
const ENDPOINT_OPTIONS: Readonly<Record<string, string>> = {
  'token endpoint': 'tokenEndpoint',
  'revocation endpoint': 'revocationEndpoint',
  'introspection endpoint': 'introspectionEndpoint',
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
  /** Scope, redirect URI, PKCE method, grant type and explicit endpoints, from the options. */
  readonly #settings: RequestSettings
  #metadata: AuthorizationServerMetadata
  readonly #authMethods = defaultClientAuthMethods()
  readonly #hooks = new ComplianceHookRegistry()
  constructor(options: OAuth2ClientOptions = {}) {
    super(options)
    this.#clientId = checkString('clientId', options.clientId)
    if (options.clientSecret === null) throw optionError('clientSecret', 'a string or a key', null)
    this.#clientSecret = options.clientSecret
    const selected = selectAuthMethods(this.#authMethods, options)
    this.#tokenAuthMethod = selected.token
    this.#revocationAuthMethod = selected.revocation
    this.#settings = readRequestSettings(options)
    this.#metadata = { ...options.metadata, ...this.#settings.explicitEndpoints }
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
      this.#metadata = {
        ...checkMetadata(document, issuer, allowInsecure),
        ...this.#settings.explicitEndpoints,
      }
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
    return buildAuthorizationUrl(url ?? this.#metadata.authorization_endpoint, params, {
      clientId: this.#clientId,
      ...this.#settings,
    })
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
    checkFetchTokenArguments(url, params)
    const request = fetchTokenRequest(params, {
      redirectUri: this.#settings.redirectUri,
      scope: this.#settings.scope,
      issuer: this.#metadata.issuer,
      issRequired: this.#metadata.authorization_response_iss_parameter_supported === true,
    })
    if ('token' in request) {
      const token = implicitToken(request.token)
      this.storeToken(token)
      return token
    }
    const { headers, signal } = params
    const { response, sentAt, sent } = await this.#callEndpoint(
      url ?? this.#metadata.token_endpoint,
      request.body,
      {
        what: 'token endpoint',
        authMethod: this.#tokenAuthMethod,
        headers,
        signal,
        notAfter,
        responseHook: 'access_token_response',
      },
    )
    const token = parseTokenResponse(response, sentAt, [...sent, ...this.secrets()])
    this.storeToken(token)
    return token
  }

  /**
   * Refreshes the token (RFC 6749 §6) through the client's serialized queue, after any renewal in
   * progress, with the refresh token current at that moment unless one is given.
   */
  refreshToken(url?: string, params: RefreshTokenParams = {}): Promise<OAuth2Token> {
    try {
      checkRefreshTokenParams(params)
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
    const { body, refreshToken } = refreshTokenRequest(params, this.token?.refresh_token)
    const { response, sentAt, sent } = await this.#callEndpoint(url ?? this.#metadata.token_endpoint, body, {
      what: 'token endpoint',
      authMethod: this.#tokenAuthMethod,
      headers: params.headers,
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

  /** Token endpoint, client id, the repeated grant and its scope (README "Running a fleet"). */
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
  ): Promise<ObtainedToken> {
    if (current?.refresh_token !== undefined) return this.#refresh(undefined, {}, deadline, notAfter)
    return {
      token: await this.#fetchToken(
        undefined,
        { grantType: this.#settings.grantType, signal: deadline },
        notAfter,
      ),
    }
  }

  /** Revokes a token (RFC 7009); by default the refresh token, else the access token. */
  async revokeToken(url?: string, params: TokenHintParams = {}): Promise<void> {
    if (this.closed) throw new ClientClosedError()
    const { response, sent } = await this.#callEndpoint(
      url ?? this.#metadata.revocation_endpoint,
      tokenHintBody(params, this.token),
      {
        what: 'revocation endpoint',
        authMethod: this.#revocationAuthMethod,
        signal: params.signal,
        requestHook: 'revoke_token_request',
      },
    )
    checkRevocationResponse(response, [...sent, ...this.secrets()])
  }

  /** Asks the introspection endpoint about a token (RFC 7662); by default the refresh token, else the access token. */
  async introspectToken(url?: string, params: TokenHintParams = {}): Promise<IntrospectionResponse> {
    if (this.closed) throw new ClientClosedError()
    const { response, sent } = await this.#callEndpoint(
      url ?? this.#metadata.introspection_endpoint,
      tokenHintBody(params, this.token),
      {
        what: 'introspection endpoint',
        authMethod: this.#tokenAuthMethod,
        signal: params.signal,
        requestHook: 'introspect_token_request',
      },
    )
    return readIntrospectionResponse(response, [...sent, ...this.secrets()])
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
    if (this.#hooks.has('protected_request')) return runProtectedRequestHook(this.#hooks, request)
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
