/**
 * What an OAuth2Client keeps to act as an OpenID Connect relying party: the JWKS caches (one per
 * `jwks_uri`), the algorithms it accepts, and the claims of the last ID token it validated. It
 * validates every ID token a token response carries (OpenID Connect Core §3.1.3.7, §3.2.2.11,
 * §12.2) before the token is stored.
 */
import { decodeJwt } from 'jose'
import { IdTokenValidationError } from '../../errors.js'
import type { KeyLike } from '../../key-like.js'
import type { AuthorizationServerMetadata } from '../metadata.js'
import type { OAuth2Token } from '../token.js'
import {
  checkIssuerAndAudience,
  type IdTokenClaims,
  type KeyResolver,
  validateIdToken,
  verifySignedJwt,
} from './id-token.js'
import { type FetchedJwks, JwksCache } from './jwks-cache.js'

export interface RelyingPartySetup {
  clientId: string | undefined
  clientSecret: string | KeyLike | undefined
  /** The metadata in use at the time of a validation (discovery may fill it after construction). */
  metadata: () => AuthorizationServerMetadata
  /** The client's registered `id_token_signed_response_alg`: the only algorithm accepted when set. */
  idTokenSignedResponseAlg: string | undefined
  /** Seconds. */
  clockTolerance: number
  /** Seconds between two JWKS fetches for an unknown `kid`. */
  jwksCooldown: number
  fetchJwks: (uri: string) => Promise<FetchedJwks>
}

/** What the request that produced a token response lets the client expect of its ID token. */
export interface IdTokenContext {
  /** The nonce the caller passed back; see IdTokenExpectations.nonce. */
  nonce?: string | undefined
  /** `max_age` the authorization request asked for, seconds. */
  maxAge?: number | undefined
  /** A code exchanged (or received in a hybrid response), for `c_hash`. */
  code?: string | undefined
  /** A refresh response (§12.2): compared with the ID token it replaces. */
  refresh?: boolean
  /** The request was an OpenID Connect authentication (a code exchange): an ID token must come. */
  authentication?: boolean
}

/** RFC 7518 §3.2: the HMAC algorithms, keyed with the client secret. */
const isHmac = (alg: string): boolean => /^HS\d{3}$/.test(alg)

export class RelyingParty {
  readonly #setup: RelyingPartySetup
  readonly #caches = new Map<string, JwksCache>()
  #validated: { idToken: string; claims: IdTokenClaims } | undefined
  /** algorithms() of the metadata object in use (discovery replaces the object). */
  #algorithms: { of: AuthorizationServerMetadata; list: string[] } | undefined

  constructor(setup: RelyingPartySetup) {
    this.#setup = setup
  }

  /**
   * The algorithms accepted (§3.1.3.7 step 7): the registered one, else the provider's
   * `id_token_signing_alg_values_supported` (default RS256, OpenID Connect Discovery §3) without
   * `none` and without HS*, which only a client that registered an HS* algorithm accepts.
   */
  algorithms(): string[] {
    const metadata = this.#setup.metadata()
    if (this.#algorithms?.of !== metadata) this.#algorithms = { of: metadata, list: this.#accepted(metadata) }
    return this.#algorithms.list
  }

  #accepted(metadata: AuthorizationServerMetadata): string[] {
    const registered = this.#setup.idTokenSignedResponseAlg
    if (registered !== undefined) return [registered]
    const supported = metadata.id_token_signing_alg_values_supported
    const listed = Array.isArray(supported) ? supported.filter(alg => typeof alg === 'string') : ['RS256']
    return listed.filter(alg => alg !== 'none' && !isHmac(alg))
  }

  /**
   * HS* verifies with the client secret (§10.1); anything else with the provider's JWKS. Not an
   * async function: a warm lookup hands back the cached key's promise as it is.
   */
  readonly #keyFor: KeyResolver = header => {
    if (isHmac(header.alg)) {
      const secret = this.#setup.clientSecret
      if (typeof secret !== 'string') {
        throw new IdTokenValidationError(
          'alg',
          `signed JWT alg: ${header.alg} needs the client secret as a string`,
        )
      }
      return Promise.resolve(new TextEncoder().encode(secret))
    }
    const uri = this.#setup.metadata().jwks_uri
    if (uri === undefined) {
      throw new IdTokenValidationError(
        'jwks_uri',
        'signed JWT jwks_uri: the client knows no jwks_uri: use OAuth2Client.discover(), the metadata or the `jwksUri` option',
      )
    }
    let cache = this.#caches.get(uri)
    if (cache === undefined) {
      cache = new JwksCache(uri, { fetch: this.#setup.fetchJwks, cooldown: this.#setup.jwksCooldown })
      this.#caches.set(uri, cache)
    }
    return cache.keyFor(header)
  }

  #provider(): { issuer: string; clientId: string } {
    const { issuer } = this.#setup.metadata()
    const { clientId } = this.#setup
    if (issuer === undefined) {
      throw new IdTokenValidationError(
        'iss',
        'ID token iss: the client knows no issuer to compare with: use OAuth2Client.discover() or the metadata option',
      )
    }
    if (clientId === undefined)
      throw new IdTokenValidationError('aud', 'ID token aud: the client has no clientId')
    return { issuer, clientId }
  }

