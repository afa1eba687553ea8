/**
 * The shared token store of a fleet: what the token sessions need to renew one grant once across
 * processes (docs/design.md "Token renewal"), and an in-memory store for clients of one process.
 */
import { randomUUID } from 'node:crypto'
import type { OAuth2Token } from '../oauth2-token.js'

/**
 * Where the clients of a fleet share one token per key, with a lock so that one of them renews it.
 * The token sessions call it only inside their renewal queue, never for a request whose token is
 * fresh. Every method may reject (the store is unreachable); the session applies its
 * `onStoreError` policy then.
 */
export interface TokenStore {
  /** The token last saved under `key`, or undefined when there is none. Never a partial or garbled one. */
  get(key: string): Promise<OAuth2Token | undefined>
  /**
   * Takes the renewal lock of `key` for `ttlMs` unless another owner holds it: resolves with a new,
   * unguessable owner id, or undefined when the lock is taken. A lock whose TTL passed is free, so
   * a holder that died lets another take over.
   */
  lock(key: string, ttlMs: number): Promise<string | undefined>
  /**
   * Fenced save: stores `token` under `key` and frees the lock, in one atomic step, only while
   * `owner` still holds the lock. Resolves false (and changes nothing) when the lock expired or
   * another owner took it, so a holder that stalled past its TTL never overwrites a newer token.
   */
  save(key: string, token: OAuth2Token, owner: string): Promise<boolean>
  /** Frees the lock of `key` if `owner` holds it; does nothing otherwise. */
  release(key: string, owner: string): Promise<void>
}

interface Lock {
  owner: string
  /** Epoch ms. */
  expiresAt: number
}

/**
 * A TokenStore for the clients of one process (several clients of one grant then make one token
 * call between them). Tokens are kept as JSON copies, so no client shares an object with another.
 * @example
 * ```ts
 * const store = new MemoryTokenStore()
 * // two clients of one grant in one process: one token call between them, one renewal at expiry
 * const options = { clientId, clientSecret, tokenEndpoint, grantType: 'client_credentials', tokenStore: store } as const
 * await using reports = new OAuth2Client(options)
 * await using billing = new OAuth2Client(options)
 * await Promise.all([reports.get('https://api.example.com/reports'), billing.get('https://api.example.com/invoices')])
 * ```
 */
export class MemoryTokenStore implements TokenStore {
  readonly #tokens = new Map<string, string>()
  readonly #locks = new Map<string, Lock>()

  async get(key: string): Promise<OAuth2Token | undefined> {
    const saved = this.#tokens.get(key)
    return saved === undefined ? undefined : (JSON.parse(saved) as OAuth2Token)
  }

  async lock(key: string, ttlMs: number): Promise<string | undefined> {
    if (this.#holder(key) !== undefined) return undefined
    const owner = randomUUID()
    this.#locks.set(key, { owner, expiresAt: Date.now() + ttlMs })
    return owner
  }

  async save(key: string, token: OAuth2Token, owner: string): Promise<boolean> {
    if (this.#holder(key) !== owner) return false
    this.#tokens.set(key, JSON.stringify(token))
    this.#locks.delete(key)
    return true
  }

  async release(key: string, owner: string): Promise<void> {
    if (this.#holder(key) === owner) this.#locks.delete(key)
  }

  /** The owner of the lock of `key` while its TTL lasts. */
  #holder(key: string): string | undefined {
    const lock = this.#locks.get(key)
    if (lock === undefined) return undefined
    if (Date.now() < lock.expiresAt) return lock.owner
    this.#locks.delete(key)
    return undefined
  }
}
