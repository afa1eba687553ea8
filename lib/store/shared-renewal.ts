/**
 * Renewal with a shared TokenStore (docs/fleet.md): run by a token session inside its
 * renewal queue, so within a process it is already single-flight; the store's lock makes it
 * single-flight across processes. Read the store; adopt a newer token another process saved;
 * else lock, read again, renew, fenced save. A process that finds the lock taken polls the store
 * with a bounded backoff until the holder's token appears or the lock frees.
 */
import { performance } from 'node:perf_hooks'
import type { StoreAdoptMessage } from '../diagnostics/channels.js'
import { type DescribeClient, publishStoreAdopt, publishStoreLockWait } from '../diagnostics/publish.js'
import { OAuthError, TokenStoreError } from '../errors.js'
import type { OAuth2Token } from '../oauth2-token.js'
import type { StoreErrorPolicy } from './store-options.js'
import type { TokenStore } from './token-store.js'

/** The stable code of the warning a store outage gives under `onStoreError: 'local'`. */
export const STORE_UNAVAILABLE_WARNING = 'UNDICI_OAUTH_TOKEN_STORE_UNAVAILABLE'

/** First wait of a process that finds the lock taken, doubled up to POLL_MAX_MS. */
const POLL_FIRST_MS = 5
/** Short enough that waiters see the holder's token within tens of milliseconds. */
const POLL_MAX_MS = 25
/** How often a waiter tries the lock again, for a holder whose renewal failed and released it. */
const LOCK_RETRY_MS = 100
/**
 * The least time a store call after the token call gets: that call is spent, so its fenced save
 * (and, when refused, the read of the newer token) runs even when the renewal deadline has passed
 * meanwhile (a holder stopped past its TTL resumes after it).
 */
const AFTER_TOKEN_CALL_MS = 1000

/** What the renewal needs of the session it renews for. */
export interface RenewalSite {
  /** The session's token now. */
  current(): OAuth2Token | undefined
  /** A token the session may use instead of renewing: fresh by its rule, and not the stale one. */
  adoptable(token: OAuth2Token): boolean
  /** Makes a stored token that is itself due the session's token, so the renewal starts from it. */
  install(token: OAuth2Token): void
  canRenew(): boolean
  /** The token call, from the session's token as it is now; the new token is in use when it resolves. */
  obtain(): Promise<OAuth2Token>
  /** The error when the session has no means to renew. */
  cannotRenew(): Error
  /** The session, as its diagnostics events name it (docs/observability.md). */
  client: DescribeClient
}

/** Where the renewed token came from: a token call of this process, or another's save. */
export interface Renewed {
  token: OAuth2Token
  source: 'endpoint' | 'store'
}

/** Stores in an outage that was already announced: one warning per store per outage. */
const inOutage = new WeakSet<TokenStore>()

export class SharedRenewal {
  readonly #store: TokenStore
  readonly #policy: StoreErrorPolicy

  constructor(store: TokenStore, policy: StoreErrorPolicy) {
    this.#store = store
    this.#policy = policy
  }

