/**
 * OAuth2Client's options: their types and checks, the client authentication method each endpoint
 * uses (RFC 6749 §2.3, RFC 7591 §2 names), and the endpoints given explicitly (RFC 8414 §2 names).
 */
import { type InvalidArgumentError, InvalidOptionError } from '../errors.js'
import { checkOneOf, checkString, checkUrl, type OptionNames, optionError, suggest } from '../http/options.js'
import type { KeyLike } from '../key-like.js'
import { TOKEN_STORE_OPTIONS, type TokenStoreOptions } from '../store/store-options.js'
import { isTlsClientAuth } from './client-auth.js'
import type { ClientAuthMethod, ClientAuthMethodName } from './client-auth-method.js'
import { checkGrantType, type GrantType } from './grant-type.js'
import type { AuthorizationServerMetadata } from './metadata.js'
import { spaceDelimited } from './parameters.js'
import type { CodeChallengeMethod } from './pkce.js'
import {
  type RequestObjectOptions,
  type RequestObjectSigner,
  readRequestObjectOption,
} from './request-object.js'
import { checkResource, type ResourceIndicator } from './resource-indicators.js'
import { TOKEN_SESSION_OPTIONS, type TokenSessionOptions } from './token-session.js'

/** The options of an `OAuth2Client`: its endpoints, credentials, grant and hooks, besides a session's and a token store's. */
export interface OAuth2ClientOptions extends TokenSessionOptions, TokenStoreOptions {
  /** The client identifier the authorization server issued. @see https://www.rfc-editor.org/rfc/rfc6749#section-2.2 */
  clientId?: string
  /**
   * The client secret; for private_key_jwt it may hold the private key. Undefined is accepted, so a
   * registered client's optional `client_secret` (RFC 7591 §3.2.1) can be passed as it is.
   * @see https://www.rfc-editor.org/rfc/rfc6749#section-2.3.1
   */
  clientSecret?: string | KeyLike | undefined
  /**
   * A built-in method's name, or a ClientAuthMethod object (your own, or e.g.
   * `new PrivateKeyJWT(tokenEndpoint, { key })`), which is registered and selected in one step.
   * Default client_secret_basic with a secret, none without.
   * @see https://www.rfc-editor.org/rfc/rfc6749#section-2.3
   */
  tokenEndpointAuthMethod?: ClientAuthMethodName | ClientAuthMethod
  /** Default: tokenEndpointAuthMethod. @see https://www.rfc-editor.org/rfc/rfc7009#section-2.1 */
  revocationEndpointAuthMethod?: ClientAuthMethodName | ClientAuthMethod
  /** The default scope of authorization requests and grants. @see https://www.rfc-editor.org/rfc/rfc6749#section-3.3 */
  scope?: string | string[]
  /** The redirection URI sent with authorization requests and the code exchange. @see https://www.rfc-editor.org/rfc/rfc6749#section-3.1.2 */
  redirectUri?: string
  /** PKCE (RFC 7636); default 'S256'; null disables. @see https://www.rfc-editor.org/rfc/rfc7636#section-4.2 */
  codeChallengeMethod?: CodeChallengeMethod | null
  /**
   * The grant repeated when a token must be obtained automatically, e.g. 'client_credentials'.
   * @see https://www.rfc-editor.org/rfc/rfc6749#section-4
   */
  grantType?: GrantType
  /**
   * RFC 8707 resource indicator(s) for the client's own token: sent on the authorization URL, every
   * grant and refresh, automatic renewals included, unless a call passes its own `resource`.
   */
  resource?: ResourceIndicator
  /** Where createAuthorizationUrl points; default the metadata's. @see https://www.rfc-editor.org/rfc/rfc6749#section-3.1 */
  authorizationEndpoint?: string
  /** Where token requests go; default the metadata's. @see https://www.rfc-editor.org/rfc/rfc6749#section-3.2 */
  tokenEndpoint?: string
  /** Where revokeToken goes; default the metadata's. @see https://www.rfc-editor.org/rfc/rfc7009#section-2 */
  revocationEndpoint?: string
  /** Where introspectToken goes; default the metadata's. @see https://www.rfc-editor.org/rfc/rfc7662#section-2 */
  introspectionEndpoint?: string
  /** RFC 8628 §3.1; metadata `device_authorization_endpoint`. @see https://www.rfc-editor.org/rfc/rfc8628#section-3.1 */
  deviceAuthorizationEndpoint?: string
  /** RFC 9126 §5 `pushed_authorization_request_endpoint`. @see https://www.rfc-editor.org/rfc/rfc9126#section-5 */
  pushedAuthorizationRequestEndpoint?: string
  /**
   * Sign the authorization request's parameters into a `request` JWT (JAR, RFC 9101), in the URL
   * of createSignedAuthorizationUrl and in pushAuthorizationRequest's body.
   * @see https://www.rfc-editor.org/rfc/rfc9101#section-4
   */
  requestObject?: RequestObjectOptions
  /** An RFC 8414 document; fills the endpoints above. @see https://www.rfc-editor.org/rfc/rfc8414#section-2 */
  metadata?: AuthorizationServerMetadata
  /** OpenID Connect: where the provider's signing keys are (default: the metadata's `jwks_uri`). */
  jwksUri?: string
  /** OpenID Connect Core §5.3 (default: the metadata's `userinfo_endpoint`). */
  userinfoEndpoint?: string
  /** OpenID Connect RP-Initiated Logout §2 (default: the metadata's `end_session_endpoint`). */
  endSessionEndpoint?: string
  /**
   * The client's registered `id_token_signed_response_alg`: the one algorithm its ID tokens may
   * use. HS256/HS384/HS512 verify with the client secret. Default: the provider's
   * `id_token_signing_alg_values_supported` (RS256 when it says nothing), HS* and `none` excluded.
   */
  idTokenSignedResponseAlg?: string
  /** Seconds of clock skew allowed when checking ID token times (`exp`, `iat`, `nbf`, `auth_time`); default 30. */
  clockTolerance?: number
  /** Seconds between two JWKS fetches caused by an unknown `kid` (default 30). */
  jwksCooldown?: number
  /**
   * Ask for access tokens bound to the client certificate of the `tls` option (RFC 8705 §3; the
   * client metadata `tls_client_certificate_bound_access_tokens`, §3.4): every endpoint call then
   * uses the server's `mtls_endpoint_aliases` (§5), whatever the auth method. Default false.
   */
  tlsClientCertificateBoundAccessTokens?: boolean
}

