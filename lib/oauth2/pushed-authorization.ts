/**
 * Pushed authorization requests (PAR, RFC 9126): the authorization request's parameters are POSTed,
 * client-authenticated, to the server's pushed authorization request endpoint (§2.1); its
 * `request_uri` (§2.2) then stands for them in an authorization URL that carries nothing else but
 * `client_id` (§4).
 */
import { InvalidArgumentError, InvalidResponseError } from '../errors.js'
import { type EndpointResponse, parseJsonObject } from '../http/endpoint-errors.js'
import type { AuthorizationUrl } from './authorization-request.js'
import type { AuthorizationServerMetadata } from './metadata.js'

/** The endpoint's name in messages, and the option that configures it. */
export const PUSHED_AUTHORIZATION_ENDPOINT = {
  label: 'pushed authorization request endpoint',
  option: 'pushedAuthorizationRequestEndpoint',
  field: 'pushed_authorization_request_endpoint',
} as const

/** pushAuthorizationRequest's result: the URL to send the user to, and what the callback needs. */
export interface PushedAuthorizationUrl extends AuthorizationUrl {
  /** Seconds the `request_uri` in `url` stays valid (RFC 9126 §2.2 `expires_in`). */
  expiresIn: number
}

/**
 * Refuses a plain authorization URL when the server requires every request to be pushed (RFC 9126
 * §5 metadata `require_pushed_authorization_requests`): the server would refuse it after the user
 * was sent there.
 */
export function assertPushNotRequired(metadata: AuthorizationServerMetadata, caller: string): void {
  if (metadata.require_pushed_authorization_requests === true) {
    throw new InvalidArgumentError(
      `${caller}: the server requires pushed authorization requests (metadata require_pushed_authorization_requests, RFC 9126 §5): use await client.pushAuthorizationRequest(params)`,
    )
  }
}

/** RFC 9126 §2.2: a success answer carries `request_uri` (a string) and `expires_in` (a positive number). */
export function readPushedAuthorizationResponse(
  response: EndpointResponse,
  secrets: readonly (string | undefined)[],
): { requestUri: string; expiresIn: number } {
  const { label } = PUSHED_AUTHORIZATION_ENDPOINT
  const body = parseJsonObject(response, label, secrets)
  const { request_uri: requestUri, expires_in: expiresIn } = body
  if (typeof requestUri !== 'string' || requestUri === '') {
    throw new InvalidResponseError(`${label} answered without a request_uri string (RFC 9126 §2.2)`, {
      statusCode: response.statusCode,
    })
  }
  if (typeof expiresIn !== 'number' || !(expiresIn > 0)) {
    throw new InvalidResponseError(
      `${label} answered expires_in ${JSON.stringify(expiresIn) ?? 'undefined'}: expected a positive number of seconds (RFC 9126 §2.2)`,
      { statusCode: response.statusCode },
    )
  }
  return { requestUri, expiresIn }
}

/** RFC 9126 §4: the authorization URL's parameters, `client_id` and the `request_uri` alone. */
export function pushedAuthorizationParams(clientId: string | undefined, requestUri: string): URLSearchParams {
  const params = new URLSearchParams()
  if (clientId !== undefined) params.append('client_id', clientId)
  params.append('request_uri', requestUri)
  return params
}
