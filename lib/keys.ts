import { createPrivateKey, createSecretKey, type JsonWebKey, KeyObject } from 'node:crypto'
import type { JWK } from 'jose'
import { InvalidOptionError } from './errors.js'
import type { KeyLike } from './key-like.js'

/**
 * The one key importer of the package: JWT signing (RFC 7523) and OAuth 1 RSA-SHA* signatures
 * (RFC 5849 §3.4.3) both read keys here. Every accepted form becomes a node `KeyObject` once, so its
 * type and size can be checked with a clear message before anything is signed.
 *
 * Key material never reaches an error: messages name the kind of input and what is wrong with it,
 * and no parser error is kept as a `cause`, because some quote the text they fail on (V8's
 * JSON.parse does, so a malformed JWK string would leak part of the private key).
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

/**
 * The smallest RSA modulus accepted for signing: RFC 7518 §3.3 requires 2048 bits for RS* (and
 * §3.5 for PS*), and NIST SP 800-131A disallows shorter RSA signature keys; OAuth 1 RSA-SHA*
 * keys follow the same rule.
 */
export const MIN_RSA_MODULUS_BITS = 2048

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

const PRIVATE_KEY_FORMS =
  'a PKCS#8 or PKCS#1 PEM, a private JWK (object or JSON text), a KeyObject or a CryptoKey'
const PUBLIC_GIVEN = 'a public key was given where a private key is needed to sign'
const SECRET_GIVEN = 'a secret (symmetric) key was given where a private key is needed to sign'

/** PEM labels (RFC 7468 §10-§13, SEC1) node:crypto reads as a private key. */
const PRIVATE_PEM_LABELS = ['PRIVATE KEY', 'RSA PRIVATE KEY', 'EC PRIVATE KEY']
const PUBLIC_PEM_LABELS = ['PUBLIC KEY', 'RSA PUBLIC KEY']

/**
 * A PEM kept in an environment variable often holds the two characters `\n` instead of line
 * breaks. Text that starts with PEM armour and has no real line break is unescaped; anything else
 * is left as it is.
 */
export function unescapePem(text: string): string {
  const trimmed = text.trim()
  if (!trimmed.startsWith('-----BEGIN') || trimmed.includes('\n') || !trimmed.includes('\\n')) return text
  return trimmed.replace(/\\r\\n|\\n/g, '\n')
}

/** A private key, or the reason the input is none (the body of the error message). */
type Read = KeyObject | string

/** Says why PEM text that node:crypto could not read as a private key is not one. */
function diagnosePem(text: string): string {
  const label = /-----BEGIN ([A-Z0-9 ]{1,40})-----/.exec(text)?.[1]
  if (label === undefined) {
    return text.trim() === ''
      ? 'got an empty string'
      : 'got a string with no PEM armour that is not JWK JSON either'
  }
  if (PUBLIC_PEM_LABELS.includes(label)) return `${PUBLIC_GIVEN} (a PEM labelled ${label})`
  if (label === 'CERTIFICATE') return `${PUBLIC_GIVEN} (a certificate, which holds only the public key)`
  if (label === 'ENCRYPTED PRIVATE KEY' || /Proc-Type:\s*4,ENCRYPTED/.test(text)) {
    return 'got an encrypted private key, and there is no passphrase option: decrypt it first, e.g. createPrivateKey({ key, passphrase }) from node:crypto, and pass the KeyObject'
  }
  if (PRIVATE_PEM_LABELS.includes(label)) {
    return `got a PEM labelled ${label} that could not be read (truncated, damaged, or not the key type its label says)`
  }
  return `got a PEM labelled ${label}, which is not a private key label (${PRIVATE_PEM_LABELS.join(', ')})`
}

/** Reads PEM text, or says what is wrong with it. */
function fromPem(text: string): Read {
  try {
    return createPrivateKey(text)
  } catch {
    return diagnosePem(text)
  }
}

/** Reads a private JWK object, or says what is wrong with it. */
function fromJwk(jwk: JWK): Read {
  if (jwk.kty === 'oct') return `${SECRET_GIVEN} (an 'oct' JWK)`
  if (jwk.d === undefined) return `${PUBLIC_GIVEN} (a JWK without "d")`
  try {
    return createPrivateKey({ key: jwk as JsonWebKey, format: 'jwk' })
  } catch {
    return 'got a private JWK that could not be read (a member is missing or malformed, or its kty is not RSA, EC or OKP)'
  }
}

