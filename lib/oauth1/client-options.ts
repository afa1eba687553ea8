/** OAuth1Client's options and call parameters (RFC 5849 §2 for the credentials requests). */
import { InvalidOptionError } from '../errors.js'
import { type OptionNames, optionError } from '../http/options.js'
import type { SessionOptions } from '../http/session-options.js'
import { SESSION_OPTIONS } from '../http/session-options.js'
import type { KeyLike } from '../key-like.js'
import type { SignatureType } from './placement.js'
import type { SignatureMethod } from './signature.js'
import type { OAuth1Token } from './token-response.js'

export interface OAuth1ClientOptions extends SessionOptions {
  clientId: string
  clientSecret?: string
  token?: string
  tokenSecret?: string
  /** Sent as `oauth_callback` with the temporary credentials request only (default "oob"). */
  redirectUri?: string
  /** The private key for the RSA-SHA* methods: PEM, JWK, KeyObject or CryptoKey. */
  rsaKey?: KeyLike
  verifier?: string
  /** Default HMAC-SHA1. */
  signatureMethod?: SignatureMethod
  /** Where the protocol parameters go (RFC 5849 §3.5); default 'header'. */
  signatureType?: SignatureType
  /** Cover bodies that are not form-encoded with `oauth_body_hash`. */
  forceIncludeBody?: boolean
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

export interface FetchRequestTokenParams {
  realm?: string
  signal?: AbortSignal
  /** Further parameters for the provider (e.g. `scope`), sent in the signed form body. */
  [extra: string]: unknown
}

export interface CreateAuthorizationUrlParams {
  /** Default: the temporary credentials this client holds. */
  requestToken?: string
  /** Further query parameters for the provider. */
  [extra: string]: unknown
}

export interface FetchAccessTokenParams {
  /** Default: the verifier parseAuthorizationResponse() stored, or the `verifier` option. */
  verifier?: string
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
