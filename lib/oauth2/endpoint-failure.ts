import type { InvalidResponseError } from '../errors.js'
import { type EndpointResponse, endpointError, readOAuthError } from './token.js'

/**
 * An endpoint's answer that is neither a success nor an RFC 6749 §5.2 error (a 404 page, a
 * proxy's 502): an InvalidResponseError that names the endpoint by origin and path, so a wrong
 * endpoint URL shows itself. Never the query, which may carry credentials.
 */
export function nonOAuthFailure(
  response: EndpointResponse,
  what: string,
  url: URL,
  secrets: readonly (string | undefined)[],
): InvalidResponseError | undefined {
  if ((response.statusCode >= 200 && response.statusCode <= 299) || readOAuthError(response, what)) return
  return endpointError(response, `${what} ${url.origin}${url.pathname}`, secrets) as InvalidResponseError
}