/** Reads a JWK's JSON text, or says what is wrong with it; the parser's error is dropped (it quotes the text). */
function fromJwkText(text: string): { key: Read; kid?: string | undefined } {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    return { key: "got a string that starts with '{' but is not valid JSON (JWK JSON text was expected)" }
  }
  if (!isJwk(parsed)) return { key: 'got JSON text that is not a JWK (no "kty" member)' }
  return { key: fromJwk(parsed), kid: kidOf(parsed) }
}

/** Reads bytes: PEM text, else DER PKCS#8. */
function fromBytes(bytes: Buffer): Read {
  if (bytes.includes('-----BEGIN')) return fromText(bytes.toString('utf8'))
  try {
    return createPrivateKey({ key: bytes, format: 'der', type: 'pkcs8' })
  } catch {
    return 'got bytes that are neither PEM text nor a DER PKCS#8 private key'
  }
}

function fromText(text: string): Read {
  return fromPem(unescapePem(text))
}

/**
 * A private key from PEM (PKCS#8 'BEGIN PRIVATE KEY', PKCS#1 'BEGIN RSA PRIVATE KEY', SEC1
 * 'BEGIN EC PRIVATE KEY'; `\n`-escaped PEM accepted), PEM or DER PKCS#8 bytes, a JWK object or its
 * JSON text, a KeyObject, or a CryptoKey. node:crypto reads PKCS#1 and SEC1, which jose's
 * importPKCS8 does not. `what` names the option in error messages.
 */
export function toPrivateKey(input: KeyLike, what = 'private_key_jwt'): SigningKey {
  let key: Read
  let kid: string | undefined
  if (input instanceof KeyObject) key = input
  else if (input instanceof CryptoKey) key = KeyObject.from(input)
  else if (typeof input === 'string' && input.trimStart().startsWith('{')) ({ key, kid } = fromJwkText(input))
  else if (typeof input === 'string') key = fromText(input)
  else if (input instanceof Uint8Array) key = fromBytes(Buffer.from(input))
  else if (isJwk(input)) {
    key = fromJwk(input)
    kid = kidOf(input)
  } else key = `got ${describe(input)}`
  if (typeof key !== 'string' && key.type !== 'private') {
    key = `${key.type === 'public' ? PUBLIC_GIVEN : SECRET_GIVEN} (${describe(input)})`
  }
  if (typeof key === 'string')
    throw new InvalidOptionError(`${what} needs a private key: ${key}; expected ${PRIVATE_KEY_FORMS}`)
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
    if (input === '') throw new InvalidOptionError(`${expected}; got an empty string`)
    return { key: createSecretKey(Buffer.from(input, 'utf8')), kid: undefined }
  }
  if (input instanceof Uint8Array) return { key: createSecretKey(Buffer.from(input)), kid: undefined }
  const key =
    input instanceof CryptoKey ? KeyObject.from(input) : input instanceof KeyObject ? input : undefined
  if (key?.type === 'secret') return { key, kid: undefined }
  if (key === undefined && isJwk(input) && input.kty === 'oct' && typeof input.k === 'string') {
    return { key: createSecretKey(Buffer.from(input.k, 'base64url')), kid: kidOf(input) }
  }
  throw new InvalidOptionError(`${expected}; got ${describe(input)}`)
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
    throw new InvalidOptionError(
      `${alg} needs ${needs}; got a ${type ?? 'unknown'}${curve ? ` (${curve})` : ''} key`,
    )
  }
  if (type === 'rsa' || type === 'rsa-pss') assertRsaKeySize(key, alg)
}

/** Refuses RSA keys shorter than MIN_RSA_MODULUS_BITS; `what` names the algorithm or option. */
export function assertRsaKeySize(key: KeyObject, what: string): void {
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0
  if (bits < MIN_RSA_MODULUS_BITS) {
    throw new InvalidOptionError(
      `${what} needs an RSA key of at least ${MIN_RSA_MODULUS_BITS} bits (RFC 7518 §3.3, NIST SP 800-131A); got a ${bits}-bit key`,
    )
  }
}

/**
 * Imports a key once per distinct input and reuses it (docs/design.md "Keys").
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