export const OAUTH2_CLIENT_OPTIONS: OptionNames<OAuth2ClientOptions> = {
  ...TOKEN_SESSION_OPTIONS,
  ...TOKEN_STORE_OPTIONS,
  clientId: true,
  clientSecret: true,
  tokenEndpointAuthMethod: true,
  revocationEndpointAuthMethod: true,
  scope: true,
  redirectUri: true,
  codeChallengeMethod: true,
  grantType: true,
  resource: true,
  authorizationEndpoint: true,
  tokenEndpoint: true,
  revocationEndpoint: true,
  introspectionEndpoint: true,
  deviceAuthorizationEndpoint: true,
  pushedAuthorizationRequestEndpoint: true,
  requestObject: true,
  metadata: true,
  jwksUri: true,
  userinfoEndpoint: true,
  endSessionEndpoint: true,
  idTokenSignedResponseAlg: true,
  clockTolerance: true,
  jwksCooldown: true,
  tlsClientCertificateBoundAccessTokens: true,
}

/**
 * A ClientAuthMethod object: a string `name` and an `authenticate` function. `Invalid` is the error
 * to throw: an option's by default, an argument's for registerClientAuthMethod.
 */
export function checkAuthMethod(
  what: string,
  value: unknown,
  Invalid: typeof InvalidOptionError | typeof InvalidArgumentError = InvalidOptionError,
): ClientAuthMethod {
  const method = value as ClientAuthMethod
  if (
    value === null ||
    typeof value !== 'object' ||
    typeof method.name !== 'string' ||
    typeof method.authenticate !== 'function'
  ) {
    throw new Invalid(`${what}: expected an object with a string \`name\` and an \`authenticate\` function`)
  }
  return method
}

/**
 * The name of the method an auth method option selects: a built-in name, or a ClientAuthMethod
 * object, registered in `methods`. A name nothing serves throws now rather than at the first token call.
 */
function selectAuthMethod(
  methods: Map<string, ClientAuthMethod>,
  option: string,
  value: unknown,
): string | undefined {
  if (value === undefined) return undefined
  if (typeof value === 'string') {
    if (methods.has(value)) return value
    const guess = suggest(value, [...methods.keys()])
    throw new InvalidOptionError(
      `option \`${option}\`: '${value}' is not a built-in client auth method${guess === undefined ? '' : ` (did you mean '${guess}'?)`}; for a method of your own, pass the ClientAuthMethod object itself as \`${option}\``,
    )
  }
  const method = checkAuthMethod(option, value)
  methods.set(method.name, method)
  return method.name
}

/**
 * The method names the token endpoint (also used for introspection) and the revocation endpoint
 * use: client_secret_basic with a secret, none without, unless the options say otherwise. Method
 * objects given are registered in `methods`.
 */
export function selectAuthMethods(
  methods: Map<string, ClientAuthMethod>,
  options: OAuth2ClientOptions,
): { token: string; revocation: string } {
  const defaultMethod = options.clientSecret === undefined ? 'none' : 'client_secret_basic'
  const { tokenEndpointAuthMethod: forToken, revocationEndpointAuthMethod: forRevocation } = options
  const token = selectAuthMethod(methods, 'tokenEndpointAuthMethod', forToken) ?? defaultMethod
  if (
    typeof forToken === 'object' &&
    typeof forRevocation === 'object' &&
    forToken !== forRevocation &&
    forToken?.name === forRevocation?.name
  ) {
    throw new InvalidOptionError(
      `options \`tokenEndpointAuthMethod\` and \`revocationEndpointAuthMethod\` are two different methods named '${forToken?.name}'`,
    )
  }
  return {
    token,
    revocation: selectAuthMethod(methods, 'revocationEndpointAuthMethod', forRevocation) ?? token,
  }
}

