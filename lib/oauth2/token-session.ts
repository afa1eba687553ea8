/** A session that carries an OAuth 2.0 access token (RFC 6750 via bearer.ts) and renews it (RFC 6749 §6). */
import { performance } from 'node:perf_hooks'
import { publishUnauthorizedRetry } from '../diagnostics/publish.js'
import { ClientClosedError, InvalidOptionError, MissingTokenError, TokenExpiredError } from '../errors.js'
import { checkFunction, checkOneOf, type OptionNames, optionError } from '../http/options.js'
import type { PreparedRequest } from '../http/prepared-request.js'
import { type ResponseData, SESSION_OPTIONS, Session, type SessionOptions } from '../session.js'
import { type RenewalSite, SharedRenewal } from '../store/shared-renewal.js'
import { readStoreOptions, type TokenStoreOptions } from '../store/store-options.js'
import {
  accessTokenIn,
  bearerAuthorization,
  isInvalidTokenChallenge,
  placeInForm,
  placeInQuery,
  TOKEN_PLACEMENTS,
  type TokenPlacement,
} from './bearer.js'
import { type DpopOption, readDpopOption } from './dpop.js'
import { accessTokenHash } from './dpop-proofs.js'
import { DpopSession } from './dpop-session.js'
import { RefreshQueue, type Renewal } from './refresh-queue.js'
import { type AcceptedTokenTypes, isDpopBound, type OAuth2Token, renewalTime, toToken } from './token.js'

/**
 * Called after every automatic refresh or re-grant (and explicit refreshToken), awaited before
 * waiters go on. `source` is 'store' when the token was adopted from a TokenStore, saved there by
 * another client (no token call was made), else 'endpoint'.
 * @see docs/oauth2.md#refresh-and-updatetoken
 */
export type UpdateToken = (
  token: OAuth2Token,
  context: { refreshToken?: string; accessToken?: string; source: TokenSource },
) => void | Promise<void>

/** Where a new token came from: this client's token call, or another client's save in the TokenStore. */
export type TokenSource = 'endpoint' | 'store'

/**
 * A token a renewal obtained, already stored: `refreshToken` is the refresh token it was obtained
 * with when it was a refresh (RFC 6749 §6), absent for a new grant.
 */
export interface ObtainedToken {
  token: OAuth2Token
  refreshToken?: string
}

/**
 * Why an automatic renewal runs: the token is due (or there is none yet), or a resource answered
 * 401 `invalid_token` (RFC 6750 §3.1). The token call names it (docs/observability.md).
 */
export type RenewalTrigger = 'due' | 'unauthorized'

/** The options every OAuth 2 client shares (OAuth2Client, AssertionClient): a session's, plus the token and its renewal. */
export interface TokenSessionOptions extends SessionOptions {
  /** A token to start with (e.g. one persisted earlier); checked like the `token` setter. @see https://www.rfc-editor.org/rfc/rfc6749#section-5.1 */
  token?: OAuth2Token
  /** Where the access token goes on resource requests (RFC 6750 §2); default 'header'. @see https://www.rfc-editor.org/rfc/rfc6750#section-2 */
  tokenPlacement?: TokenPlacement
  /** Called with each renewed token, to persist it. @see docs/oauth2.md#refresh-and-updatetoken */
  updateToken?: UpdateToken
  /** Seconds before expiry to renew (default 60; at most half the token's lifetime). @see https://www.rfc-editor.org/rfc/rfc6749#section-6 */
  leeway?: number
  /**
   * Sender-constrain tokens with DPoP (RFC 9449): `true` generates an ES256 key pair, or pass a key
   * pair (CryptoKey or KeyObject halves, optional `alg`) or a private JWK. Token requests then
   * carry a proof, and a DPoP-bound token is sent as `Authorization: DPoP` with a proof on every
   * request. Needs the header token placement.
   * @see docs/dpop.md
   */
  dpop?: DpopOption
}

export const TOKEN_SESSION_OPTIONS: OptionNames<TokenSessionOptions> = {
  ...SESSION_OPTIONS,
  token: true,
  tokenPlacement: true,
  updateToken: true,
  leeway: true,
  dpop: true,
}

/**
 * Epoch seconds reach 1e11 in the year 5138; epoch milliseconds passed it in 1973. An expires_at
 * above it is a millisecond value that would keep a token alive for millennia.
 */
const MAX_EPOCH_SECONDS = 1e11

