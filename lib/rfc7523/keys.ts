import { createPrivateKey, createSecretKey, type JsonWebKey, KeyObject } from 'node:crypto'
import type { JWK } from 'jose'
import type { KeyLike } from '../key-like.js'

/**
 * Key import for JWT client authentication (RFC 7523 §2.2). Every accepted form becomes a node
 * `KeyObject` once, so its type can be checked against the algorithm with a clear message before
 * jose signs anything. Error messages name what was expected and what kind of value arrived, never
 * the key itself.
 */

/** HMAC algorithms, for client_secret_jwt (RFC 7518 §3.2). */
export const HMAC_ALGORITHMS = ['HS256', 'HS384', 'HS512'] as const
/** Asymmetric algorithms, for private_key_jwt (RFC 7518 §3.3-3.5, RFC 8037 §3.1, RFC 9864). */
export const ASYMMETRIC_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
] as const

export type HmacAlgorithm = (typeof HMAC_ALGORITHMS)[number]
export type AsymmetricAlgorithm = (typeof ASYMMETRIC_ALGORITHMS)[number]

export interface SigningKey {
  key: KeyObject
  /** The JWK `kid` when the key came as a JWK that has one. */
  kid: string | undefined
}

/** What a value is, for error messages: its kind, never its content. */
function describe(value: unknown): string {
  if (value === null) return 'null'
  if (value instanceof KeyObject) return `a ${value.type} KeyObject`
  if (value instanceof CryptoKey) return `a ${value.type} CryptoKey`
  if (value instanceof Uint8Array) return 'a Uint8Array'
  if (typeof value === 'string') return value.includes('-----BEGIN') ? 'a PEM string' : 'a string'
  if (typeof value === 'object') return 'an object'
  return typeof value
}

function isJwk(value: unknown): value is JWK {
  return typeof value === 'object' && value !== null && typeof (value as { kty?: unknown }).kty === 'string'
}

const kidOf = (jwk: JWK): string | undefined => (typeof jwk.kid === 'string' ? jwk.kid : undefined)

/**
 * A private key from PEM (PKCS#8 'BEGIN PRIVATE KEY', PKCS#1 'BEGIN RSA PRIVATE KEY', SEC1
 * 'BEGIN EC PRIVATE KEY'), PEM or DER PKCS#8 bytes, a JWK object or its JSON text, a KeyObject,
 * or a CryptoKey. node:crypto reads PKCS#1 and SEC1, which jose's importPKCS8 does not.
 */
export function toPrivateKey(input: KeyLike, what = 'private_key_jwt'): SigningKey {
  const expected = `${what} needs a private key: PKCS#8 or PKCS#1 PEM, a private JWK, a KeyObject or a CryptoKey`
  let key: KeyObject
  let kid: string | undefined
  try {
    if (input instanceof KeyObject) key = input
    else if (input instanceof CryptoKey) key = KeyObject.from(input)
    else if (typeof input === 'string' && input.trimStart().startsWith('{')) {
      const jwk = JSON.parse(input) as JWK
      kid = kidOf(jwk)
      key = createPrivateKey({ key: jwk as JsonWebKey, format: 'jwk' })
    } else if (typeof input === 'string') key = createPrivateKey(input)
    else if (input instanceof Uint8Array) {
      const bytes = Buffer.from(input)
      key = bytes.includes('-----BEGIN')
        ? createPrivateKey(bytes)
        : createPrivateKey({ key: bytes, format: 'der', type: 'pkcs8' })
    } else if (isJwk(input)) {
      kid = kidOf(input)
      key = createPrivateKey({ key: input as JsonWebKey, format: 'jwk' })
    } else throw new TypeError('unsupported key type')
  } catch (cause) {
    // The cause comes from node:crypto and never quotes the key; the message here names the input's kind.
    throw new TypeError(`${expected}; got ${describe(input)} that could not be read as one`, { cause })
  }
  if (key.type !== 'private') throw new TypeError(`${expected}; got ${describe(key)}`)
  return { key, kid }
}

