/**
 * ID token validation (OpenID Connect Core §3.1.3.7 for the code flow, §3.2.2.11 for the implicit
 * and hybrid flows, §12.2 for refresh responses): the JWS signature under an allowed algorithm,
 * then every claim the client can check. Each failure is an IdTokenValidationError naming the
 * claim or step; no message holds the token.
 */
import { type CryptoKey, compactVerify, type JWSHeaderParameters, type KeyObject } from 'jose'
import { IdTokenValidationError } from '../../errors.js'
import { tokenHash } from './token-hash.js'

/** The claims of a validated ID token (OpenID Connect Core §2). */
export interface IdTokenClaims {
  /** Issuer identifier; equals the provider's issuer. */
  iss: string
  /** Subject: the user's identifier at the provider, unique per issuer. */
  sub: string
  /** Audience; contains the client's `client_id`. */
  aud: string | string[]
  /** Expiry, seconds since the epoch. */
  exp: number
  /** Issue time, seconds since the epoch. */
  iat: number
  /** Not valid before, seconds since the epoch. */
  nbf?: number
  /** When the user authenticated, seconds since the epoch (required with `max_age`). */
  auth_time?: number
  /** The `nonce` of the authorization request, echoed back. */
  nonce?: string
  /** Authorized party: the client the token was issued to, when `aud` names several. */
  azp?: string
  /** Authentication context class reference. */
  acr?: string
  /** Authentication methods references (e.g. 'pwd', 'otp'). */
  amr?: string[]
  /** Hash of the access token issued with it (OpenID Connect Core §3.2.2.9). */
  at_hash?: string
  /** Hash of the code issued with it in a hybrid response (OpenID Connect Core §3.3.2.11). */
  c_hash?: string
  [claim: string]: unknown
}

/** The key that verifies a JWS with this header: a JWKS key, or the client secret for HS*. */
export type KeyResolver = (
  header: JWSHeaderParameters & { alg: string },
) => Promise<CryptoKey | KeyObject | Uint8Array>

/** What the client expects of a signed JWT from its provider (an ID token or a userinfo answer). */
export interface SignedJwtExpectations {
  /** The provider's issuer identifier, compared exactly (§3.1.3.7 step 2). */
  issuer: string
  clientId: string
  /** The `alg` values accepted (§3.1.3.7 steps 6-7); never `none`. */
  algorithms: readonly string[]
  /** Seconds of clock skew allowed on `exp`, `iat`, `nbf` and `auth_time`. */
  clockTolerance: number
  /** Epoch seconds; default the clock. */
  now?: number
}

/** What one ID token must match besides the provider's rules. */
export interface IdTokenExpectations extends SignedJwtExpectations {
  /** The nonce sent in the authorization request; undefined: the token must carry none (§3.1.3.7 step 11). */
  nonce?: string | undefined
  /** `max_age` of the authorization request, seconds: `auth_time` must be present and recent enough. */
  maxAge?: number | undefined
  /** The access token issued with it, checked against `at_hash` when present (§3.2.2.9, §3.3.2.9). */
  accessToken?: string | undefined
  /** The code issued with it in a hybrid response, checked against `c_hash` when present (§3.3.2.10). */
  code?: string | undefined
  /** A refresh response (§12.2): no nonce is expected, and `previous`, when known, must match. */
  refresh?: boolean
  /** The ID token the refreshed one replaces (§12.2): `iss`, `sub`, `aud` and `auth_time` must match it. */
  previous?: IdTokenClaims | undefined
}

/** Throws the coded error for `claim` of the JWT named `what` ('ID token', 'userinfo JWT'). */
function failIn(what: string, claim: string, message: string): never {
  throw new IdTokenValidationError(claim, `${what} ${claim}: ${message}`)
}

const fail = (claim: string, message: string): never => failIn('ID token', claim, message)

const UTF8 = new TextDecoder()

/** A claim value for a message: strings quoted and cut short, other types named. */
function shown(value: unknown): string {
  if (typeof value === 'string') return value.length > 80 ? `'${value.slice(0, 80)}…'` : `'${value}'`
  if (typeof value === 'number') return String(value)
  return value === undefined ? 'none' : typeof value
}

/**
 * Verifies a compact JWS (§3.1.3.7 steps 6-8): the header parses, its `alg` is one of
 * `algorithms` (so never `none`), the key `keyFor` returns verifies it, and the payload is a JSON
 * object. `what` names the JWT in messages ('ID token', 'userinfo JWT').
 */
