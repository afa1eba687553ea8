import { randomFillSync } from 'node:crypto'

/**
 * RFC 5849 §3.3: a nonce unique for every request with the same timestamp, client and token.
 *
 * 15 random octets as 30 lower-case hex characters: 120 bits from the CSPRNG, and only ALPHA/DIGIT
 * so that providers that restrict the nonce alphabet and length (oauthlib's default validator
 * accepts 20-30 alphanumerics) take it as is.
 */
const NONCE_BYTES = 15

// Drawing one large block from the CSPRNG and slicing it avoids a native call per request on the
// signing hot path. Each nonce takes octets no other nonce has used.
const POOL_SIZE = NONCE_BYTES * 256
const pool = Buffer.allocUnsafe(POOL_SIZE)
let offset = POOL_SIZE

export function generateNonce(): string {
  if (offset === POOL_SIZE) {
    randomFillSync(pool)
    offset = 0
  }
  const nonce = pool.toString('hex', offset, offset + NONCE_BYTES)
  offset += NONCE_BYTES
  return nonce
}

/** RFC 5849 §3.3: the timestamp is the number of whole seconds since the epoch, as a decimal string. */
export function generateTimestamp(now: number = Date.now()): string {
  return Math.floor(now / 1000).toString()
}
