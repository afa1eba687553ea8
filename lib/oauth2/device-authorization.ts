/**
 * The device authorization grant (RFC 8628): the device authorization request (§3.1) and its
 * answer (§3.2), the device access token request (§3.4) and what each answer to it means (§3.5).
 * The polling itself is device-polling.ts; client authentication is added by the caller.
 */
import { InvalidResponseError, OAuthError } from '../errors.js'
import { type EndpointResponse, endpointError, parseJsonObject } from '../http/endpoint-errors.js'
import { firstHeader } from '../http/headers.js'
import { argumentError, checkKnownParams } from '../http/options.js'
import { retryAfter } from '../http/retry.js'
import { appendExtraParams, appendParams, type ExtraParams, spaceDelimited } from './parameters.js'
import { checkResource, type ResourceIndicator } from './resource-indicators.js'
import { type AcceptedTokenTypes, type OAuth2Token, parseTokenResponse } from './token.js'

/** RFC 8628 §3.4: the grant type of the device access token request. */
export const DEVICE_CODE_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:device_code'

/** What `deviceAuthorization()` may send besides the client's own settings (RFC 8628 §3.1). */
export interface DeviceAuthorizationParams {
  /** Default: the client's `scope` option. */
  scope?: string | string[]
  /** RFC 8707: default the client's `resource` option. */
  resource?: ResourceIndicator
  /** Extra headers for this call. */
  headers?: Record<string, string>
  /** Aborts the call. */
  signal?: AbortSignal
  /** Further parameters for the device authorization endpoint, sent as they are. */
  extraParams?: ExtraParams
}

const DEVICE_AUTHORIZATION_PARAMS: readonly (keyof DeviceAuthorizationParams)[] = [
  'scope',
  'resource',
  'headers',
  'signal',
  'extraParams',
]

/** RFC 8628 §3.2: the device authorization response, with `interval` and `expires_at` filled in. */
export interface DeviceAuthorization {
  /** The code the device polls with; never shown to the user. */
  device_code: string
  /** The code the user types at `verification_uri`. */
  user_code: string
  /** Where the user goes to approve the device. */
  verification_uri: string
  /** `verification_uri` with the user code in it, for a QR code or a link. */
  verification_uri_complete?: string
  /** Lifetime of the device and user codes, seconds. */
  expires_in: number
  /** Minimum seconds between polls: 5 when the server names none (RFC 8628 §3.2). */
  interval: number
  /** Epoch seconds when the codes expire, computed on receipt from `expires_in` (the poll ends there). */
  expires_at: number
  [field: string]: unknown
}

/** RFC 8628 §3.2: "If no value is provided, clients MUST use 5 as the default." */
const DEFAULT_INTERVAL = 5

/** What the client configures for every device authorization request. */
export interface DeviceAuthorizationDefaults {
  scope: string | undefined
  resource: readonly string[] | undefined
}

/** The RFC 8628 §3.1 request body: scope and resource (the client's defaults unless given), then `extraParams`. */
export function deviceAuthorizationRequest(
  params: DeviceAuthorizationParams,
  defaults: DeviceAuthorizationDefaults,
): URLSearchParams {
  checkKnownParams('deviceAuthorization parameter', params, DEVICE_AUTHORIZATION_PARAMS)
  const body = new URLSearchParams()
  appendParams(body, {
    scope: params.scope === undefined ? defaults.scope : spaceDelimited(params.scope),
    resource: checkResource('resource', params.resource, argumentError) ?? defaults.resource,
  })
  appendExtraParams(body, params.extraParams, 'deviceAuthorization')
  return body
}

function positiveSeconds(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : undefined
}

/**
 * Reads an RFC 8628 §3.2 answer: `device_code`, `user_code` and `verification_uri` (or Google's
 * `verification_url`) non-empty
 * strings, `expires_in` and `interval` (when present) positive numbers of seconds. `receivedAt`
 * is epoch seconds of the moment the request was sent, so `expires_at` is never later than the
 * server's.
 */
