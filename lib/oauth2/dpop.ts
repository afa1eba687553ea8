/**
 * RFC 9449 DPoP key material: the `dpop` option read once into a private key, the JWS algorithm
 * of the proofs, the public JWK every proof carries (§4.2 `jwk` header) and its RFC 7638
 * thumbprint, the `jkt` an authorization server binds tokens to (§6.1) and the authorization
 * request's `dpop_jkt` (§10).
 */
import { createHash, createPublicKey, generateKeyPairSync, KeyObject } from 'node:crypto'
import type { JWK } from 'jose'
import { InvalidOptionError } from '../errors.js'
import { optionError } from '../http/options.js'
import { type AsymmetricAlgorithm, assertKeyFitsAlgorithm, toPrivateKey } from '../keys.js'

/** A JWS algorithm for DPoP proofs (RFC 9449 §4.2: asymmetric only; RFC 7518 §3.1, RFC 8037 §3.1). */
export type DpopAlgorithm =
  | 'ES256'
  | 'ES384'
  | 'ES512'
  | 'EdDSA'
  | 'Ed25519'
  | 'RS256'
  | 'RS384'
  | 'RS512'
  | 'PS256'
  | 'PS384'
  | 'PS512'

/** Every DpopAlgorithm, for the option check. */
const DPOP_ALGORITHMS: readonly DpopAlgorithm[] = [
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
]

/**
 * A DPoP key pair: both halves as WebCrypto CryptoKeys or node KeyObjects.
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-4.2
 */
export interface DpopKeyPair {
  /** Signs every proof. */
  privateKey: CryptoKey | KeyObject
  /** Its public half, sent in every proof's `jwk` header; must be the private key's own. */
  publicKey: CryptoKey | KeyObject
  /** Default from the key: ES256, ES384 or ES512 by curve, EdDSA for Ed25519, RS256 for RSA. */
  alg?: DpopAlgorithm
}

/**
 * The `dpop` option: `true` generates an ES256 key pair for this client; otherwise a key pair, or
 * a private JWK (its `alg` member, when present, chooses the algorithm).
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-4.2
 */
export type DpopOption = true | DpopKeyPair | JWK

/** The option, read: what the proofs are made from. */
export interface DpopKey {
  privateKey: KeyObject
  alg: DpopAlgorithm
  /** The public JWK with RFC 7638 §3.2's required members only: no private or optional member. */
  publicJwk: Record<string, string>
  /** base64url(SHA-256) of the RFC 7638 §3 canonical JWK: the `jkt` (RFC 9449 §6.1). */
  thumbprint: string
}

/** RFC 7638 §3.2: the members of the thumbprint's JWK, per key type, in lexicographic order. */
const REQUIRED_MEMBERS: Record<string, readonly string[]> = {
  EC: ['crv', 'kty', 'x', 'y'],
  OKP: ['crv', 'kty', 'x'],
  RSA: ['e', 'kty', 'n'],
}

const CURVE_ALGORITHMS: Record<string, DpopAlgorithm> = {
  prime256v1: 'ES256',
  secp384r1: 'ES384',
  secp521r1: 'ES512',
}

function defaultAlgorithm(key: KeyObject): DpopAlgorithm {
  const type = key.asymmetricKeyType
  if (type === 'ec') {
    const alg = CURVE_ALGORITHMS[String(key.asymmetricKeyDetails?.namedCurve)]
    if (alg !== undefined) return alg
  }
  if (type === 'ed25519') return 'EdDSA'
  if (type === 'rsa') return 'RS256'
  throw new InvalidOptionError(
    `option \`dpop\`: a ${String(type)} key cannot sign DPoP proofs; use an EC (P-256, P-384, P-521), Ed25519 or RSA key`,
  )
}

function checkAlgorithm(value: unknown): DpopAlgorithm | undefined {
  if (value === undefined) return undefined
  if (typeof value === 'string' && (DPOP_ALGORITHMS as readonly string[]).includes(value)) {
    return value as DpopAlgorithm
  }
  throw optionError('dpop.alg', `one of ${DPOP_ALGORITHMS.join(', ')}`, value)
}

function asKeyObject(value: unknown, what: string): KeyObject {
  if (value instanceof KeyObject) return value
  if (value instanceof CryptoKey) return KeyObject.from(value)
  throw optionError(what, 'a CryptoKey or KeyObject', value)
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/** The private key and the algorithm the option names; the public half is checked against it. */
function readKey(value: unknown): { privateKey: KeyObject; alg: DpopAlgorithm | undefined } {
  if (value === true) {
    return { privateKey: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey, alg: 'ES256' }
  }
  if (!isObject(value) || value instanceof KeyObject || value instanceof CryptoKey) {
    throw optionError('dpop', 'true, a { privateKey, publicKey } pair or a private JWK', value)
  }
  if (typeof value.kty === 'string') {
    if (value.d === undefined) throw new InvalidOptionError('option `dpop`: the JWK must be a private one')
    return { privateKey: toPrivateKey(value as JWK, 'option `dpop`').key, alg: checkAlgorithm(value.alg) }
  }
  for (const name of Object.keys(value)) {
    if (!['privateKey', 'publicKey', 'alg'].includes(name)) {
      throw new InvalidOptionError(
        `option \`dpop\`: unknown member \`${name}\`; expected privateKey, publicKey and alg`,
      )
    }
  }
  const privateKey = asKeyObject(value.privateKey, 'dpop.privateKey')
  const publicKey = asKeyObject(value.publicKey, 'dpop.publicKey')
  if (privateKey.type !== 'private' || publicKey.type !== 'public') {
    throw new InvalidOptionError('option `dpop`: privateKey must be a private key and publicKey a public one')
  }
  if (!createPublicKey(privateKey).equals(publicKey)) {
    throw new InvalidOptionError('option `dpop`: publicKey is not the public half of privateKey')
  }
  return { privateKey, alg: checkAlgorithm(value.alg) }
}

/**
 * Reads the `dpop` option once: undefined when it is absent; otherwise the key, checked to fit
 * its algorithm (RSA at least 2048 bits), with its public JWK and thumbprint. The thumbprint is
 * computed here, synchronously, so that the authorization URL (a synchronous call) can carry it.
 */
export function readDpopOption(value: unknown): DpopKey | undefined {
  if (value === undefined) return undefined
  const { privateKey, alg: given } = readKey(value)
  // An RSA-PSS-only key (rsa-pss) has no JWK form to send in the proof's header.
  const alg =
    given === undefined || privateKey.asymmetricKeyType === 'rsa-pss' ? defaultAlgorithm(privateKey) : given
  try {
    assertKeyFitsAlgorithm(privateKey, alg as AsymmetricAlgorithm)
  } catch (err) {
    throw new InvalidOptionError(`option \`dpop\`: ${(err as Error).message}`)
  }
  const full = createPublicKey(privateKey).export({ format: 'jwk' }) as Record<string, string>
  // assertKeyFitsAlgorithm admitted only EC, OKP (Ed25519) and RSA keys.
  const members = REQUIRED_MEMBERS[full.kty!]!
  const publicJwk: Record<string, string> = {}
  for (const name of members) publicJwk[name] = full[name]!
  // RFC 7638 §3.3: members in lexicographic order, no whitespace; every value here is a string.
  const thumbprint = createHash('sha256').update(JSON.stringify(publicJwk)).digest('base64url')
  return { privateKey, alg, publicJwk, thumbprint }
}
