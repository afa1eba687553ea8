/** Client authentication at OAuth endpoints (RFC 6749 §2.3): the method interface and built-in names. */
import type { KeyLike } from '../key-like.js'

/** The token-endpoint request a client authentication method may change (RFC 6749 §2.3). */
export interface ClientAuthRequest {
  /** The HTTP method, 'POST' at OAuth endpoints. */
  method: string
  /** The endpoint being called; a JWT assertion's `aud` is taken from it. */
  url: URL
  /** Request headers; a method may add `Authorization`. */
  headers: Record<string, string>
  /** The form body; a method may add `client_id`, `client_secret` or `client_assertion`. */
  body: URLSearchParams
}

/** The client credentials an authentication method reads. */
export interface ClientCredentials {
  /** The client's `client_id`. */
  clientId?: string
  /** The client's secret, or the key a JWT method signs with. */
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
  /** Adds the client's credentials to a request; runs afresh for every attempt (a new assertion each time). */
  authenticate(request: ClientAuthRequest, client: ClientCredentials): void | Promise<void>
}