  /**
   * The claims of `token`'s ID token: those validated when it arrived, else (a token restored from
   * storage) its payload as stored, unverified. Undefined without an ID token.
   */
  #claimsOf(token: OAuth2Token | undefined): IdTokenClaims | undefined {
    const idToken = token?.id_token
    if (idToken === undefined) return undefined
    if (this.#validated?.idToken === idToken) return this.#validated.claims
    try {
      return decodeJwt(idToken) as IdTokenClaims
    } catch {
      return undefined
    }
  }

  /** The validated claims of `current`'s ID token; undefined when it has none or it was not validated here. */
  validatedClaims(current: OAuth2Token | undefined): IdTokenClaims | undefined {
    const validated = this.#validated
    return validated !== undefined && current?.id_token === validated.idToken
      ? { ...validated.claims }
      : undefined
  }

  /**
   * Validates the ID token of a token response before it is stored; `current` is the token it
   * replaces (§12.2). A response to an authentication request must carry one (§3.1.3.3), which
   * needs the issuer; any other response's ID token is validated whenever the issuer is known.
   */
  async checkTokenResponse(
    token: OAuth2Token,
    context: IdTokenContext,
    current: OAuth2Token | undefined,
  ): Promise<void> {
    if (token.id_token !== undefined) {
      // A client that knows no issuer cannot validate: it accepts an ID token only from a request
      // that did not ask for one (a password or refresh grant whose scope holds openid), and never
      // reports its claims as validated.
      if (this.#setup.metadata().issuer === undefined && context.authentication !== true) return
      return this.checkIdToken(token.id_token, context, token.access_token, current)
    }
    if (context.authentication === true) {
      throw new IdTokenValidationError(
        'id_token',
        'ID token id_token: missing from the token response to an OpenID Connect authentication request (OpenID Connect Core §3.1.3.3)',
      )
    }
  }

  /**
   * Validates one ID token: from a token response, or from the fragment of a hybrid or implicit
   * response (§3.2.2.11, §3.3.2.12), where `accessToken` and `context.code` meet their hashes.
   */
  async checkIdToken(
    idToken: string,
    context: IdTokenContext,
    accessToken: string | undefined,
    current: OAuth2Token | undefined,
  ): Promise<void> {
    const { issuer, clientId } = this.#provider()
    // Named properties, not a spread of #provider(): V8 builds a spread-then-extended object
    // slowly, and that cost a tenth of a validation (bench/oidc.ts).
    const claims = await validateIdToken(idToken, this.#keyFor, {
      issuer,
      clientId,
      algorithms: this.algorithms(),
      clockTolerance: this.#setup.clockTolerance,
      nonce: context.nonce,
      maxAge: context.maxAge,
      accessToken,
      code: context.code,
      refresh: context.refresh === true,
      previous: context.refresh === true ? this.#claimsOf(current) : undefined,
    })
    this.#validated = { idToken, claims }
  }

  /** The subject userinfo must name: the current ID token's (§5.3.2). */
  subjectOf(current: OAuth2Token | undefined): string {
    const sub = this.#claimsOf(current)?.sub
    if (typeof sub !== 'string') {
      throw new IdTokenValidationError(
        'sub',
        'userinfo sub: the client holds no ID token whose subject userinfo must match',
      )
    }
    return sub
  }

  /** A signed userinfo answer (§5.3.2): the signature as for an ID token; `iss` and `aud` when present. */
  async verifyUserinfoJwt(jwt: string): Promise<Record<string, unknown>> {
    const { claims } = await verifySignedJwt(jwt, this.#keyFor, this.algorithms(), 'userinfo JWT')
    const provider = this.#provider()
    checkIssuerAndAudience(
      { iss: provider.issuer, aud: provider.clientId, ...claims },
      { ...provider, algorithms: [], clockTolerance: this.#setup.clockTolerance },
      'userinfo JWT',
    )
    return claims
  }
}
