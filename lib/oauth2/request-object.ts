/**
 * Signed authorization request objects (JAR, RFC 9101): the authorization request's parameters
 * become the claims of a JWT the client signs, sent as `request` beside `client_id` alone (§5),
 * in the authorization URL or in a pushed request (RFC 9126 §3).
 */
import { InvalidArgumentError } from '../errors.js'
import { checkKnownKeys, checkOneOf, checkString, optionError } from '../http/options.js'
import type { KeyLike } from '../key-like.js'
import {
  ASYMMETRIC_ALGORITHMS,
  type AsymmetricAlgorithm,
  assertKeyFitsAlgorithm,
  type SigningKey,
  toPrivateKey,
} from '../keys.js'
import { signAssertion } from './jwt-assertion.js'

/** The `requestObject` option: the client's private key, its JWS `alg` (default RS256) and `kid`. */
export interface RequestObjectOptions {
  /** The client's private key (PEM, JWK or KeyObject); the server knows its public half. */
  key: KeyLike
  /** The JWS algorithm; default RS256. */
  alg?: AsymmetricAlgorithm
  /** Header `kid`; default the key's JWK `kid`, if any. */
  kid?: string
}

/** The `requestObject` option, checked and its key imported. */
export interface RequestObjectSigner {
  key: SigningKey
  alg: AsymmetricAlgorithm
  kid: string | undefined
}

/** RFC 9101 §10.8: the explicit type of an authorization request JWT. */
const REQUEST_OBJECT_TYPE = 'oauth-authz-req+jwt'

/**
 * Lifetime of a request object, seconds: the URL travels through the user's browser before the
 * server reads it, so it lives longer than a client assertion, and the `exp` still bounds replay.
 */
const REQUEST_OBJECT_LIFETIME = 300

/** Checks the `requestObject` option at construction, so a wrong key fails now, not at first use. */
export function readRequestObjectOption(value: unknown): RequestObjectSigner | undefined {
  if (value === undefined) return undefined
  if (value === null || typeof value !== 'object') {
    throw optionError('requestObject', 'an object { key, alg?, kid? }', value)
  }
  checkKnownKeys('requestObject option', value, ['key', 'alg', 'kid'])
  const options = value as Partial<RequestObjectOptions>
  if (options.key === undefined) throw optionError('requestObject.key', 'a private key', undefined)
  const alg = checkOneOf('requestObject.alg', options.alg, ASYMMETRIC_ALGORITHMS, 'RS256')
  const key = toPrivateKey(options.key, 'requestObject')
  assertKeyFitsAlgorithm(key.key, alg)
  return { key, alg, kid: checkString('requestObject.kid', options.kid) }
}

/** Claims from form parameters: a name given more than once becomes an array. */
function claimsOf(params: URLSearchParams): Record<string, string | string[]> {
  const claims: Record<string, string | string[]> = {}
  for (const name of new Set(params.keys())) {
    const values = params.getAll(name)
    claims[name] = values.length === 1 ? values[0]! : values
  }
  return claims
}

/**
 * The request object for `params` (RFC 9101 §4: `iss` the client_id, `aud` the server's issuer
 * identifier), and the parameters that replace them on the wire (§5: `client_id` and `request`).
 * `caller` names the method in messages.
 */
export async function signedRequestParams(
  signer: RequestObjectSigner,
  params: URLSearchParams,
  issuer: string | undefined,
  caller: string,
): Promise<URLSearchParams> {
  const clientId = params.get('client_id')
  if (clientId === null)
    throw new InvalidArgumentError(`${caller}: a request object needs the clientId option`)
  if (issuer === undefined) {
    throw new InvalidArgumentError(
      `${caller}: a request object's audience is the server's issuer (RFC 9101 §4): use OAuth2Client.discover() or give metadata.issuer`,
    )
  }
  const request = await signAssertion({
    issuer: clientId,
    audience: issuer,
    key: signer.key,
    alg: signer.alg,
    kid: signer.kid,
    claims: claimsOf(params),
    headers: { typ: REQUEST_OBJECT_TYPE },
    expiresIn: REQUEST_OBJECT_LIFETIME,
  })
  return new URLSearchParams({ client_id: clientId, request })
}
