/** The options of the RFC 7523 §2.1 JWT bearer grant client (RFC 7521 §4.1 for the request). */
import { type OptionNames, optionError } from '../http/options.js'
import type { KeyLike } from '../key-like.js'
import { TOKEN_STORE_OPTIONS, type TokenStoreOptions } from '../store/store-options.js'
import type { ClientAuthMethod, ClientAuthMethodName } from './client-auth-method.js'
import type { ExtensionGrantType } from './grant-type.js'
import type { JwtHeader } from './jwt-assertion.js'
import { TOKEN_SESSION_OPTIONS, type TokenSessionOptions } from './token-session.js'

export interface AssertionClientOptions extends TokenSessionOptions, TokenStoreOptions {
  /** Where the assertion is exchanged for an access token. */
  tokenEndpoint: string | URL
  /** `iss` of the assertion (RFC 7523 §3 item 1), e.g. a service account's client_email. */
  issuer: string
  /** `aud` of the assertion (item 3); default the token endpoint, as given. */
  audience?: string
  /** `sub` (item 2): the principal the token is for; null or undefined sends no `sub`. */
  subject?: string | null
  /** Extra claims (e.g. Google's `scope`), copied. Every assertion gets a fresh `jti` regardless. */
  claims?: Record<string, unknown>
  /** JWT header parameters, copied: `alg` (default RS256), `kid`, ... */
  header?: JwtHeader
  /** The signing key: PEM, JWK, KeyObject or CryptoKey (a secret for HS*). Imported once, here. */
  key: KeyLike
  /** Sent as the `scope` parameter of the token request (RFC 7521 §4.1). */
  scope?: string | string[]
  /** Assertion lifetime in seconds (default 3600). */
  expiresIn?: number
  /** Default urn:ietf:params:oauth:grant-type:jwt-bearer (RFC 7523 §2.1); an absolute URI (RFC 7521 §4.1). */
  grantType?: ExtensionGrantType
  /**
   * Client authentication, for servers that also require it (RFC 7521 §4.1, RFC 7523 §2.1).
   * Without `clientId` the token request carries none, as RFC 7523 §3.1 allows.
   */
  clientId?: string
  /** The client secret, or for private_key_jwt the client's private key. */
  clientSecret?: string | KeyLike
  /**
   * A method name OAuth2Client knows ('client_secret_basic', 'client_secret_post', 'none',
   * 'client_secret_jwt', 'private_key_jwt'), or a ClientAuthMethod such as
   * `new PrivateKeyJWT(tokenEndpoint, { key })`. Default with a clientId: client_secret_basic
   * when there is a clientSecret, else none (client_id in the body).
   */
  tokenEndpointAuthMethod?: ClientAuthMethodName | ClientAuthMethod
}

export const ASSERTION_CLIENT_OPTIONS: OptionNames<AssertionClientOptions> = {
  ...TOKEN_SESSION_OPTIONS,
  ...TOKEN_STORE_OPTIONS,
  tokenEndpoint: true,
  issuer: true,
  audience: true,
  subject: true,
  claims: true,
  header: true,
  key: true,
  scope: true,
  expiresIn: true,
  grantType: true,
  clientId: true,
  clientSecret: true,
  tokenEndpointAuthMethod: true,
}

/** A copy of an object option (claims, header); anything else is refused. */
export function checkRecord(name: string, value: unknown): Record<string, unknown> | undefined {
  if (value === undefined) return undefined
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw optionError(name, 'an object', value)
  }
  return { ...(value as Record<string, unknown>) }
}
