/**
 * OAuth 2.0 Token Exchange (RFC 8693): the token type identifiers (§3), the request (§2.1) and
 * its answer (§2.2.1). Client authentication is added by the caller.
 */
import { InvalidResponseError } from '../errors.js'
import { type EndpointResponse, parseJsonObject } from '../http/endpoint-errors.js'
import { argumentError, checkKnownParams, checkString } from '../http/options.js'
import { appendExtraParams, appendParams, type ExtraParams, spaceDelimited } from './parameters.js'
import { checkResource, type ResourceIndicator } from './resource-indicators.js'

/** RFC 8693 §2.1: the grant type of a token exchange request. */
export const TOKEN_EXCHANGE_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:token-exchange'

/** The token type identifiers of RFC 8693 §3, for `subjectTokenType`, `actorTokenType` and `requestedTokenType`. */
export const TOKEN_TYPES = Object.freeze({
  /** An OAuth 2.0 access token. */
  accessToken: 'urn:ietf:params:oauth:token-type:access_token',
  /** An OAuth 2.0 refresh token. */
  refreshToken: 'urn:ietf:params:oauth:token-type:refresh_token',
  /** An OpenID Connect ID token. */
  idToken: 'urn:ietf:params:oauth:token-type:id_token',
  /** A base64url-encoded SAML 1.1 assertion. */
  saml1: 'urn:ietf:params:oauth:token-type:saml1',
  /** A base64url-encoded SAML 2.0 assertion. */
  saml2: 'urn:ietf:params:oauth:token-type:saml2',
  /** A JWT. */
  jwt: 'urn:ietf:params:oauth:token-type:jwt',
} as const)

/** A token type identifier: one of TOKEN_TYPES, or any other URI the server knows. */
export type TokenTypeUri = (typeof TOKEN_TYPES)[keyof typeof TOKEN_TYPES] | `${string}:${string}`

/** The parameters of `exchangeToken()` (RFC 8693 §2.1). */
export interface TokenExchangeParams {
  /** The token that represents the party on whose behalf the request is made. */
  subjectToken: string
  /** The type of `subjectToken`, e.g. `TOKEN_TYPES.accessToken`. */
  subjectTokenType: TokenTypeUri
  /** The token of the acting party (delegation, RFC 8693 §1.1); needs `actorTokenType`. */
  actorToken?: string
  /** The type of `actorToken`. */
  actorTokenType?: TokenTypeUri
  /** The type of token wanted; the server chooses when absent. */
  requestedTokenType?: TokenTypeUri
  /** Logical names of the target services (§2.1 `audience`). */
  audience?: string | string[]
  /** RFC 8707 resource URIs of the target services. */
  resource?: ResourceIndicator
  /** The scopes wanted for the issued token. */
  scope?: string | string[]
  /** Store the issued token as the client's own (and call updateToken); default false. */
  replaceToken?: boolean
  /** Extra headers for this call. */
  headers?: Record<string, string>
  /** Aborts the call. */
  signal?: AbortSignal
  /** Further parameters, sent as they are. */
  extraParams?: ExtraParams
}

const TOKEN_EXCHANGE_PARAMS: readonly (keyof TokenExchangeParams)[] = [
  'subjectToken',
  'subjectTokenType',
  'actorToken',
  'actorTokenType',
  'requestedTokenType',
  'audience',
  'resource',
  'scope',
  'replaceToken',
  'headers',
  'signal',
  'extraParams',
]

/** RFC 8693 §2.2.1: the answer, whose `token_type` may be `N_A` for a token that is no access token. */
export interface TokenExchangeResponse {
  /** The issued token (named so even when it is not an access token). */
  access_token: string
  /** The type of the issued token, a token type URI. */
  issued_token_type: string
  /** How to use it: 'Bearer', or 'N_A' when it is not an access token. */
  token_type: string
  /** Lifetime in seconds. */
  expires_in?: number
  /** The granted scopes, space-delimited. */
  scope?: string
  /** A refresh token, when the server issued one. */
  refresh_token?: string
  [field: string]: unknown
}

function requiredString(name: string, value: unknown): string {
  const checked = checkString(name, value, argumentError)
  if (checked === undefined || checked === '') throw argumentError(name, 'a non-empty string', value)
  return checked
}

/** The RFC 8693 §2.1 request body; `actorTokenType` is required with `actorToken` and only with it. */
export function tokenExchangeRequest(params: TokenExchangeParams): URLSearchParams {
  if (params === null || typeof params !== 'object') {
    throw argumentError(
      'exchangeToken parameters',
      'an object with subjectToken and subjectTokenType',
      params,
    )
  }
  checkKnownParams('exchangeToken parameter', params, TOKEN_EXCHANGE_PARAMS)
  const actorToken = checkString('actorToken', params.actorToken, argumentError)
  const actorTokenType = checkString('actorTokenType', params.actorTokenType, argumentError)
  if ((actorToken === undefined) !== (actorTokenType === undefined)) {
    const [missing, given] =
      actorToken === undefined ? ['actorToken', 'actorTokenType'] : ['actorTokenType', 'actorToken']
    throw argumentError(missing, `given with \`${given}\` (RFC 8693 §2.1)`, undefined)
  }
  const audience = params.audience
  if (audience !== undefined && typeof audience !== 'string' && !Array.isArray(audience)) {
    throw argumentError('audience', 'a string or an array of strings', audience)
  }
  const body = new URLSearchParams({ grant_type: TOKEN_EXCHANGE_GRANT_TYPE })
  appendParams(body, {
    resource: checkResource('resource', params.resource, argumentError),
    audience,
    scope: spaceDelimited(params.scope),
    requested_token_type: checkString('requestedTokenType', params.requestedTokenType, argumentError),
    subject_token: requiredString('subjectToken', params.subjectToken),
    subject_token_type: requiredString('subjectTokenType', params.subjectTokenType),
    actor_token: actorToken,
    actor_token_type: actorTokenType,
  })
  appendExtraParams(body, params.extraParams, 'exchangeToken')
  return body
}

/**
 * Reads an RFC 8693 §2.2.1 answer: `access_token`, `issued_token_type` and `token_type` non-empty
 * strings (errors, §2.2.2, are RFC 6749 §5.2's and thrown as such by parseJsonObject).
 */
export function readTokenExchangeResponse(
  response: EndpointResponse,
  secrets: readonly (string | undefined)[],
): TokenExchangeResponse {
  const fields = parseJsonObject(response, 'token endpoint', secrets)
  for (const name of ['access_token', 'issued_token_type', 'token_type']) {
    if (typeof fields[name] !== 'string' || fields[name] === '') {
      throw new InvalidResponseError(
        `token endpoint answered ${response.statusCode} to a token exchange: ${name} is missing or not a string (RFC 8693 §2.2.1)`,
        { statusCode: response.statusCode },
      )
    }
  }
  return fields as TokenExchangeResponse
}
