/**
 * The OAuth 2.0 token type on its own (RFC 6749 §5.1), so that lib/store/ can name it without
 * importing lib/oauth2/, which imports the store. Its validation lives in lib/oauth2/token.ts.
 */

/** A token as the wire carries it (RFC 6749 §5.1); users persist it as JSON. @see https://www.rfc-editor.org/rfc/rfc6749#section-5.1 */
export interface OAuth2Token {
  /** The access token. */
  access_token: string
  /** Its type: 'Bearer' in any case; the client refuses other types (RFC 6750 §4). */
  token_type: string
  /** Lifetime in seconds, as the server sent it. */
  expires_in?: number
  /** Epoch seconds; computed on receipt from expires_in when absent. */
  expires_at?: number
  /** The refresh token, when the server issued one (RFC 6749 §6). */
  refresh_token?: string
  /** The granted scopes, space-delimited, when they differ from the requested ones (RFC 6749 §5.1). */
  scope?: string
  /** OpenID Connect's ID token (OpenID Connect Core §3.1.3.3), a JWT. */
  id_token?: string
  [field: string]: unknown
}
