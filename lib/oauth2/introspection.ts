/**
 * RFC 7662 token introspection: the response (§2.2), checked to be a JSON object with a boolean
 * `active`. The request (§2.1) names the token as RFC 7009 does: tokenHintBody in revocation.ts.
 */
import { InvalidResponseError } from '../errors.js'
import { type EndpointResponse, parseJsonObject } from '../http/endpoint-errors.js'

/** An RFC 7662 §2.2 introspection response. @see https://www.rfc-editor.org/rfc/rfc7662#section-2.2 */
export interface IntrospectionResponse {
  active: boolean
  scope?: string
  client_id?: string
  username?: string
  token_type?: string
  exp?: number
  iat?: number
  nbf?: number
  sub?: string
  aud?: string | string[]
  iss?: string
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