/**
 * A session that holds an OAuth 2.0 access token and puts it on every request (RFC 6750),
 * renewing it before it expires through one serialized, single-flight queue (docs/design.md "Token renewal").
 * OAuth2Client and AssertionClient differ only in how they renew.
 */
export abstract class TokenSession extends Session {
  readonly #placement: TokenPlacement
  readonly #updateToken: UpdateToken | undefined
  readonly #leeway: number
  readonly #renewals = new RefreshQueue<OAuth2Token>(() => this.timeout, this.describeClient)
  #token: OAuth2Token | undefined
  /** Epoch ms after which the token is renewed before use; -Infinity without a token. */
  #renewAt = Number.NEGATIVE_INFINITY
  /** `Bearer <access_token>` (or `DPoP <access_token>`), built once per token for the header placement. */
  #authorization = ''
  /** RFC 9449: the client's DPoP key, nonces and proofs; undefined without the `dpop` option. */
  readonly #dpop: DpopSession | undefined
  /** RFC 9449 §4.3 `ath` of a DPoP-bound token in use; undefined for a Bearer token. */
  #ath: string | undefined
  /** Renewal through the shared TokenStore; undefined without one (today's path, untouched). */
  readonly #shared: SharedRenewal | undefined
  readonly #storeKey: string | undefined

