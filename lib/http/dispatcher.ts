/** The undici dispatcher a session sends on: its own Agent, a proxy agent, or one it was given. */

import { Agent, type Dispatcher, EnvHttpProxyAgent, ProxyAgent } from 'undici'
import { InvalidOptionError } from '../errors.js'
import {
  checkNonNegativeInteger,
  checkPositiveInteger,
  checkPositiveNumber,
  checkUrl,
  optionError,
} from './options.js'
import { readTlsOptions, type TlsOptions } from './tls.js'

/** The options that choose and tune the dispatcher (SessionOptions has their documentation). */
export interface DispatcherOptions {
  connectTimeout?: number
  connections?: number
  pipelining?: number
  keepAliveTimeout?: number
  proxy?: string | URL | 'env'
  dispatcher?: Dispatcher
  tls?: TlsOptions
}

const DEFAULT_CONNECT_TIMEOUT = 10_000
const DEFAULT_CONNECTIONS = 64

export interface SessionDispatcher {
  /** What requests are sent on. */
  base: Dispatcher
  /** The dispatcher the session made and so closes; undefined for one it was given. */
  owned: Dispatcher | undefined
  /**
   * Whether a proxy relays the session's http:// requests: http:// to a loopback host then travels
   * in clear to the proxy, so it is not secure transport (only https:// is).
   */
  proxied: boolean
}

export function createDispatcher(options: DispatcherOptions): SessionDispatcher {
  if (options.dispatcher !== undefined) {
    if (typeof options.dispatcher?.dispatch !== 'function') {
      throw optionError('dispatcher', 'an undici Dispatcher', options.dispatcher)
    }
    if (options.proxy !== undefined)
      throw new InvalidOptionError('options `dispatcher` and `proxy` exclude each other')
    // A dispatcher given is used as it is: its own connect options say what its sockets present.
    if (options.tls !== undefined)
      throw new InvalidOptionError('options `dispatcher` and `tls` exclude each other')
    return { base: options.dispatcher, owned: undefined, proxied: false }
  }
  const keepAliveTimeout =
    options.keepAliveTimeout === undefined
      ? undefined
      : checkPositiveNumber('keepAliveTimeout', options.keepAliveTimeout, 0)
  const connect = {
    timeout: checkPositiveNumber('connectTimeout', options.connectTimeout, DEFAULT_CONNECT_TIMEOUT),
    ...readTlsOptions(options.tls),
  }
  const agentOptions: Agent.Options = {
    connections: checkPositiveInteger('connections', options.connections, DEFAULT_CONNECTIONS),
    pipelining: checkNonNegativeInteger('pipelining', options.pipelining, 1),
    connect,
    ...(keepAliveTimeout === undefined ? {} : { keepAliveTimeout }),
  }
  if (options.proxy === undefined) {
    const agent = new Agent(agentOptions)
    return { base: agent, owned: agent, proxied: false }
  }
  // A proxy agent opens the TLS session to the origin inside its tunnel with `requestTls` (its
  // `connect` is the tunnel itself): the client certificate is for the origin (RFC 8705 §2); a
  // TLS connection to the proxy itself is left as it is.
  const proxyOptions = { ...agentOptions, requestTls: connect }
  let owned: Dispatcher
  if (options.proxy === 'env') owned = new EnvHttpProxyAgent(proxyOptions)
  else owned = new ProxyAgent({ ...proxyOptions, uri: checkUrl('proxy', options.proxy)!.href })
  // EnvHttpProxyAgent relays http:// requests only when HTTP_PROXY (or http_proxy) is set.
  const proxied = options.proxy === 'env' ? Boolean(process.env.http_proxy || process.env.HTTP_PROXY) : true
  return { base: owned, owned, proxied }
}
