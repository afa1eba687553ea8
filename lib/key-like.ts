import type { KeyObject } from 'node:crypto'
import type { JWK } from 'jose'

/** A key as users hold it: PEM text (PKCS#8, PKCS#1, SPKI), a JWK object, a KeyObject, or a WebCrypto CryptoKey. */
export type KeyLike = string | Uint8Array | JWK | KeyObject | CryptoKey
