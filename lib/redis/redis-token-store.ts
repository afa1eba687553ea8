/**
 * A TokenStore on Redis (docs/fleet.md): the lock is `SET NX PX` with a random owner;
 * the fenced save and the release are Lua scripts, so comparing the owner and writing (or
 * deleting) is one atomic step on the server.
 */

import type { KeyObject } from 'node:crypto'
import { randomUUID } from 'node:crypto'
import { checkString, optionError } from '../http/options.js'
import type { OAuth2Token } from '../oauth2/token.js'
import type { TokenStore } from '../store/token-store.js'
import { commandSender, type RedisClientLike, type SendCommand } from './redis-client.js'
import { type TokenCodec, tokenCodec } from './token-codec.js'

/** The options of a `RedisTokenStore`. */
export interface RedisTokenStoreOptions {
  /** Prefix of every key this store writes; default 'undici-oauth:'. */
  prefix?: string
  /** 32 bytes: tokens are stored as JWE (`dir` + `A256GCM`). Without it they are plaintext JSON. */
  encryptionKey?: Uint8Array | KeyObject
}

/**
 * KEYS[1] the lock, KEYS[2] the token; ARGV owner, value, and the value's TTL in ms ('0': none).
 * Writes and frees the lock only while ARGV[1] holds it: a holder whose lock expired cannot
 * overwrite the token a later holder saved.
 */
const SAVE_SCRIPT = `if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[3] == '0' then redis.call('SET', KEYS[2], ARGV[2]) else redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3]) end
redis.call('DEL', KEYS[1])
return 1`

/** KEYS[1] the lock; deletes it only when ARGV[1] holds it. */
const RELEASE_SCRIPT = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`

/**
 * How long a saved token is kept: until its access token expires, unless it carries a refresh
 * token, which outlives it (for an unknown time): then it stays until deleted, so a process that
 * starts later still finds the latest rotated refresh token.
 */
function valueTtl(token: OAuth2Token): number {
  if (token.refresh_token !== undefined || token.expires_at === undefined) return 0
  return Math.max(1, Math.ceil(token.expires_at * 1000 - Date.now()))
}

/**
 * A TokenStore on Redis (ioredis or node-redis v4+) for a fleet of processes: the clients of one
 * grant share its token and renew it once between them, under a lock; with `encryptionKey` the
 * stored tokens are JWE, not plaintext JSON.
 * @example
 * ```ts
 * import { Redis } from 'ioredis'
 * import { OAuth2Client } from 'undici-oauth'
 * import { RedisTokenStore } from 'undici-oauth/redis'
 *
 * const redis = new Redis(process.env.REDIS_URL!)
 * redis.on('error', err => console.error('redis', err.message))
 * const client = new OAuth2Client({
 *   clientId,
 *   clientSecret,
 *   tokenEndpoint,
 *   grantType: 'client_credentials',
 *   tokenStore: new RedisTokenStore(redis, { encryptionKey }), // encryptionKey: 32 random bytes
 * })
 * ```
 */
export class RedisTokenStore implements TokenStore {
  readonly #send: SendCommand
  readonly #prefix: string
  readonly #codec: TokenCodec

  /** `client`: a connected ioredis or node-redis client, which stays yours (this store never closes it). */
  constructor(client: RedisClientLike, options: RedisTokenStoreOptions = {}) {
    this.#send = commandSender(client)
    if (options === null || typeof options !== 'object') throw optionError('options', 'an object', options)
    this.#prefix = checkString('prefix', options.prefix) ?? 'undici-oauth:'
    this.#codec = tokenCodec(options.encryptionKey)
  }

  /**
   * The Redis key of a token; its lock is this plus ':lock'. The braces are a Cluster hash tag,
   * so both land in one slot, as a script's keys must.
   */
  tokenKey(key: string): string {
    return `${this.#prefix}{${key}}`
  }

  async get(key: string): Promise<OAuth2Token | undefined> {
    const value = await this.#send(['GET', this.tokenKey(key)])
    if (value === null || value === undefined) return undefined
    return this.#codec.decode(String(value), key)
  }

  async lock(key: string, ttlMs: number): Promise<string | undefined> {
    const owner = randomUUID()
    const reply = await this.#send(['SET', this.#lockKey(key), owner, 'NX', 'PX', String(Math.ceil(ttlMs))])
    return reply === 'OK' ? owner : undefined
  }

  async save(key: string, token: OAuth2Token, owner: string): Promise<boolean> {
    const value = await this.#codec.encode(token, key)
    const reply = await this.#send([
      'EVAL',
      SAVE_SCRIPT,
      '2',
      this.#lockKey(key),
      this.tokenKey(key),
      owner,
      value,
      String(valueTtl(token)),
    ])
    return Number(reply) === 1
  }

  async release(key: string, owner: string): Promise<void> {
    await this.#send(['EVAL', RELEASE_SCRIPT, '1', this.#lockKey(key), owner])
  }

  #lockKey(key: string): string {
    return `${this.tokenKey(key)}:lock`
  }
}
