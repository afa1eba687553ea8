import { createHash } from 'node:crypto'
import { digestOf, type SignatureMethod } from './signature.js'

/**
 * `oauth_body_hash` from the OAuth Request Body Hash draft (draft-eaton-oauth-bodyhash-00): the
 * base64 digest of the raw entity body (the empty string when there is none). §3.2 of the draft
 * ties the hash to the signature method: SHA-1 for HMAC-SHA1 and RSA-SHA1; for the SHA-2 methods
 * their own digest is used, as providers that adopted them do (Mastercard's RSA-SHA256).
 * The draft forbids the parameter on form-encoded bodies; the caller makes sure of that.
 */
export function bodyHash(body: string | Uint8Array, method: SignatureMethod): string {
  return createHash(digestOf(method)).update(body).digest('base64')
}
