/**
 * Dynamic client registration (RFC 7591) and its management protocol (RFC 7592): the requests, as
 * endpoint calls with JSON bodies and Bearer tokens (no client authentication), and the answers
 * read. OAuth2Client.register and its siblings send them on a short-lived session.
 */
import { InvalidArgumentError, InvalidResponseError } from '../errors.js'
import type { EndpointCall } from '../http/endpoint.js'
import { type EndpointResponse, endpointError, parseJsonObject } from '../http/endpoint-errors.js'
import { argumentError, checkKnownParams, checkString } from '../http/options.js'
import { SESSION_OPTIONS, type SessionOptions } from '../http/session-options.js'

/** Client metadata (RFC 7591 §2), sent as given: the server may refuse, replace or add values. */
export interface ClientMetadata {
  /** Redirection URIs for the authorization code and implicit flows. */
  redirect_uris?: string[]
  /** How the client authenticates at the token endpoint (e.g. 'client_secret_basic'). */
  token_endpoint_auth_method?: string
  /** The grant types the client will use. */
  grant_types?: string[]
  /** The response types the client will use. */
  response_types?: string[]
  /** A name to show users. */
  client_name?: string
  /** The scopes the client may request, space-delimited. */
  scope?: string
  /** Where the client's public keys are (for `private_key_jwt` and signed request objects). */
  jwks_uri?: string
  /** The client's public keys by value, a JWK Set; do not use with `jwks_uri`. */
  jwks?: {
    /** The public keys, as JWKs (RFC 7517 §5). */
    keys: Record<string, unknown>[]
  }
  [field: string]: unknown
}

/**
 * A registered client (RFC 7591 §3.2.1, RFC 7592 §3): its metadata as the server holds it, with
 * `client_id`, the `client_secret` it issued, and the RFC 7592 management handle.
 */
export interface RegisteredClient extends ClientMetadata {
  /** The issued client identifier. */
  client_id: string
  /** The issued client secret, when the client is confidential. */
  client_secret?: string
  /** When the client_id was issued, seconds since the epoch. */
  client_id_issued_at?: number
  /** 0: the secret does not expire (RFC 7591 §3.2.1). */
  client_secret_expires_at?: number
  /** The Bearer token for reading, updating and deleting the registration (RFC 7592 §3). */
  registration_access_token?: string
  /** Where the registration is read, updated and deleted (RFC 7592 §3). */
  registration_client_uri?: string
}

/** What the management calls need of a registration: its client_id, RFC 7592 §3's URI and token. */
export interface RegistrationHandle {
  /** The client identifier. */
  client_id: string
  /** Where the registration is read, updated and deleted (RFC 7592 §3). */
  registration_client_uri?: string | undefined
  /** The Bearer token for those calls (RFC 7592 §3). */
  registration_access_token?: string | undefined
}

/** The options of the registration calls: the short-lived session's, and the call's own. */
export interface RegistrationOptions extends SessionOptions {
  /** RFC 7591 §3: the token the server requires for registering, sent as a Bearer token. */
  initialAccessToken?: string
  /** Aborts the call. */
  signal?: AbortSignal
}

const REGISTRATION_OPTIONS = [...Object.keys(SESSION_OPTIONS), 'initialAccessToken', 'signal']

/** Splits the options into the session's and the call's, refusing unknown names. */
export function readRegistrationOptions(
  caller: string,
  options: RegistrationOptions,
): { session: SessionOptions; initialAccessToken: string | undefined; signal: AbortSignal | undefined } {
  checkKnownParams(`${caller} option`, options, REGISTRATION_OPTIONS)
  const { initialAccessToken, signal, ...session } = options
  return {
    session,
    initialAccessToken: checkString('initialAccessToken', initialAccessToken, argumentError),
    signal,
  }
}

