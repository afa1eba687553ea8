/**
 * The UserInfo answer (OpenID Connect Core §5.3.2, §5.3.4): a JSON object, or a signed JWT
 * (`application/jwt`) verified like an ID token; either way its `sub` must be the ID token's
 * (§5.3.2: otherwise the answer must not be used, as it may be a substituted one).
 */
import type { Dispatcher } from 'undici'
import { IdTokenValidationError, InvalidArgumentError, InvalidResponseError } from '../../errors.js'
import { MAX_OAUTH_BODY, readCappedText } from '../../http/body.js'
import { type EndpointResponse, endpointError, parseJsonObject } from '../../http/endpoint-errors.js'
import { firstHeader } from '../../http/headers.js'

/** UserInfo claims (OpenID Connect Core §5.1); `sub` is always there. */
export interface UserinfoClaims {
  /** Subject; must equal the ID token's `sub` (OpenID Connect Core §5.3.2). */
  sub: string
  [claim: string]: unknown
}

/** Reads a 2xx UserInfo answer; `verifyJwt` checks a signed one and returns its claims. */
export async function readUserinfo(
  response: EndpointResponse,
  expectedSubject: string,
  verifyJwt: (jwt: string) => Promise<Record<string, unknown>>,
): Promise<UserinfoClaims> {
  const type = firstHeader(response.headers, 'content-type')?.split(';')[0]?.trim().toLowerCase()
  const claims =
    type === 'application/jwt'
      ? await verifyJwt(response.body.trim())
      : parseJsonObject(response, 'userinfo endpoint')
  if (typeof claims.sub !== 'string') {
    throw new InvalidResponseError(
      'userinfo endpoint answered without a string `sub` (OpenID Connect Core §5.3.2)',
      {
        statusCode: response.statusCode,
      },
    )
  }
  if (claims.sub !== expectedSubject) {
    throw new IdTokenValidationError(
      'sub',
      "userinfo sub: differs from the ID token's subject (OpenID Connect Core §5.3.2): the answer is not used",
    )
  }
  return claims as UserinfoClaims
}

/**
 * GETs the UserInfo endpoint with the session's own request (§5.3.1: the access token as a Bearer
 * credential, renewed and retried on a 401 like any request) and reads the answer within the 1 MiB
 * cap; a non-2xx answer is the RFC 6750 §3.1 error it carries, or one naming the endpoint.
 */
export async function requestUserinfo(
  get: (
    url: string,
    options: { headers: Record<string, string>; signal?: AbortSignal },
  ) => Promise<Dispatcher.ResponseData>,
  endpoint: string | undefined,
  signal: AbortSignal | undefined,
  secrets: readonly (string | undefined)[],
): Promise<EndpointResponse> {
  if (endpoint === undefined) {
    throw new InvalidArgumentError(
      'no userinfo endpoint: set the `userinfoEndpoint` option or use OAuth2Client.discover()',
    )
  }
  const raw = await get(endpoint, {
    headers: { accept: 'application/json, application/jwt' },
    ...(signal === undefined ? {} : { signal }),
  })
  const response = {
    statusCode: raw.statusCode,
    headers: raw.headers as Record<string, string | string[]>,
    body: await readCappedText(raw, MAX_OAUTH_BODY, 'userinfo endpoint'),
  }
  if (response.statusCode < 200 || response.statusCode > 299) {
    throw endpointError(response, 'userinfo endpoint', secrets, new URL(endpoint))
  }
  return response
}
