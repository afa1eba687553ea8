import type { KeyObject } from 'node:crypto'
import type { JWK } from 'jose'

/**
 * A key as users hold it: PEM text (PKCS#8, PKCS#1, SEC1), PEM or DER bytes, a JWK object or its
 * JSON text, a KeyObject, or a WebCrypto CryptoKey.
 * @see https://www.rfc-editor.org/rfc/rfc7468
 * @see https://www.rfc-editor.org/rfc/rfc7517
 */
export type KeyLike = string | Uint8Array | JWK | KeyObject | CryptoKey
