/** OAuth1Client's options and call parameters (RFC 5849 §2 for the credentials requests). */
import { InvalidOptionError } from '../errors.js'
import { type OptionNames, optionError } from '../http/options.js'
import type { SessionOptions } from '../http/session-options.js'
import { SESSION_OPTIONS } from '../http/session-options.js'
import type { KeyLike } from '../key-like.js'
import type { SignatureType } from './placement.js'
import type { SignatureMethod } from './signature.js'
import type { OAuth1Token } from './token-response.js'

/** OAuth1Client's options: the client and token credentials, and how requests are signed. @see https://www.rfc-editor.org/rfc/rfc5849#section-3.1 */
export interface OAuth1ClientOptions extends SessionOptions {
  /** The client identifier, sent as `oauth_consumer_key`. @see https://www.rfc-editor.org/rfc/rfc5849#section-3.1 */
  clientId: string
  /** The client shared-secret, for HMAC-SHA* and PLAINTEXT. @see https://www.rfc-editor.org/rfc/rfc5849#section-3.4.2 */
  clientSecret?: string
  /** Token credentials (or temporary ones) to start with, sent as `oauth_token`. @see https://www.rfc-editor.org/rfc/rfc5849#section-2.3 */
  token?: string
  /** The secret of `token`. @see https://www.rfc-editor.org/rfc/rfc5849#section-3.4.2 */
  tokenSecret?: string
  /** Sent as `oauth_callback` with the temporary credentials request only (default "oob"). @see https://www.rfc-editor.org/rfc/rfc5849#section-2.1 */
  redirectUri?: string
  /** The private key for the RSA-SHA* methods: PEM, JWK, KeyObject or CryptoKey. @see https://www.rfc-editor.org/rfc/rfc5849#section-3.4.3 */
  rsaKey?: KeyLike
  /** The verifier of temporary credentials given as `token`, for fetchAccessToken. @see https://www.rfc-editor.org/rfc/rfc5849#section-2.3 */
  verifier?: string
  /** Default HMAC-SHA1. @see https://www.rfc-editor.org/rfc/rfc5849#section-3.4 */
  signatureMethod?: SignatureMethod
  /** Where the protocol parameters go (RFC 5849 §3.5); default 'header'. @see https://www.rfc-editor.org/rfc/rfc5849#section-3.5 */
  signatureType?: SignatureType
  /** Cover bodies that are not form-encoded with `oauth_body_hash`. @see docs/oauth1.md#signed-requests */
  forceIncludeBody?: boolean
  /** The `realm` of the Authorization header. @see https://www.rfc-editor.org/rfc/rfc5849#section-3.5.1 */
  realm?: string
}

export const OAUTH1_CLIENT_OPTIONS: OptionNames<OAuth1ClientOptions> = {
  ...SESSION_OPTIONS,
  clientId: true,
  clientSecret: true,
  token: true,
  tokenSecret: true,
  redirectUri: true,
  rsaKey: true,
  verifier: true,
  signatureMethod: true,
  signatureType: true,
  forceIncludeBody: true,
  realm: true,
}

/** fetchRequestToken's parameters. @see https://www.rfc-editor.org/rfc/rfc5849#section-2.1 */
export interface FetchRequestTokenParams {
  /** The `realm` of this request's Authorization header. @see https://www.rfc-editor.org/rfc/rfc5849#section-3.5.1 */
  realm?: string
  /** Aborts the request. @see docs/sessions.md#sessions */
  signal?: AbortSignal
  /** Further parameters for the provider (e.g. `scope`), sent in the signed form body. @see https://www.rfc-editor.org/rfc/rfc5849#section-2.1 */
  [extra: string]: unknown
}

/** createAuthorizationUrl's parameters. @see https://www.rfc-editor.org/rfc/rfc5849#section-2.2 */
export interface CreateAuthorizationUrlParams {
  /** Default: the temporary credentials this client holds. @see https://www.rfc-editor.org/rfc/rfc5849#section-2.2 */
  requestToken?: string
  /** Further query parameters for the provider. @see https://www.rfc-editor.org/rfc/rfc5849#section-2.2 */
  [extra: string]: unknown
}

/** fetchAccessToken's parameters. @see https://www.rfc-editor.org/rfc/rfc5849#section-2.3 */
export interface FetchAccessTokenParams {
  /** Default: the verifier parseAuthorizationResponse() stored, or the `verifier` option. @see https://www.rfc-editor.org/rfc/rfc5849#section-2.3 */
  verifier?: string
  /** Aborts the request. @see docs/sessions.md#sessions */
  signal?: AbortSignal
}

/** A token given as the `token` property: checked and copied, with an empty secret when it has none. */
export function checkToken(value: unknown): OAuth1Token | undefined {
  if (value === undefined || value === null) return undefined
  const token = value as Partial<OAuth1Token>
  if (typeof value !== 'object' || typeof token.oauth_token !== 'string' || token.oauth_token === '') {
    throw optionError('token', 'an object with a non-empty string oauth_token', value)
  }
  for (const name of ['oauth_token_secret', 'oauth_verifier'] as const) {
    if (token[name] !== undefined && typeof token[name] !== 'string') {
      throw new InvalidOptionError(`token.${name} must be a string, got ${typeof token[name]}`)
    }
  }
  return { ...token, oauth_token_secret: token.oauth_token_secret ?? '' } as OAuth1Token
}
