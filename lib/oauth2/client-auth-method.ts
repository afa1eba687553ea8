/** Client authentication at OAuth endpoints (RFC 6749 §2.3): the method interface and built-in names. */
import type { KeyLike } from '../key-like.js'

/** The token-endpoint request a client authentication method may change (RFC 6749 §2.3). */
export interface ClientAuthRequest {
  method: string
  url: URL
  headers: Record<string, string>
  body: URLSearchParams
}

/** The client credentials an authentication method reads. */
export interface ClientCredentials {
  clientId?: string
  clientSecret?: string | KeyLike
}

/**
 * The client authentication methods every client knows (RFC 6749 §2.3.1, RFC 7591 §2, OIDC Core §9,
 * RFC 8705 §2.1.1 and §2.2.1).
 */
export type ClientAuthMethodName =
  | 'client_secret_basic'
  | 'client_secret_post'
  | 'none'
  | 'client_secret_jwt'
  | 'private_key_jwt'
  | 'tls_client_auth'
  | 'self_signed_tls_client_auth'

/** A way of authenticating the client at the token, revocation and introspection endpoints. */
export interface ClientAuthMethod {
  /** The `tokenEndpointAuthMethod` value it serves, e.g. 'client_secret_basic'. */
  readonly name: string
  authenticate(request: ClientAuthRequest, client: ClientCredentials): void | Promise<void>
}
