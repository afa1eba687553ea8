/** The options that put a token session on a shared TokenStore, and their checks. */
import { checkOneOf, type OptionNames, optionError } from '../http/options.js'
import type { TokenStore } from './token-store.js'

/** What a renewal does when the store fails: renew alone ('local') or reject ('fail'). */
export type StoreErrorPolicy = 'local' | 'fail'

/** The options that put a client's token in a shared TokenStore (a fleet of processes, one renewal). */
export interface TokenStoreOptions {
  /** Shares the token and its renewal with every client on the same store and key. */
  tokenStore?: TokenStore
  /** The key in the store; default derived from the grant (docs/fleet.md). */
  storeKey?: string
  /** Default 'local': renew with this process's own single flight, warning once per outage. */
  onStoreError?: StoreErrorPolicy
}

export const TOKEN_STORE_OPTIONS: OptionNames<TokenStoreOptions> = {
  tokenStore: true,
  storeKey: true,
  onStoreError: true,
}

/** The store options, checked; undefined without a store. */
export interface StoreSettings {
  store: TokenStore
  /** The `storeKey` option, when given. */
  key: string | undefined
  policy: StoreErrorPolicy
}

const STORE_METHODS = ['get', 'lock', 'save', 'release'] as const

export function readStoreOptions(options: TokenStoreOptions): StoreSettings | undefined {
  const { tokenStore, storeKey, onStoreError } = options
  if (tokenStore === undefined) {
    if (storeKey !== undefined || onStoreError !== undefined) {
      throw optionError(
        'tokenStore',
        `set with ${storeKey !== undefined ? 'storeKey' : 'onStoreError'}`,
        undefined,
      )
    }
    return undefined
  }
  if (
    tokenStore === null ||
    typeof tokenStore !== 'object' ||
    STORE_METHODS.some(name => typeof tokenStore[name] !== 'function')
  ) {
    throw optionError('tokenStore', 'a TokenStore (get, lock, save and release methods)', tokenStore)
  }
  if (storeKey !== undefined && (typeof storeKey !== 'string' || storeKey === '')) {
    throw optionError('storeKey', 'a non-empty string', storeKey)
  }
  return {
    store: tokenStore,
    key: storeKey,
    policy: checkOneOf<StoreErrorPolicy>('onStoreError', onStoreError, ['local', 'fail'], 'local'),
  }
}