export async function verifySignedJwt(
  jwt: string,
  keyFor: KeyResolver,
  algorithms: readonly string[],
  what = 'ID token',
): Promise<{ header: JWSHeaderParameters & { alg: string }; claims: Record<string, unknown> }> {
  const fail = (claim: string, message: string): never => failIn(what, claim, message)
  // jose parses the header once and hands it here before verifying: the alg check and the key
  // lookup happen in between, and their errors pass through unchanged.
  const resolve = (header: JWSHeaderParameters) => {
    const alg = header.alg
    if (typeof alg !== 'string' || alg === 'none' || !algorithms.includes(alg)) {
      fail('alg', `alg ${shown(alg)} is not accepted: expected one of ${algorithms.join(', ')}`)
    }
    return keyFor(header as JWSHeaderParameters & { alg: string })
  }
  let verified: { payload: Uint8Array; protectedHeader: JWSHeaderParameters }
  try {
    // No `algorithms` option: jose would refuse an alg before `resolve` could name it.
    verified = await compactVerify(jwt, resolve)
  } catch (err) {
    const code = (err as { code?: unknown }).code
    // jose's own errors are about the JWS; anything else (the JWKS fetch's) passes through.
    if (err instanceof IdTokenValidationError || typeof code !== 'string' || !/^ERR_J(?:WS|OSE)_/.test(code))
      throw err
    if (code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED') {
      return fail('signature', "the signature does not verify with the provider's key")
    }
    return fail('format', 'not a compact JWS with a JSON header (an encrypted ID token is not supported)')
  }
  let claims: unknown
  try {
    claims = JSON.parse(UTF8.decode(verified.payload))
  } catch {
    return fail('format', 'the payload is not JSON')
  }
  if (claims === null || typeof claims !== 'object' || Array.isArray(claims))
    fail('format', 'the payload is not a JSON object')
  return {
    header: verified.protectedHeader as JWSHeaderParameters & { alg: string },
    claims: claims as Record<string, unknown>,
  }
}

/** §3.1.3.7 steps 2-5: `iss` is the provider's, `aud` holds the client, `azp` is the client when present or needed. */
export function checkIssuerAndAudience(
  claims: Record<string, unknown>,
  expect: SignedJwtExpectations,
  what = 'ID token',
): void {
  const fail = (claim: string, message: string): never => failIn(what, claim, message)
  if (claims.iss !== expect.issuer) fail('iss', `expected '${expect.issuer}', got ${shown(claims.iss)}`)
  const { aud, azp } = claims
  const audiences = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : undefined
  if (audiences === undefined || !audiences.every(item => typeof item === 'string')) {
    fail('aud', `expected a string or an array of strings, got ${shown(aud)}`)
  }
  if (!audiences!.includes(expect.clientId))
    fail('aud', `does not contain the client id '${expect.clientId}'`)
  if (audiences!.length > 1 && azp === undefined)
    fail('azp', 'missing: required when aud holds several audiences')
  if (azp !== undefined && azp !== expect.clientId)
    fail('azp', `expected '${expect.clientId}', got ${shown(azp)}`)
}

function numberClaim(claims: Record<string, unknown>, name: string, required: boolean): number | undefined {
  const value = claims[name]
  if (value === undefined && !required) return undefined
  if (typeof value !== 'number' || !Number.isFinite(value))
    fail(name, `expected a number of epoch seconds, got ${shown(value)}`)
  return value as number
}

/** §3.1.3.7 steps 9-10 and RFC 7519 §4.1.5: not expired, not issued (or valid) in the future, within the tolerance. */
function checkTimes(claims: Record<string, unknown>, now: number, tolerance: number): void {
  const exp = numberClaim(claims, 'exp', true)!
  if (exp <= now - tolerance)
    fail('exp', `expired at ${exp}, now is ${Math.floor(now)} (tolerance ${tolerance} s)`)
  const iat = numberClaim(claims, 'iat', true)!
  if (iat > now + tolerance)
    fail('iat', `issued in the future (${iat}), now is ${Math.floor(now)} (tolerance ${tolerance} s)`)
  const nbf = numberClaim(claims, 'nbf', false)
  if (nbf !== undefined && nbf > now + tolerance)
    fail('nbf', `not valid before ${nbf}, now is ${Math.floor(now)} (tolerance ${tolerance} s)`)
}