export function readDeviceAuthorizationResponse(
  response: EndpointResponse,
  receivedAt: number,
  secrets: readonly (string | undefined)[],
): DeviceAuthorization {
  const fields = parseJsonObject(response, 'device authorization endpoint', secrets)
  const fail = (reason: string): never => {
    throw new InvalidResponseError(
      `device authorization endpoint answered ${response.statusCode}: ${reason}`,
      {
        statusCode: response.statusCode,
      },
    )
  }
  // Google's device endpoint names it `verification_url`, as its documentation shows; it is taken
  // when the RFC 8628 name is absent.
  fields.verification_uri ??= fields.verification_url
  for (const name of ['device_code', 'user_code', 'verification_uri']) {
    if (typeof fields[name] !== 'string' || fields[name] === '') fail(`${name} is missing or not a string`)
  }
  const complete = fields.verification_uri_complete
  if (complete !== undefined && typeof complete !== 'string')
    fail('verification_uri_complete is not a string')
  const expiresIn =
    positiveSeconds(fields.expires_in) ?? fail('expires_in is missing or not a positive number')
  const interval =
    fields.interval === undefined
      ? DEFAULT_INTERVAL
      : (positiveSeconds(fields.interval) ?? fail('interval is not a positive number'))
  return {
    ...fields,
    expires_in: expiresIn,
    interval,
    expires_at: receivedAt + expiresIn,
  } as DeviceAuthorization
}

/** A DeviceAuthorization handed back to pollDeviceToken: the fields the poll uses, checked. */
export function checkDeviceAuthorization(value: unknown): DeviceAuthorization {
  const authorization = value as DeviceAuthorization
  if (
    value === null ||
    typeof value !== 'object' ||
    typeof authorization.device_code !== 'string' ||
    positiveSeconds(authorization.interval) === undefined ||
    !Number.isFinite(authorization.expires_at)
  ) {
    throw argumentError(
      'authorization',
      'the object deviceAuthorization() returned (device_code, interval, expires_at)',
      value,
    )
  }
  return authorization
}

/** RFC 8628 §3.4: the device access token request. */
export function deviceTokenRequest(deviceCode: string): URLSearchParams {
  return new URLSearchParams({ grant_type: DEVICE_CODE_GRANT_TYPE, device_code: deviceCode })
}

/**
 * What one poll's answer means (RFC 8628 §3.5): a token; `authorization_pending` (ask again after the interval);
 * `slow_down` (ask again, the interval 5 s longer from now on); or `busy`, a 429 or 503 whose
 * Retry-After (ms, when given) says how long to wait.
 */
export type PollAnswer =
  | { token: OAuth2Token }
  | { wait: 'authorization_pending' | 'slow_down' }
  | { wait: 'busy'; retryAfter: number | undefined }

const BUSY_STATUS = new Set([429, 503])

/**
 * Reads an answer to the device access token request; a 2xx that carries `error` is read as that
 * error (GitHub's answers). Any other error (`access_denied`, `expired_token`, ...) is thrown as
 * the endpoint's OAuthError, as fetchToken's are.
 */
export function readPollAnswer(
  response: EndpointResponse,
  sentAt: number,
  secrets: readonly (string | undefined)[],
  accepted: AcceptedTokenTypes = 'bearer',
): PollAnswer {
  const { statusCode } = response
  if (statusCode >= 200 && statusCode <= 299) {
    try {
      return { token: parseTokenResponse(response, sentAt, secrets, accepted) }
    } catch (error) {
      // RFC 8628 §3.5 sends these errors with 400 (RFC 6749 §5.2), but GitHub answers every poll
      // with 200 and the error in the body; they mean the same there: wait and ask again.
      return waitOrThrow(error)
    }
  }
  if (BUSY_STATUS.has(statusCode)) {
    return { wait: 'busy', retryAfter: retryAfter(firstHeader(response.headers, 'retry-after')) }
  }
  return waitOrThrow(endpointError(response, 'token endpoint', secrets))
}

/** `authorization_pending` and `slow_down` ask the poll to wait (RFC 8628 §3.5); any other error ends it. */
function waitOrThrow(error: unknown): PollAnswer {
  if (
    error instanceof OAuthError &&
    (error.error === 'authorization_pending' || error.error === 'slow_down')
  ) {
    return { wait: error.error }
  }
  throw error
}
