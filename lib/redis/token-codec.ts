/**
 * How RedisTokenStore writes a token: JSON, or with an encryption key a JWE (RFC 7516 compact
 * serialization, `dir` + `A256GCM`, RFC 7518 §4.5 and §5.3) whose protected header names the store
 * key, so a value copied under another key does not decrypt there either.
 */
import { createSecretKey, type KeyObject } from 'node:crypto'
import { CompactEncrypt, compactDecrypt } from 'jose'
import { InvalidOptionError, TokenStoreError } from '../errors.js'
import { optionError } from '../http/options.js'
import { type OAuth2Token, toToken } from '../oauth2/token.js'

/** A256GCM's key size (RFC 7518 §5.3). */
const KEY_BYTES = 32

export interface TokenCodec {
  encode(token: OAuth2Token, key: string): Promise<string>
  decode(value: string, key: string): Promise<OAuth2Token>
}

function wrongSize(bytes: number | undefined): InvalidOptionError {
  return new InvalidOptionError(
    `option \`encryptionKey\` must be ${KEY_BYTES} bytes (A256GCM), got ${bytes} bytes`,
  )
}

/** The `encryptionKey` option as a secret KeyObject of 32 bytes; the message never shows the key. */
function secretKey(value: unknown): KeyObject {
  if (value instanceof Uint8Array) {
    if (value.byteLength !== KEY_BYTES) throw wrongSize(value.byteLength)
    return createSecretKey(value)
  }
  const key = value as KeyObject
  if (typeof key?.export === 'function' && key.type === 'secret') {
    if (key.symmetricKeySize !== KEY_BYTES) throw wrongSize(key.symmetricKeySize)
    return key
  }
  throw optionError('encryptionKey', `a Uint8Array or secret KeyObject of ${KEY_BYTES} bytes`, value)
}

/** A stored value read back: a valid token, or a TokenStoreError that names the key, never the value. */
function parsed(json: string, key: string): OAuth2Token {
  let fields: unknown
  try {
    fields = JSON.parse(json)
  } catch {
    throw unreadable(key, 'not JSON: an encrypted value read without its encryptionKey?')
  }
  if (fields === null || typeof fields !== 'object') throw unreadable(key, 'not a JSON object')
  // A DPoP client (RFC 9449) shares DPoP-bound tokens; the client that adopts one holds the key.
  return toToken(
    fields as Record<string, unknown>,
    Date.now() / 1000,
    reason => {
      throw unreadable(key, reason)
    },
    'bearer or dpop',
  )
}

function unreadable(key: string, why: string): TokenStoreError {
  return new TokenStoreError(`the token stored under '${key}' cannot be read: ${why}`)
}

export function tokenCodec(encryptionKey: unknown): TokenCodec {
  if (encryptionKey === undefined) {
    return {
      encode: async token => JSON.stringify(token),
      decode: async (value, key) => parsed(value, key),
    }
  }
  const secret = secretKey(encryptionKey)
  return {
    encode: (token, key) =>
      new CompactEncrypt(new TextEncoder().encode(JSON.stringify(token)))
        .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', 'undici-oauth-key': key })
        .encrypt(secret),
    async decode(value, key) {
      let plaintext: Uint8Array
      try {
        const result = await compactDecrypt(value, secret, {
          keyManagementAlgorithms: ['dir'],
          contentEncryptionAlgorithms: ['A256GCM'],
        })
        if (result.protectedHeader['undici-oauth-key'] !== key) throw new Error('saved under another key')
        plaintext = result.plaintext
      } catch (err) {
        throw new TokenStoreError(
          `the token stored under '${key}' does not decrypt with this encryptionKey (a wrong key, or a plaintext value)`,
          { cause: err },
        )
      }
      return parsed(new TextDecoder().decode(plaintext), key)
    },
  }
}