  /**
   * Renews through the store under `key`. `lockTtl` is at least the renewal deadline, so a live
   * holder keeps the lock until its deadline has passed; every store call is bounded by the
   * deadline (`signal`, `notAfter`), so an unresponsive store cannot hold the renewal.
   */
  async renew(
    site: RenewalSite,
    key: string,
    lockTtl: number,
    signal: AbortSignal,
    notAfter: number,
  ): Promise<Renewed> {
    const call = <T>(operation: () => Promise<T>) => this.#bounded(operation, signal, notAfter)
    let owner: string | undefined
    let stored: OAuth2Token | undefined
    try {
      stored = await call(() => this.#store.get(key))
      if (stored !== undefined && site.adoptable(stored)) return adopted(site, stored, 'before-lock')
      if (!site.canRenew() && !(stored !== undefined && isNewer(stored, site.current()))) {
        throw site.cannotRenew()
      }
      owner = await call(() => this.#store.lock(key, lockTtl))
      if (owner === undefined) {
        const waited = await this.#wait(site, key, lockTtl, call, signal)
        if ('token' in waited) return adopted(site, waited.token, 'lock-wait')
        owner = waited.owner
      }
      // Someone may have saved between our read and our lock.
      stored = await call(() => this.#store.get(key))
    } catch (err) {
      if (owner !== undefined) this.#releaseQuietly(key, owner)
      if (!isStoreFailure(err, signal)) throw err
      return this.#alone(site, err)
    }
    if (stored !== undefined && site.adoptable(stored)) {
      this.#releaseQuietly(key, owner)
      return adopted(site, stored, 'after-lock')
    }
    // Renew from the newest refresh token in the fleet: another process may have rotated ours.
    if (stored !== undefined && isNewer(stored, site.current())) site.install(stored)
    if (!site.canRenew()) {
      this.#releaseQuietly(key, owner)
      throw site.cannotRenew()
    }
    let token: OAuth2Token
    try {
      token = await site.obtain()
    } catch (err) {
      this.#releaseQuietly(key, owner)
      throw err
    }
    const settle = <T>(operation: () => Promise<T>) =>
      this.#bounded(operation, undefined, Math.max(notAfter, Date.now() + 2 * AFTER_TOKEN_CALL_MS))
    return this.#share(token, key, owner, settle, site)
  }

  /**
   * The fenced save of a token this process obtained. When the lock was lost meanwhile, the token
   * another holder saved since is the newer one and is adopted in place of ours. A store failure
   * here keeps our token under either policy: the token call is spent. `call` is not bound to the
   * renewal deadline (see AFTER_TOKEN_CALL_MS).
   */
  async #share(
    token: OAuth2Token,
    key: string,
    owner: string,
    call: <T>(operation: () => Promise<T>) => Promise<T>,
    site: RenewalSite,
  ): Promise<Renewed> {
    try {
      if (await call(() => this.#store.save(key, token, owner))) return { token, source: 'endpoint' }
    } catch (err) {
      this.#warn(err)
    }
    // Refused, or not confirmed in time: our lock may have expired and another holder taken over;
    // its token, once saved, wins over ours.
    try {
      const newer = await call(() => this.#store.get(key))
      if (newer !== undefined && newer.access_token !== token.access_token && site.adoptable(newer)) {
        return adopted(site, newer, 'save-refused')
      }
    } catch (err) {
      this.#warn(err)
    }
    return { token, source: 'endpoint' }
  }

  /**
   * Polls until the holder's token appears (adopted) or the lock is ours (the holder failed, or
   * died and its TTL passed). Bounded by the renewal deadline: `signal` ends the wait. How long
   * it waited, and how it ended, is published (docs/observability.md).
   */
  async #wait(
    site: RenewalSite,
    key: string,
    lockTtl: number,
    call: <T>(operation: () => Promise<T>) => Promise<T>,
    signal: AbortSignal,
  ): Promise<{ token: OAuth2Token } | { owner: string }> {
    const started = performance.now()
    let polls = 0
    let outcome: 'adopted' | 'locked' | 'failed' = 'failed'
    let delay = POLL_FIRST_MS
    let lockTried = Date.now()
    try {
      for (;;) {
        await sleep(delay, signal)
        delay = Math.min(delay * 2, POLL_MAX_MS)
        polls++
        const stored = await call(() => this.#store.get(key))
        if (stored !== undefined && site.adoptable(stored)) {
          outcome = 'adopted'
          return { token: stored }
        }
        if (Date.now() - lockTried >= LOCK_RETRY_MS) {
          lockTried = Date.now()
          const owner = await call(() => this.#store.lock(key, lockTtl))
          if (owner !== undefined) {
            outcome = 'locked'
            return { owner }
          }
        }
      }
    } finally {
      publishStoreLockWait(site.client, outcome, polls, performance.now() - started)
    }
  }

  /** The store failed before any token call: the policy decides. */
  async #alone(site: RenewalSite, err: unknown): Promise<Renewed> {
    if (this.#policy === 'fail') {
      throw new TokenStoreError(
        `token store unavailable, renewal refused (onStoreError 'fail'): ${reason(err)}`,
        {
          cause: err,
        },
      )
    }
    this.#warn(err)
    if (!site.canRenew()) throw site.cannotRenew()
    return { token: await site.obtain(), source: 'endpoint' }
  }

  #warn(err: unknown): void {
    if (inOutage.has(this.#store)) return
    inOutage.add(this.#store)
    process.emitWarning(
      `token store unavailable (${reason(err)}): renewing with this process's own single flight until it answers again`,
      { code: STORE_UNAVAILABLE_WARNING },
    )
  }

  /**
   * A store call, bounded by half the time left to the deadline, so a fallback still has the rest
   * (and the bound always passes before the deadline does).
   */
  #bounded<T>(operation: () => Promise<T>, signal: AbortSignal | undefined, notAfter: number): Promise<T> {
    if (signal?.aborted) return Promise.reject(signal.reason)
    const ms = Math.max(0, (notAfter - Date.now()) / 2)
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`the token store did not answer within ${Math.round(ms)} ms`)),
        ms,
      )
      operation().then(
        value => {
          clearTimeout(timer)
          inOutage.delete(this.#store)
          resolve(value)
        },
        (err: unknown) => {
          clearTimeout(timer)
          reject(err)
        },
      )
    })
  }

  /** Frees the lock without waiting for it: the renewal's outcome does not depend on it, and a lost release only costs the TTL. */
  #releaseQuietly(key: string, owner: string): void {
    this.#store.release(key, owner).catch(() => {})
  }
}

/** A token another client saved, taken in place of a token call (published at its `stage`). */
function adopted(site: RenewalSite, token: OAuth2Token, stage: StoreAdoptMessage['stage']): Renewed {
  publishStoreAdopt(site.client, stage)
  return { token, source: 'store' }
}

/**
 * A failure of the store rather than of the renewal: anything but the renewal's own deadline or an
 * OAuthError. A TokenStoreError is one: a store raises it for a value it cannot read (a wrong
 * key), which no policy covers, so it is reported as it is.
 */
function isStoreFailure(err: unknown, signal: AbortSignal): boolean {
  return !(err instanceof OAuthError) && !(signal.aborted && err === signal.reason)
}

/** The store error's message, which names the failure and holds no token (stores never put values in errors). */
function reason(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

/** Whether `stored` is at least as recent as `current`: it expires no earlier. */
function isNewer(stored: OAuth2Token, current: OAuth2Token | undefined): boolean {
  if (current === undefined) return true
  return (stored.expires_at ?? Number.POSITIVE_INFINITY) >= (current.expires_at ?? Number.POSITIVE_INFINITY)
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(signal.reason)
  return new Promise((resolve, reject) => {
    const aborted = () => {
      clearTimeout(timer)
      reject(signal.reason)
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', aborted)
      resolve()
    }, ms)
    signal.addEventListener('abort', aborted, { once: true })
  })
}