/**
 * An HMAC key from a client secret: per RFC 7518 §3.2 (and OIDC Core §10.1) the key is the UTF-8
 * octets of the client_secret string. Bytes, a secret KeyObject or CryptoKey, and an 'oct' JWK are
 * accepted as well.
 */
export function toSecretKey(input: KeyLike, what = 'client_secret_jwt'): SigningKey {
  const expected = `${what} needs a client secret: a string, bytes, an 'oct' JWK, or a secret KeyObject or CryptoKey`
  if (typeof input === 'string') {
    if (input === '') throw new TypeError(`${expected}; got an empty string`)
    return { key: createSecretKey(Buffer.from(input, 'utf8')), kid: undefined }
  }
  if (input instanceof Uint8Array) return { key: createSecretKey(Buffer.from(input)), kid: undefined }
  const key =
    input instanceof CryptoKey ? KeyObject.from(input) : input instanceof KeyObject ? input : undefined
  if (key?.type === 'secret') return { key, kid: undefined }
  if (key === undefined && isJwk(input) && input.kty === 'oct' && typeof input.k === 'string') {
    return { key: createSecretKey(Buffer.from(input.k, 'base64url')), kid: kidOf(input) }
  }
  throw new TypeError(`${expected}; got ${describe(input)}`)
}

/** node's names for the curves of RFC 7518 §3.4. */
const EC_CURVES: Record<string, string> = { ES256: 'prime256v1', ES384: 'secp384r1', ES512: 'secp521r1' }

/** Checks that the key can make signatures of `alg`, so misconfiguration fails with a plain message. */
export function assertKeyFitsAlgorithm(key: KeyObject, alg: AsymmetricAlgorithm): void {
  const type = key.asymmetricKeyType
  const curve = key.asymmetricKeyDetails?.namedCurve
  let fits: boolean
  let needs: string
  if (alg.startsWith('RS')) {
    fits = type === 'rsa'
    needs = 'an RSA key'
  } else if (alg.startsWith('PS')) {
    fits = type === 'rsa' || type === 'rsa-pss'
    needs = 'an RSA key'
  } else if (alg.startsWith('ES')) {
    fits = type === 'ec' && curve === EC_CURVES[alg]
    needs = `an EC key on curve ${EC_CURVES[alg]}`
  } else {
    // EdDSA and Ed25519 (RFC 8037 §3.1, RFC 9864): jose signs with Ed25519 only, not Ed448.
    fits = type === 'ed25519'
    needs = 'an Ed25519 key'
  }
  if (!fits) {
    throw new TypeError(`${alg} needs ${needs}; got a ${type ?? 'unknown'}${curve ? ` (${curve})` : ''} key`)
  }
}

/**
 * Imports a key once per distinct input and reuses it (API.md §3: keys are imported once and cached).
 * Object inputs are held weakly; a string or bytes input is remembered as the last one seen, since a
 * client has one secret or key at a time and a map of every value would keep rotated secrets alive.
 */
export class KeyCache {
  readonly #objects = new WeakMap<object, SigningKey>()
  #lastValue: string | Uint8Array | undefined
  #lastKey: SigningKey | undefined
  readonly #importKey: (input: KeyLike) => SigningKey

  constructor(importKey: (input: KeyLike) => SigningKey) {
    this.#importKey = importKey
  }

  get(input: KeyLike): SigningKey {
    if (typeof input === 'string' || input instanceof Uint8Array) {
      if (this.#lastKey === undefined || !sameValue(this.#lastValue, input)) {
        this.#lastKey = this.#importKey(input)
        // Bytes are copied so a caller mutating its buffer cannot make the cache stale.
        this.#lastValue = typeof input === 'string' ? input : Uint8Array.from(input)
      }
      return this.#lastKey
    }
    let key = this.#objects.get(input)
    if (key === undefined) {
      key = this.#importKey(input)
      this.#objects.set(input, key)
    }
    return key
  }
}

function sameValue(a: string | Uint8Array | undefined, b: string | Uint8Array): boolean {
  if (typeof a === 'string' || typeof b === 'string') return a === b
  return a !== undefined && Buffer.from(a).equals(Buffer.from(b))
}
