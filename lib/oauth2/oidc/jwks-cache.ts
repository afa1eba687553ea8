/**
 * The provider's JSON Web Key Set (RFC 7517 §5; OpenID Connect Core §10.1.1 on rotation), one
 * cache per `jwks_uri`: fetched on first use, kept for its `Cache-Control: max-age` (RFC 9111
 * §5.2.2.1; default 10 minutes), fetched again when a token names a `kid` it lacks, but at most
 * once per cooldown, and single-flight: any number of validations meeting an unknown key wait for
 * one fetch.
 */
import { type CryptoKey, importJWK, type JWK, type JWSHeaderParameters } from 'jose'
import { IdTokenValidationError, InvalidResponseError } from '../../errors.js'
import type { EndpointCall, EndpointResult } from '../../http/endpoint.js'
import { endpointError } from '../../http/endpoint-errors.js'
import { firstHeader } from '../../http/headers.js'

/** One JWKS document as fetched, with the lifetime its answer states. */
export interface FetchedJwks {
  body: string
  /** Seconds, from `Cache-Control: max-age`; undefined when the answer states none. */
  maxAge: number | undefined
}

export interface JwksCacheOptions {
  /** Fetches the document (through the session's endpoint path). */
  fetch: (uri: string) => Promise<FetchedJwks>
  /** Seconds between two fetches for an unknown `kid`. */
  cooldown: number
}

/** How long a JWKS answer without max-age is kept, ms. */
const DEFAULT_LIFETIME = 10 * 60_000

/** RFC 7518 §6.1: the key type each JWS algorithm family signs with. */
function keyTypeFor(alg: string): string | undefined {
  if (/^(?:RS|PS)\d{3}$/.test(alg)) return 'RSA'
  if (/^ES\d{3}$/.test(alg)) return 'EC'
  return alg === 'EdDSA' || alg === 'Ed25519' ? 'OKP' : undefined
}

/** RFC 7518 §3.4: the curve each ES algorithm needs. */
const EC_CURVES: Readonly<Record<string, string>> = { ES256: 'P-256', ES384: 'P-384', ES512: 'P-521' }

/** A key can verify `alg` (RFC 7517 §4.2-4.4: `use`, `key_ops`, `alg` narrow what it may do). */
function canVerify(key: JWK, alg: string): boolean {
  if (key.kty !== keyTypeFor(alg)) return false
  if (key.use !== undefined && key.use !== 'sig') return false
  if (key.key_ops !== undefined && !key.key_ops.includes('verify')) return false
  if (key.alg !== undefined && key.alg !== alg) return false
  if (key.kty === 'EC') return key.crv === EC_CURVES[alg]
  if (key.kty === 'OKP') return key.crv === 'Ed25519'
  return true
}

/** The `max-age` of a Cache-Control header, seconds; `no-store`/`no-cache` count as 0. */
export function cacheMaxAge(header: string | undefined): number | undefined {
  if (header === undefined) return undefined
  if (/(?:^|[,\s])no-(?:store|cache)\b/i.test(header)) return 0
  const match = /(?:^|[,\s])max-age\s*=\s*"?(\d+)"?/i.exec(header)
  return match === null ? undefined : Number(match[1])
}

/** Reads a JWKS document: a JSON object whose `keys` is an array of objects with a string `kty`. */
function readJwks(uri: string, body: string): JWK[] {
  const invalid = (reason: string) => new InvalidResponseError(`jwks_uri ${uri} answered ${reason}`)
  let document: unknown
  try {
    document = JSON.parse(body)
  } catch {
    throw invalid('a body that is not JSON')
  }
  const keys = (document as { keys?: unknown } | null)?.keys
  if (!Array.isArray(keys)) throw invalid('no `keys` array (RFC 7517 §5)')
  // RFC 7517 §5: keys of unknown types are ignored, not fatal.
  return keys.filter(
    (key): key is JWK => key !== null && typeof key === 'object' && typeof key.kty === 'string',
  )
}

export class JwksCache {
  readonly #uri: string
  readonly #options: JwksCacheOptions
  #keys: JWK[] = []
  /** Epoch ms of the last successful fetch; -Infinity before it. */
  #fetchedAt = Number.NEGATIVE_INFINITY
  #expiresAt = Number.NEGATIVE_INFINITY
  #pending: Promise<void> | undefined
  readonly #imported = new WeakMap<JWK, Map<string, Promise<CryptoKey | Uint8Array>>>()
  /** The key found for each alg and kid since the last fetch: a warm validation is one lookup. */
  readonly #found = new Map<string, Promise<CryptoKey | Uint8Array>>()

