/**
 * RFC 7662 token introspection: the response (§2.2), checked to be a JSON object with a boolean
 * `active`. The request (§2.1) names the token as RFC 7009 does: tokenHintBody in revocation.ts.
 */
import { InvalidResponseError } from '../errors.js'
import { type EndpointResponse, parseJsonObject } from '../http/endpoint-errors.js'

/** An RFC 7662 §2.2 introspection response. @see https://www.rfc-editor.org/rfc/rfc7662#section-2.2 */
export interface IntrospectionResponse {
  /** Whether the token is currently active; every other field is optional and present only when active. */
  active: boolean
  /** The token's scopes, space-delimited. */
  scope?: string
  /** The client the token was issued to. */
  client_id?: string
  /** A human-readable name of the resource owner. */
  username?: string
  /** The token's type, e.g. 'Bearer'. */
  token_type?: string
  /** Expiry, seconds since the epoch. */
  exp?: number
  /** Issue time, seconds since the epoch. */
  iat?: number
  /** Not usable before, seconds since the epoch. */
  nbf?: number
  /** The subject, usually the resource owner's identifier. */
  sub?: string
  /** The audience(s) the token is meant for. */
  aud?: string | string[]
  /** The issuer of the token. */
  iss?: string
  /** The token's identifier. */
  jti?: string
  [field: string]: unknown
}

/** Reads an introspection answer (RFC 7662 §2.2, errors §2.3), with `secrets` redacted from any error. */
export function readIntrospectionResponse(
  response: EndpointResponse,
  secrets: readonly (string | undefined)[],
): IntrospectionResponse {
  const fields = parseJsonObject(response, 'introspection endpoint', secrets)
  if (typeof fields.active !== 'boolean') {
    throw new InvalidResponseError(
      'introspection endpoint answered without a boolean `active` (RFC 7662 §2.2)',
      {
        statusCode: response.statusCode,
      },
    )
  }
  return fields as IntrospectionResponse
}