/** §3.1.3.7 step 11 (and §12.2 for refresh): the nonce the caller passed back; its value is never printed. */
function checkNonce(claims: Record<string, unknown>, expect: IdTokenExpectations): void {
  const { nonce } = claims
  if (expect.refresh === true) {
    // §12.2: a refreshed ID token SHOULD NOT carry a nonce; when it does, it is the original one.
    const previous = expect.previous
    if (nonce !== undefined && previous !== undefined && nonce !== previous.nonce)
      fail('nonce', 'differs from the original ID token nonce')
    return
  }
  if (expect.nonce === undefined) {
    if (nonce !== undefined)
      fail(
        'nonce',
        'the token carries a nonce but none was passed: pass the nonce created with the authorization URL',
      )
    return
  }
  if (nonce === undefined) fail('nonce', 'missing, but a nonce was sent with the authorization request')
  if (nonce !== expect.nonce) fail('nonce', 'does not match the nonce sent with the authorization request')
}

/** §3.1.3.7 step 13: with `max_age` asked, `auth_time` is present and no older than that. */
function checkAuthTime(claims: Record<string, unknown>, expect: IdTokenExpectations, now: number): void {
  const authTime = numberClaim(claims, 'auth_time', expect.maxAge !== undefined)
  if (expect.maxAge !== undefined && authTime! + expect.maxAge < now - expect.clockTolerance) {
    fail(
      'auth_time',
      `authentication at ${authTime} is older than max_age ${expect.maxAge} s (now ${Math.floor(now)})`,
    )
  }
}

/** §3.2.2.9 / §3.3.2.10: a hash claim, when present, matches what came with the token. */
function checkHash(
  claims: Record<string, unknown>,
  name: 'at_hash' | 'c_hash',
  value: string | undefined,
  alg: string,
): void {
  const claim = claims[name]
  if (claim === undefined || value === undefined) return
  const expected = tokenHash(value, alg)
  if (expected === undefined) fail(name, `no hash is defined for alg '${alg}'`)
  if (claim !== expected)
    fail(name, `does not match the ${name === 'at_hash' ? 'access token' : 'code'} issued with it`)
}

/** §12.2: a refreshed ID token speaks of the same authentication as the one it replaces. */
function checkRefresh(claims: Record<string, unknown>, previous: IdTokenClaims): void {
  if (claims.iss !== previous.iss)
    fail('iss', `differs from the original ID token's '${previous.iss}' (OpenID Connect Core §12.2)`)
  if (claims.sub !== previous.sub)
    fail('sub', `differs from the original ID token's subject (OpenID Connect Core §12.2)`)
  const sameAudience =
    JSON.stringify([claims.aud].flat().sort()) === JSON.stringify([previous.aud].flat().sort())
  if (!sameAudience) fail('aud', 'differs from the original ID token audience (OpenID Connect Core §12.2)')
  if (
    previous.auth_time !== undefined &&
    claims.auth_time !== undefined &&
    claims.auth_time !== previous.auth_time
  ) {
    fail(
      'auth_time',
      `${shown(claims.auth_time)} differs from the original authentication time ${previous.auth_time} (OpenID Connect Core §12.2)`,
    )
  }
}

/** Validates an ID token and returns its claims; throws IdTokenValidationError naming the first claim or step that fails. */
export async function validateIdToken(
  idToken: string,
  keyFor: KeyResolver,
  expect: IdTokenExpectations,
): Promise<IdTokenClaims> {
  const { header, claims } = await verifySignedJwt(idToken, keyFor, expect.algorithms)
  const now = expect.now ?? Date.now() / 1000
  checkIssuerAndAudience(claims, expect)
  if (typeof claims.sub !== 'string' || claims.sub === '')
    fail('sub', `expected a non-empty string, got ${shown(claims.sub)}`)
  checkTimes(claims, now, expect.clockTolerance)
  checkNonce(claims, expect)
  checkAuthTime(claims, expect, now)
  checkHash(claims, 'at_hash', expect.accessToken, header.alg)
  checkHash(claims, 'c_hash', expect.code, header.alg)
  if (expect.previous !== undefined) checkRefresh(claims, expect.previous)
  return claims as IdTokenClaims
}
