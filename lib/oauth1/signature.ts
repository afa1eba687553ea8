import { createHmac, createSecretKey, type KeyObject, sign } from 'node:crypto'
import { InvalidOptionError } from '../errors.js'
import type { KeyLike } from '../key-like.js'
import { assertRsaKeySize, toPrivateKey } from '../keys.js'
import { percentEncode } from './encoding.js'

/**
 * The RFC 5849 §3.4 methods, plus the SHA-2 variants providers added later (oauthlib, Mastercard).
 * @see https://www.rfc-editor.org/rfc/rfc5849#section-3.4
 */
export type SignatureMethod =
  | 'HMAC-SHA1'
  | 'HMAC-SHA256'
  | 'HMAC-SHA512'
  | 'RSA-SHA1'
  | 'RSA-SHA256'
  | 'RSA-SHA512'
  | 'PLAINTEXT'

type Digest = 'sha1' | 'sha256' | 'sha512'

const DIGESTS: Readonly<Record<SignatureMethod, Digest>> = {
  'HMAC-SHA1': 'sha1',
  'HMAC-SHA256': 'sha256',
  'HMAC-SHA512': 'sha512',
  'RSA-SHA1': 'sha1',
  'RSA-SHA256': 'sha256',
  'RSA-SHA512': 'sha512',
  // PLAINTEXT has no digest of its own; SHA-1 is what the body hash draft falls back to.
  PLAINTEXT: 'sha1',
}

export const SIGNATURE_METHODS: readonly SignatureMethod[] = Object.keys(DIGESTS) as SignatureMethod[]

/** The hash function a signature method is built on (used for `oauth_body_hash` too). */
export function digestOf(method: SignatureMethod): Digest {
  return DIGESTS[method]
}

export interface SignerCredentials {
  clientSecret?: string | undefined
  tokenSecret?: string | undefined
  /** Required for the RSA-* methods. */
  rsaKey?: KeyLike | undefined
}

/** Signs signature base strings for one set of credentials. Build a new one when the token changes. */
export interface Signer {
  readonly method: SignatureMethod
  /** PLAINTEXT (§3.4.4) ignores the base string, so callers can skip building it. */
  readonly needsBaseString: boolean
  /** The `oauth_signature` value (not yet percent-encoded). */
  sign(baseString: string): string
}

/**
 * RFC 5849 §3.4.2 / §3.4.4 key: the encoded client secret and the encoded token secret joined by
 * "&", which stays even when either secret is empty. Throws InvalidOptionError for a secret that holds a
 * lone surrogate (it has no UTF-8 encoding).
 */
export function signingKey(clientSecret = '', tokenSecret = ''): string {
  try {
    return `${percentEncode(clientSecret)}&${percentEncode(tokenSecret)}`
  } catch (cause) {
    // percentEncode's URIError (a lone surrogate has no UTF-8 form); the message names no secret.
    throw new InvalidOptionError(
      'clientSecret and tokenSecret must be well-formed Unicode (no lone surrogate)',
      {
        cause,
      },
    )
  }
}

/**
 * Creates a signer for `method`. The HMAC key, the PLAINTEXT signature and the RSA `KeyObject` are
 * computed once here, not per request. Throws InvalidOptionError when an RSA method has no usable key.
 */
export function createSigner(method: SignatureMethod, credentials: SignerCredentials): Signer {
  const digest = DIGESTS[method]
  switch (method) {
    case 'PLAINTEXT': {
      // §3.4.4: the signature is the key itself, sent over TLS.
      const signature = signingKey(credentials.clientSecret, credentials.tokenSecret)
      return { method, needsBaseString: false, sign: () => signature }
    }
    case 'RSA-SHA1':
    case 'RSA-SHA256':
    case 'RSA-SHA512': {
      if (credentials.rsaKey === undefined) {
        throw new InvalidOptionError(
          `signature method ${method} needs rsaKey (an RSA private key); none was given`,
        )
      }
      const key = toRsaPrivateKey(credentials.rsaKey, method)
      // §3.4.3: RSASSA-PKCS1-v1_5 (RFC 3447 §8.2), the node:crypto default padding for RSA keys.
      return {
        method,
        needsBaseString: true,
        sign: base => sign(digest, Buffer.from(base), key).toString('base64'),
      }
    }
    default: {
      // §3.4.2: HMAC over the base string, keyed with the signing key (a KeyObject, so the
      // key bytes are not re-encoded on every request).
      const key = createSecretKey(Buffer.from(signingKey(credentials.clientSecret, credentials.tokenSecret)))
      return {
        method,
        needsBaseString: true,
        sign: base => createHmac(digest, key).update(base).digest('base64'),
      }
    }
  }
}

/**
 * Turns any `KeyLike` into an RSA private `KeyObject` of at least 2048 bits (through the package's
 * one key importer), saying what it got when it cannot.
 */
export function toRsaPrivateKey(input: KeyLike, method: SignatureMethod): KeyObject {
  const what = `rsaKey for ${method}`
  const { key } = toPrivateKey(input, what)
  // §3.4.3 signs with RSASSA-PKCS1-v1_5: a plain RSA key, not an RSA-PSS-only one.
  if (key.asymmetricKeyType !== 'rsa') {
    throw new InvalidOptionError(
      `${what} must be an RSA private key; got a private ${key.asymmetricKeyType} key`,
    )
  }
  assertRsaKeySize(key, what)
  return key
}