/** Fields the server sets: RFC 7592 §2.2 forbids them in an update request. */
const SERVER_FIELDS = [
  'registration_access_token',
  'registration_client_uri',
  'client_secret_expires_at',
  'client_id_issued_at',
]

/** Client metadata is a JSON object (RFC 7591 §2); checked before any request. */
export function checkClientMetadata(caller: string, metadata: unknown): ClientMetadata {
  if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) {
    throw new InvalidArgumentError(`${caller}: the client metadata must be an object (RFC 7591 §2)`)
  }
  return metadata as ClientMetadata
}

function jsonCall(
  label: string,
  url: URL,
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  token: string | undefined,
  signal: AbortSignal | undefined,
): EndpointCall {
  return {
    label,
    url,
    method,
    headers: {
      accept: 'application/json',
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
    },
    signal,
    failure: endpointError,
  }
}

/**
 * RFC 7591 §3.1: the metadata POSTed as JSON, with the initial access token when one is given. Sent
 * again only when it provably never reached the server: a repeat would register a second client.
 */
export function registrationRequest(
  endpoint: URL,
  metadata: ClientMetadata,
  initialAccessToken: string | undefined,
  signal: AbortSignal | undefined,
): EndpointCall {
  const call = jsonCall('registration endpoint', endpoint, 'POST', initialAccessToken, signal)
  const json = { ...checkClientMetadata('register', metadata) }
  return { ...call, json, onlyIfUnsent: true, secrets: [initialAccessToken] }
}

export type ManagementAction = 'read' | 'update' | 'delete'

const METHODS = { read: 'GET', update: 'PUT', delete: 'DELETE' } as const

/**
 * RFC 7592 §2.1 read (GET), §2.2 update (PUT of the full metadata, which replaces what the server
 * holds, with the registration's `client_id` and without the fields the server sets) and §2.3
 * delete (DELETE), each with the registration access token.
 */
export function managementRequest(
  action: ManagementAction,
  registration: RegistrationHandle,
  metadata: ClientMetadata | undefined,
  signal: AbortSignal | undefined,
): EndpointCall {
  const caller = `${action}Registration`
  if (registration === null || typeof registration !== 'object') {
    throw new InvalidArgumentError(`${caller}: pass the registered client (RFC 7592 §3)`)
  }
  const { client_id: clientId, registration_client_uri: uri, registration_access_token: token } = registration
  if (typeof uri !== 'string' || !URL.canParse(uri) || typeof token !== 'string') {
    throw new InvalidArgumentError(
      `${caller}: the registration needs registration_client_uri (an absolute URL) and registration_access_token (RFC 7592 §3); the server gave none, or they were not passed`,
    )
  }
  const call = jsonCall('client configuration endpoint', new URL(uri), METHODS[action], token, signal)
  const secrets = [token]
  if (action !== 'update') return { ...call, secrets }
  if (typeof clientId !== 'string') throw argumentError(`${caller}: client_id`, 'a string', clientId)
  const json: ClientMetadata = { ...checkClientMetadata(caller, metadata), client_id: clientId }
  for (const field of SERVER_FIELDS) delete json[field]
  return {
    ...call,
    json,
    secrets: [...secrets, checkString(`${caller}: client_secret`, json['client_secret'], argumentError)],
  }
}

/**
 * A registration answer (RFC 7591 §3.2.1, RFC 7592 §3): a JSON object with a string `client_id`;
 * an RFC 7591 §3.2.2 error (e.g. `invalid_client_metadata`) became an OAuthError before this.
 */
export function readRegisteredClient(
  response: EndpointResponse,
  label: string,
  secrets: readonly (string | undefined)[],
): RegisteredClient {
  const body = parseJsonObject(response, label, secrets)
  if (typeof body['client_id'] !== 'string' || body['client_id'] === '') {
    throw new InvalidResponseError(`${label} answered without a client_id string (RFC 7591 §3.2.1)`, {
      statusCode: response.statusCode,
    })
  }
  return body as RegisteredClient
}
