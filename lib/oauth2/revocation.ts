/**
 * RFC 7009 token revocation: the request body (§2.1), whose `token` and `token_type_hint` RFC 7662
 * §2.1 introspection requests take too, and the answer check (§2.2).
 */
import { MissingTokenError } from '../errors.js'
import { type EndpointResponse, endpointError } from '../http/endpoint-errors.js'
import { appendParams } from './parameters.js'
import type { OAuth2Token } from './token.js'

/** revokeToken's and introspectToken's parameters: the token to name and its hint. @see https://www.rfc-editor.org/rfc/rfc7009#section-2.1 */
export interface TokenHintParams {
  /** The token (default the current refresh token, else the current access token). @see https://www.rfc-editor.org/rfc/rfc7009#section-2.1 */
  token?: string
  /**
   * `token_type_hint` (default the kind of the current token taken; none for a given token).
   * @see https://www.rfc-editor.org/rfc/rfc7009#section-2.1
   */
  tokenTypeHint?: 'access_token' | 'refresh_token' | (string & {})
  /** Aborts the request. @see docs/sessions.md#sessions */
  signal?: AbortSignal
}

/**
 * The body naming a token (RFC 7009 §2.1, RFC 7662 §2.1): the given token, else the current
 * refresh token, else the current access token. The hint defaults to the kind taken from `current`,
 * and is left out for a given token whose kind the caller did not name.
 */
export function tokenHintBody(params: TokenHintParams, current: OAuth2Token | undefined): URLSearchParams {
  const token = params.token ?? current?.refresh_token ?? current?.access_token
  if (token === undefined) throw new MissingTokenError('no token: pass params.token or set a token')
  const hint =
    params.tokenTypeHint ??
    (params.token !== undefined
      ? undefined
      : current?.refresh_token !== undefined
        ? 'refresh_token'
        : 'access_token')
  const body = new URLSearchParams({ token })
  appendParams(body, { token_type_hint: hint })
  return body
}

/** RFC 7009 §2.2: 200 means revoked (or already invalid); anything else is an error. */
export function checkRevocationResponse(
  response: EndpointResponse,
  secrets: readonly (string | undefined)[],
): void {
  if (response.statusCode < 200 || response.statusCode > 299)
    throw endpointError(response, 'revocation endpoint', secrets)
}