/**
 * `tlsClientCertificateBoundAccessTokens`, checked. With it, or with a TLS client auth method
 * selected (RFC 8705 §2, §3), the session must present a client certificate: the `tls` option's,
 * or the one a `dispatcher` given presents (which cannot be seen from here).
 */
export function readCertificateBinding(
  options: OAuth2ClientOptions,
  selected: { token: string; revocation: string },
): boolean {
  const bound = options.tlsClientCertificateBoundAccessTokens
  if (bound !== undefined && typeof bound !== 'boolean') {
    throw optionError('tlsClientCertificateBoundAccessTokens', 'a boolean', bound)
  }
  const tlsMethod = [selected.token, selected.revocation].find(isTlsClientAuth)
  const needs =
    bound === true ? 'option `tlsClientCertificateBoundAccessTokens`' : tlsMethod && `'${tlsMethod}'`
  if (needs && options.tls?.cert === undefined && options.dispatcher === undefined) {
    throw new InvalidOptionError(
      `${needs} needs a client certificate: set option \`tls: { cert, key }\` (or a \`dispatcher\` that presents one)`,
    )
  }
  return bound === true
}

/** What OAuth2Client's requests take from its options, checked. */
export interface RequestSettings {
  scope: string | undefined
  redirectUri: string | undefined
  codeChallengeMethod: CodeChallengeMethod | null
  grantType: GrantType | undefined
  resource: string[] | undefined
  /** The `requestObject` option, its key imported. */
  requestObject: RequestObjectSigner | undefined
  /** The endpoints given as options, which win over metadata, discovered or given. */
  explicitEndpoints: AuthorizationServerMetadata
}

const ENDPOINT_FIELDS = [
  ['authorizationEndpoint', 'authorization_endpoint'],
  ['tokenEndpoint', 'token_endpoint'],
  ['revocationEndpoint', 'revocation_endpoint'],
  ['introspectionEndpoint', 'introspection_endpoint'],
  ['jwksUri', 'jwks_uri'],
  ['userinfoEndpoint', 'userinfo_endpoint'],
  ['endSessionEndpoint', 'end_session_endpoint'],
  ['deviceAuthorizationEndpoint', 'device_authorization_endpoint'],
  ['pushedAuthorizationRequestEndpoint', 'pushed_authorization_request_endpoint'],
] as const

export function readRequestSettings(options: OAuth2ClientOptions): RequestSettings {
  if (options.scope !== undefined && typeof options.scope !== 'string' && !Array.isArray(options.scope)) {
    throw optionError('scope', 'a string or an array of strings', options.scope)
  }
  const scope = spaceDelimited(options.scope)
  const redirectUri = checkString('redirectUri', options.redirectUri)
  const codeChallengeMethod =
    options.codeChallengeMethod === null
      ? null
      : checkOneOf<CodeChallengeMethod>(
          'codeChallengeMethod',
          options.codeChallengeMethod,
          ['S256', 'plain'],
          'S256',
        )
  const grantType = checkGrantType('grantType', options.grantType)
  if (options.metadata !== undefined && (options.metadata === null || typeof options.metadata !== 'object')) {
    throw optionError('metadata', 'an authorization server metadata object', options.metadata)
  }
  const explicitEndpoints: AuthorizationServerMetadata = {}
  for (const [option, field] of ENDPOINT_FIELDS) {
    const url = checkUrl(option, options[option])
    if (url !== undefined) explicitEndpoints[field] = url.href
  }
  const resource = checkResource('resource', options.resource, optionError)
  const requestObject = readRequestObjectOption(options.requestObject)
  return { scope, redirectUri, codeChallengeMethod, grantType, resource, requestObject, explicitEndpoints }
}

/** What the OpenID Connect relying party takes from the options, checked. */
export interface IdTokenSettings {
  idTokenSignedResponseAlg: string | undefined
  clockTolerance: number
  jwksCooldown: number
}

/** A duration in seconds: a finite number, 0 or more. */
function checkSeconds(name: string, value: unknown, defaultValue: number): number {
  if (value === undefined) return defaultValue
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw optionError(name, 'a non-negative number of seconds', value)
  }
  return value
}

export function readIdTokenSettings(options: OAuth2ClientOptions): IdTokenSettings {
  const alg = checkString('idTokenSignedResponseAlg', options.idTokenSignedResponseAlg)
  // OpenID Connect Core §3.1.3.7 step 7: an unsigned ID token is never accepted.
  if (alg === 'none') throw optionError('idTokenSignedResponseAlg', 'a JWS algorithm other than none', alg)
  return {
    idTokenSignedResponseAlg: alg,
    clockTolerance: checkSeconds('clockTolerance', options.clockTolerance, 30),
    jwksCooldown: checkSeconds('jwksCooldown', options.jwksCooldown, 30),
  }
}
