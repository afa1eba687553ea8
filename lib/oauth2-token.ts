/**
 * The OAuth 2.0 token type on its own (RFC 6749 §5.1), so that lib/store/ can name it without
 * importing lib/oauth2/, which imports the store. Its validation lives in lib/oauth2/token.ts.
 */

/** A token as the wire carries it (RFC 6749 §5.1); users persist it as JSON. */
export interface OAuth2Token {
  access_token: string
  token_type: string
  expires_in?: number
  /** Epoch seconds; computed on receipt from expires_in when absent. */
  expires_at?: number
  refresh_token?: string
  scope?: string
  id_token?: string
  [field: string]: unknown
}