  constructor(options: TokenSessionOptions & TokenStoreOptions) {
    super(options)
    const store = readStoreOptions(options)
    this.#shared = store === undefined ? undefined : new SharedRenewal(store.store, store.policy)
    this.#storeKey = store?.key
    this.#placement = checkOneOf('tokenPlacement', options.tokenPlacement, TOKEN_PLACEMENTS, 'header')
    this.#updateToken = checkFunction<UpdateToken>('updateToken', options.updateToken)
    if (options.leeway !== undefined && (typeof options.leeway !== 'number' || !(options.leeway >= 0))) {
      throw optionError('leeway', 'a non-negative number of seconds', options.leeway)
    }
    this.#leeway = options.leeway ?? 60
    const dpopKey = readDpopOption(options.dpop)
    // RFC 9449 §7.1: a DPoP-bound token travels in the Authorization header only.
    if (dpopKey !== undefined && this.#placement !== 'header') {
      throw optionError('tokenPlacement', "'header' with the `dpop` option (RFC 9449 §7.1)", this.#placement)
    }
    this.#dpop = dpopKey === undefined ? undefined : new DpopSession(dpopKey, this.describeClient)
    if (options.token !== undefined) this.token = options.token
  }

  /** The key this client shares its token under in its TokenStore; undefined without one. @see docs/fleet.md#running-a-fleet */
  get storeKey(): string | undefined {
    if (this.#shared === undefined) return undefined
    return this.#storeKey ?? this.defaultStoreKey()
  }

  /** The key derived from what identifies this client's grant (store-key.ts), when `storeKey` is not given. */
  protected abstract defaultStoreKey(): string

  /** The token in use (undefined before one is fetched or set). @see https://www.rfc-editor.org/rfc/rfc6749#section-5.1 */
  get token(): OAuth2Token | undefined {
    return this.#token
  }

  /** Sets the token (copied; expires_at computed from expires_in when absent). @see https://www.rfc-editor.org/rfc/rfc6749#section-5.1 */
  set token(value: OAuth2Token | undefined) {
    if (value === undefined) {
      this.#token = undefined
      this.#renewAt = Number.NEGATIVE_INFINITY
      return
    }
    if (value === null || typeof value !== 'object')
      throw optionError('token', 'an OAuth2Token object', value)
    const expiresAt = Number(value.expires_at)
    if (expiresAt > MAX_EPOCH_SECONDS) {
      throw new InvalidOptionError(
        `token.expires_at must be in seconds since the epoch, got ${expiresAt}, which looks like milliseconds: divide it by 1000`,
      )
    }
    this.storeToken(
      toToken(
        value,
        Date.now() / 1000,
        reason => {
          throw new InvalidOptionError(`token: ${reason}`)
        },
        this.acceptedTokenTypes,
      ),
    )
  }

  /** RFC 9449 §5: DPoP-bound tokens are usable only with the `dpop` option. */
  protected get acceptedTokenTypes(): AcceptedTokenTypes {
    return this.#dpop === undefined ? 'bearer' : 'bearer or dpop'
  }

  /**
   * The RFC 7638 thumbprint of the `dpop` key (the `jkt` a DPoP-bound token's `cnf` names, RFC
   * 9449 §6.1); undefined without the option.
   * @see docs/dpop.md
   */
  get dpopThumbprint(): string | undefined {
    return this.#dpop?.thumbprint
  }

  /** The client's DPoP state for its token-endpoint calls (RFC 9449 §5); undefined without `dpop`. */
  protected get dpop(): DpopSession | undefined {
    return this.#dpop
  }

  /**
   * True when there is no token or it is due for renewal by this client's own rule (`leeway`
   * seconds before expiry, at most half its lifetime early): the moment the next request renews it.
   * @see https://www.rfc-editor.org/rfc/rfc6749#section-6
   */
  get tokenExpired(): boolean {
    return Date.now() >= this.#renewAt
  }

  protected storeToken(token: OAuth2Token): void {
    this.#token = token
    this.#renewAt = renewalTime(token, this.#leeway)
    const bound = this.#dpop !== undefined && isDpopBound(token)
    this.#ath = bound ? accessTokenHash(token.access_token) : undefined
    this.#authorization = bound ? `DPoP ${token.access_token}` : bearerAuthorization(token.access_token)
  }

  /**
   * Awaits the user's updateToken, so a persisted token is never older than the one in use. Its
   * context names what the token replaced: the refresh token a refresh used, else the access token
   * in use before (`replaced`).
   */
  protected async announceToken(
    obtained: ObtainedToken,
    replaced: OAuth2Token | undefined,
    source: TokenSource = 'endpoint',
  ): Promise<OAuth2Token> {
    const { token, refreshToken } = obtained
    await this.#updateToken?.(
      token,
      refreshToken !== undefined
        ? { refreshToken, source }
        : replaced === undefined
          ? { source }
          : { accessToken: replaced.access_token, source },
    )
    return token
  }

  /** Whether obtain() has any means to get a new token. */
  protected abstract canRenew(): boolean

  /**
   * Gets and stores a new token for an automatic renewal (a refresh or a new grant); runs inside
   * the queue, one at a time, and the renewal then announces it. `current` is the token in use
   * (undefined when there is none yet); `trigger` says why, for the token call's diagnostics.
   */
  protected abstract obtain(
    current: OAuth2Token | undefined,
    deadline: AbortSignal,
    notAfter: number,
    trigger: RenewalTrigger,
  ): Promise<ObtainedToken>

  /**
   * The current token, renewed first (shared with every concurrent caller) when it is about to expire.
   * @see https://www.rfc-editor.org/rfc/rfc6749#section-6
   */
  ensureActiveToken(signal?: AbortSignal): Promise<OAuth2Token> {
    if (this.closed) return Promise.reject(new ClientClosedError())
    return this.#activeToken(signal)
  }

  /** ensureActiveToken for requests already under way: close() lets them finish. */
  #activeToken(signal?: AbortSignal): Promise<OAuth2Token> {
    const token = this.#token
    if (token !== undefined && Date.now() < this.#renewAt) return Promise.resolve(token)
    return this.#renewShared(token?.access_token, signal, 'due')
  }

  /** Runs an explicit renewal of its own through the queue, after any renewal in progress. */
  protected renewExclusive(renewal: Renewal<OAuth2Token>, signal?: AbortSignal): Promise<OAuth2Token> {
    if (this.closed) return Promise.reject(new ClientClosedError())
    return this.#renewals.exclusive(renewal, signal)
  }

  /**
   * Joins or starts the shared renewal of the token whose access token was `stale`. Inside the
   * queue it re-checks first: if another renewal already replaced that token, it does nothing.
   */
  #renewShared(
    stale: string | undefined,
    signal: AbortSignal | undefined,
    trigger: RenewalTrigger,
  ): Promise<OAuth2Token> {
    return this.#renewals.shared((deadline, notAfter) => {
      const current = this.#token
      if (current !== undefined && current.access_token !== stale && Date.now() < this.#renewAt) {
        return Promise.resolve(current)
      }
      if (this.#shared !== undefined) {
        return this.#renewThroughStore(this.#shared, stale, deadline, notAfter, trigger)
      }
      if (!this.canRenew()) return Promise.reject(this.#cannotRenew())
      return this.obtain(current, deadline, notAfter, trigger).then(obtained =>
        this.announceToken(obtained, current),
      )
    }, signal)
  }

  #cannotRenew(): Error {
    return this.#token === undefined ? new MissingTokenError() : new TokenExpiredError()
  }

  /**
   * The shared renewal (lib/store/shared-renewal.ts) for the token whose access token was `stale`:
   * adopts a token another client saved, or renews under the store's lock. The lock lives at least
   * as long as the renewal deadline (the session timeout).
   */
  async #renewThroughStore(
    shared: SharedRenewal,
    stale: string | undefined,
    deadline: AbortSignal,
    notAfter: number,
    trigger: RenewalTrigger,
  ): Promise<OAuth2Token> {
    const replaced = this.#token
    let refreshToken: string | undefined
    const site: RenewalSite = {
      current: () => this.#token,
      adoptable: token => token.access_token !== stale && Date.now() < renewalTime(token, this.#leeway),
      install: token => this.storeToken(token),
      canRenew: () => this.canRenew(),
      obtain: async () => {
        const obtained = await this.obtain(this.#token, deadline, notAfter, trigger)
        refreshToken = obtained.refreshToken
        return obtained.token
      },
      cannotRenew: () => this.#cannotRenew(),
      client: this.describeClient,
    }
    const { token, source } = await shared.renew(site, this.storeKey!, this.timeout, deadline, notAfter)
    if (source === 'store') {
      this.storeToken(token)
      return this.announceToken({ token }, replaced, 'store')
    }
    return this.announceToken({ token, ...(refreshToken === undefined ? {} : { refreshToken }) }, replaced)
  }

  /** Puts the access token where `tokenPlacement` says (RFC 6750 §2.1-2.3). */
  protected override authorize(request: PreparedRequest): void | Promise<void> {
    const token = this.#token
    // The fast path: a fresh token is placed synchronously, with no promise at all. A waiting
    // request is abandoned by the session itself at its deadline; the shared renewal goes on.
    if (token !== undefined && Date.now() < this.#renewAt) return this.#place(request, token)
    return this.#activeToken().then(fresh => this.#place(request, fresh))
  }

  #place(request: PreparedRequest, token: OAuth2Token): void | Promise<void> {
    // The header placement is one assignment of the value built when the token was stored.
    if (this.#placement === 'header') request.headers.authorization = this.#authorization
    else if (this.#placement === 'uri') placeInQuery(request, token.access_token)
    else placeInForm(request, token.access_token)
    const ath = this.#ath
    if (ath === undefined) return this.afterPlacement(request)
    // RFC 9449 §7.1: the proof signs the request as sent, so after any hook that rewrites it.
    const dpop = this.#dpop!
    const after = this.afterPlacement(request)
    if (after === undefined) return dpop.proveResource(request, ath)
    return after.then(() => dpop.proveResource(request, ath))
  }

  /** A last look at a request after the token is placed (OAuth2Client's protected_request hook). */
  protected afterPlacement(_request: PreparedRequest): void | Promise<void> {}

  /**
   * RFC 6750 §3.1: a Bearer `invalid_token` challenge (a DPoP one for a DPoP-bound token, RFC 9449
   * §7.1) gets one shared renewal and one retry.
   */
  protected override async onUnauthorized(
    request: PreparedRequest,
    response: ResponseData,
    signal: AbortSignal,
  ): Promise<boolean> {
    const scheme = this.#ath === undefined ? 'bearer' : 'dpop'
    if (!isInvalidTokenChallenge(response.headers['www-authenticate'], scheme) || !this.canRenew())
      return false
    const used = accessTokenIn(request, this.#placement)
    if (used === undefined) return false
    const started = performance.now()
    await this.#renewShared(used, signal, 'unauthorized')
    publishUnauthorizedRetry(this.describeClient, request, performance.now() - started)
    return true
  }

  /** Token values never to show in an error excerpt; subclasses add their own secrets. */
  protected secrets(): (string | undefined)[] {
    return [this.#token?.access_token, this.#token?.refresh_token]
  }

  protected override describe(): Record<string, unknown> {
    const token = this.#token
    return {
      ...super.describe(),
      tokenPlacement: this.#placement,
      token:
        token === undefined
          ? undefined
          : {
              access_token: '[redacted]',
              token_type: token.token_type,
              expires_at: token.expires_at,
              scope: token.scope,
              refresh_token: token.refresh_token === undefined ? undefined : '[redacted]',
            },
    }
  }
}
