/**
 * OAuth2Client's options: their types and checks, the client authentication method each endpoint
 * uses (RFC 6749 §2.3, RFC 7591 §2 names), and the endpoints given explicitly (RFC 8414 §2 names).
 */
import { checkOneOf, checkString, checkUrl, type OptionNames, optionError, suggest } from '../http/options.js'
import type { KeyLike } from '../key-like.js'
import { TOKEN_STORE_OPTIONS, type TokenStoreOptions } from '../store/store-options.js'
import type { ClientAuthMethod, ClientAuthMethodName } from './client-auth-method.js'
import { checkGrantType, type GrantType } from './grant-type.js'
import type { AuthorizationServerMetadata } from './metadata.js'
import { scopeToString } from './parameters.js'
import type { CodeChallengeMethod } from './pkce.js'
import { TOKEN_SESSION_OPTIONS, type TokenSessionOptions } from './token-session.js'

export interface OAuth2ClientOptions extends TokenSessionOptions, TokenStoreOptions {
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
  ...TOKEN_STORE_OPTIONS,
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

/** A ClientAuthMethod object: a string `name` and an `authenticate` function. */
export function checkAuthMethod(what: string, value: unknown): ClientAuthMethod {
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
    throw new TypeError(
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
    throw new TypeError(
      `options \`tokenEndpointAuthMethod\` and \`revocationEndpointAuthMethod\` are two different methods named '${forToken?.name}'`,
    )
  }
  return {
    token,
    revocation: selectAuthMethod(methods, 'revocationEndpointAuthMethod', forRevocation) ?? token,
  }
}

/** What OAuth2Client's requests take from its options, checked. */
export interface RequestSettings {
  scope: string | undefined
  redirectUri: string | undefined
  codeChallengeMethod: CodeChallengeMethod | null
  grantType: GrantType | undefined
  /** The endpoints given as options, which win over metadata, discovered or given. */
  explicitEndpoints: AuthorizationServerMetadata
}

const ENDPOINT_FIELDS = [
  ['authorizationEndpoint', 'authorization_endpoint'],
  ['tokenEndpoint', 'token_endpoint'],
  ['revocationEndpoint', 'revocation_endpoint'],
  ['introspectionEndpoint', 'introspection_endpoint'],
] as const

export function readRequestSettings(options: OAuth2ClientOptions): RequestSettings {
  if (options.scope !== undefined && typeof options.scope !== 'string' && !Array.isArray(options.scope)) {
    throw optionError('scope', 'a string or an array of strings', options.scope)
  }
  const scope = scopeToString(options.scope)
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
  return { scope, redirectUri, codeChallengeMethod, grantType, explicitEndpoints }
}