  constructor(uri: string, options: JwksCacheOptions) {
    this.#uri = uri
    this.#options = options
  }

  /** One fetch at a time: callers arriving while it runs share it. */
  #refresh(): Promise<void> {
    this.#pending ??= (async () => {
      try {
        const { body, maxAge } = await this.#options.fetch(this.#uri)
        this.#keys = readJwks(this.#uri, body)
        this.#found.clear()
        const now = Date.now()
        this.#fetchedAt = now
        const cooldown = this.#options.cooldown * 1000
        this.#expiresAt = now + Math.max(maxAge === undefined ? DEFAULT_LIFETIME : maxAge * 1000, cooldown)
      } finally {
        this.#pending = undefined
      }
    })()
    return this.#pending
  }

  #matching(header: JWSHeaderParameters & { alg: string }): JWK[] {
    return this.#keys.filter(
      key => (header.kid === undefined || key.kid === header.kid) && canVerify(key, header.alg),
    )
  }

  /**
   * The key that verifies a JWS with this header. An expired cache is fetched again first; a
   * `kid` the cache lacks causes one more fetch unless one completed within the cooldown (a fetch
   * already running is awaited instead). Throws IdTokenValidationError 'kid' when no single key matches.
   */
  keyFor(header: JWSHeaderParameters & { alg: string }): Promise<CryptoKey | Uint8Array> {
    const found = Date.now() < this.#expiresAt ? this.#found.get(`${header.alg} ${header.kid}`) : undefined
    return found ?? this.#find(header)
  }

  async #find(header: JWSHeaderParameters & { alg: string }): Promise<CryptoKey | Uint8Array> {
    if (Date.now() >= this.#expiresAt) await this.#refresh()
    let found = this.#matching(header)
    const cooled = Date.now() - this.#fetchedAt >= this.#options.cooldown * 1000
    if (found.length === 0 && (this.#pending !== undefined || cooled)) {
      await this.#refresh()
      found = this.#matching(header)
    }
    const named = header.kid === undefined ? 'no kid' : `kid '${String(header.kid).slice(0, 80)}'`
    if (found.length === 0) {
      throw new IdTokenValidationError(
        'kid',
        `signed JWT kid: no key in the JWKS at ${this.#uri} verifies ${header.alg} with ${named}`,
      )
    }
    if (found.length > 1) {
      throw new IdTokenValidationError(
        'kid',
        `signed JWT kid: ${found.length} keys in the JWKS at ${this.#uri} verify ${header.alg} and the token names ${named}`,
      )
    }
    const key = this.#import(found[0]!, header.alg)
    this.#found.set(`${header.alg} ${header.kid}`, key)
    return key
  }

  /** Keys are imported once per algorithm and kept as long as the JWKS holds them. */
  #import(jwk: JWK, alg: string): Promise<CryptoKey | Uint8Array> {
    let byAlg = this.#imported.get(jwk)
    if (byAlg === undefined) {
      byAlg = new Map()
      this.#imported.set(jwk, byAlg)
    }
    let key = byAlg.get(alg)
    if (key === undefined) {
      key = importJWK(jwk, alg).catch(() => {
        throw new IdTokenValidationError(
          'kid',
          `signed JWT kid: the JWKS key ${jwk.kid === undefined ? '' : `'${jwk.kid}' `}cannot be imported for ${alg}`,
        )
      })
      byAlg.set(alg, key)
    }
    return key
  }
}

/**
 * GETs a JWKS through the session's endpoint path (its pool, deadline, proxy and retries). It
 * carries no credentials, yet the transport rule applies as if it did: keys read over plain http
 * from a host that is not loopback could be swapped in transit, and any token would then verify.
 */
export async function fetchJwks(
  send: (call: EndpointCall) => Promise<EndpointResult>,
  uri: string,
): Promise<FetchedJwks> {
  const { response } = await send({
    label: 'jwks_uri',
    url: new URL(uri),
    method: 'GET',
    headers: { accept: 'application/jwk-set+json, application/json' },
    failure: endpointError,
  })
  return { body: response.body, maxAge: cacheMaxAge(firstHeader(response.headers, 'cache-control')) }
}
