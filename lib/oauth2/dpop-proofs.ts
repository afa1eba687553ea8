/**
 * RFC 9449 §4.2 DPoP proofs: one compact JWS per request, `typ` dpop+jwt, the public key in the
 * `jwk` header, and the claims `jti` (fresh each time), `htm`, `htu` (no query, no fragment),
 * `iat`, `ath` (§4.3, on resource requests) and `nonce` (§8, §9) when the server gave one.
 *
 * Signed with node:crypto's one-shot `sign`: the protected header is serialised and encoded once
 * per key, so a proof costs one signature plus a few string operations (jose's SignJWT goes
 * through WebCrypto and a promise per proof, which bench/dpop.ts measures as the larger cost).
 */
import { constants, createHash, randomUUID, type SignKeyObjectInput, sign } from 'node:crypto'
import type { DpopAlgorithm, DpopKey } from './dpop.js'

/** RFC 7518 §3.1 digest per algorithm; EdDSA signs the message itself (RFC 8037 §3.1). */
const DIGESTS: Record<DpopAlgorithm, string | null> = {
  ES256: 'sha256',
  ES384: 'sha384',
  ES512: 'sha512',
  EdDSA: null,
  Ed25519: null,
  RS256: 'sha256',
  RS384: 'sha384',
  RS512: 'sha512',
  PS256: 'sha256',
  PS384: 'sha384',
  PS512: 'sha512',
}

/** RFC 7518 §3.5: PSS salt as long as the digest. */
const SALT_LENGTHS: Record<string, number> = { sha256: 32, sha384: 48, sha512: 64 }

/** How node:crypto must sign for `alg`: ECDSA as R||S (RFC 7518 §3.4), PSS with its salt. */
function signingKey(key: DpopKey): SignKeyObjectInput {
  const digest = DIGESTS[key.alg]
  if (key.alg.startsWith('ES')) return { key: key.privateKey, dsaEncoding: 'ieee-p1363' }
  if (key.alg.startsWith('PS') && digest !== null) {
    return {
      key: key.privateKey,
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: SALT_LENGTHS[digest]!,
    }
  }
  return { key: key.privateKey }
}

/** §4.3: `ath`, base64url(SHA-256(ASCII access token)); computed once per token by the caller. */
export function accessTokenHash(accessToken: string): string {
  return createHash('sha256').update(accessToken, 'ascii').digest('base64url')
}

/**
 * §4.2 `htu`: the target URI without query and fragment. `origin` and `path` are what the request
 * is sent with (path may carry a query; a dispatched path never carries a fragment).
 */
export function targetUri(origin: string, path: string): string {
  const query = path.indexOf('?')
  return `${origin}${query === -1 ? path : path.slice(0, query)}`
}

/** Makes the proofs of one key. */
export class DpopProver {
  readonly #digest: string | null
  readonly #key: SignKeyObjectInput
  /** The encoded protected header and the dot after it: the same for every proof of this key. */
  readonly #head: string

  constructor(key: DpopKey) {
    this.#digest = DIGESTS[key.alg]
    this.#key = signingKey(key)
    const header = { typ: 'dpop+jwt', alg: key.alg, jwk: key.publicJwk }
    this.#head = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.`
  }

  /**
   * A proof for one request: `htm` the method, `htu` from targetUri, `nonce` the server's latest
   * (§8, §9), `ath` the access token's hash for a resource request (§7.1).
   */
  proof(htm: string, htu: string, nonce: string | undefined, ath: string | undefined): string {
    // Claim values are JSON-encoded; the nonce's and ath's alphabets need no escaping, the URL
    // and method go through JSON.stringify.
    let claims = `{"jti":"${randomUUID()}","htm":${JSON.stringify(htm)},"htu":${JSON.stringify(htu)},"iat":${Math.floor(Date.now() / 1000)}`
    if (ath !== undefined) claims += `,"ath":"${ath}"`
    if (nonce !== undefined) claims += `,"nonce":"${nonce}"`
    const input = `${this.#head}${Buffer.from(`${claims}}`).toString('base64url')}`
    return `${input}.${sign(this.#digest, Buffer.from(input), this.#key).toString('base64url')}`
  }
}
