/** RFC 7636 PKCE: code verifier (§4.1) and code challenge (§4.2), and the random tokens state and nonce use. */
import { createHash, randomBytes } from 'node:crypto'
import { InvalidArgumentError } from '../errors.js'

/** base64url without padding (RFC 7636 Appendix A). */
function base64url(bytes: Buffer): string {
  return bytes.toString('base64url')
}

/**
 * A random string from crypto, in the base64url alphabet (which is also the RFC 7636 §4.1
 * unreserved set). `length` characters carry 6 bits each: the default 43 give 258 bits.
 * @see https://www.rfc-editor.org/rfc/rfc7636#section-4.1
 */
export function generateToken(length = 43): string {
  if (!Number.isSafeInteger(length) || length < 1) {
    throw new InvalidArgumentError(`generateToken: length must be a positive integer, got ${String(length)}`)
  }
  return base64url(randomBytes(Math.ceil((length * 3) / 4))).slice(0, length)
}

/**
 * A PKCE code verifier (RFC 7636 §4.1): 32 random octets, base64url, 43 characters, 256 bits.
 * @see https://www.rfc-editor.org/rfc/rfc7636#section-4.1
 */
export function generateCodeVerifier(): string {
  return base64url(randomBytes(32))
}

/** `code_challenge_method`: S256, or plain for a client that cannot hash. @see https://www.rfc-editor.org/rfc/rfc7636#section-4.2 */
export type CodeChallengeMethod = 'S256' | 'plain'

/**
 * The code challenge for a verifier (RFC 7636 §4.2): BASE64URL(SHA256(ASCII(verifier))) for S256.
 * @see https://www.rfc-editor.org/rfc/rfc7636#section-4.2
 */
export function createCodeChallenge(verifier: string, method: CodeChallengeMethod = 'S256'): string {
  if (!/^[A-Za-z0-9\-._~]{43,128}$/.test(verifier)) {
    throw new InvalidArgumentError(
      'code verifier must be 43 to 128 characters of [A-Za-z0-9-._~] (RFC 7636 §4.1)',
    )
  }
  if (method === 'plain') return verifier
  if (method !== 'S256')
    throw new InvalidArgumentError(`code challenge method must be 'S256' or 'plain', got '${String(method)}'`)
  return base64url(createHash('sha256').update(verifier, 'ascii').digest())
}
