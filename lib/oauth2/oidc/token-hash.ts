/**
 * The `at_hash` and `c_hash` ID token claims (OpenID Connect Core §3.1.3.6, §3.3.2.11): the
 * base64url of the left half of the hash of the token or code, with the hash the JWS `alg` uses.
 */
import { createHash } from 'node:crypto'

/** The hash each JWS algorithm's signature uses (RFC 7518 §3.1); Ed25519 signs with SHA-512 (RFC 8032 §5.1). */
function hashOf(alg: string): string | undefined {
  const bits = /^(?:HS|RS|PS|ES)(256|384|512)$/.exec(alg)?.[1]
  if (bits !== undefined) return `sha${bits}`
  return alg === 'EdDSA' || alg === 'Ed25519' ? 'sha512' : undefined
}

/** The hash claim for `value` under `alg`; undefined for an algorithm with no hash defined here. */
export function tokenHash(value: string, alg: string): string | undefined {
  const hash = hashOf(alg)
  if (hash === undefined) return undefined
  const digest = createHash(hash).update(value, 'ascii').digest()
  return digest.subarray(0, digest.length / 2).toString('base64url')
}
