/** The options every session takes (RFC 9110 transport settings); the OAuth clients add theirs. */
import type { Dispatcher } from 'undici'
import { type HeaderRecord, mergeHeaders } from './headers.js'
import {
  checkKnownKeys,
  checkNonNegativeInteger,
  checkPositiveNumber,
  checkUrl,
  type OptionNames,
  optionError,
} from './options.js'
import type { TlsOptions } from './tls.js'

/** The options of a `Session`, which every client also takes. */
export interface SessionOptions {
  /** Relative request URLs resolve against it. @see https://www.rfc-editor.org/rfc/rfc3986#section-5.2 */
  baseUrl?: string | URL
  /** Default headers for every request. @see https://www.rfc-editor.org/rfc/rfc9110#section-6.3 */
  headers?: Record<string, string>
  /** Whole-request deadline in ms, body included (default 30 000). @see docs/sessions.md#sessions */
  timeout?: number
  /** Connect deadline in ms (default 10 000). @see docs/sessions.md#sessions */
  connectTimeout?: number
  /** Maximum sockets per origin (default 64). @see https://www.rfc-editor.org/rfc/rfc9112#section-9.4 */
  connections?: number
  /** Requests per socket in flight (default 1). @see https://www.rfc-editor.org/rfc/rfc9112#section-9.3.2 */
  pipelining?: number
  /** Idle keep-alive socket lifetime in ms (undici's default when absent). @see https://www.rfc-editor.org/rfc/rfc9112#section-9.3 */
  keepAliveTimeout?: number
  /**
   * Redirects `request` follows (default 0). A hop to another origin never carries credentials.
   * @see https://www.rfc-editor.org/rfc/rfc9110#section-15.4
   */
  maxRedirections?: number
  /** A proxy URL, or 'env' for HTTP_PROXY / HTTPS_PROXY / NO_PROXY. @see https://www.rfc-editor.org/rfc/rfc9110#section-3.7 */
  proxy?: string | URL | 'env'
  /** Bring your own undici dispatcher; the session wraps it and never closes it. @see docs/sessions.md#sessions */
  dispatcher?: Dispatcher
  /**
   * A client certificate every pooled socket presents (RFC 8705 mutual TLS), proxied ones included,
   * and the CAs to trust; loaded at construction. Not with `dispatcher`, which has its own.
   * @see https://www.rfc-editor.org/rfc/rfc8705#section-2
   */
  tls?: TlsOptions
  /** Allow credentials over http:// to hosts that are not loopback (default false). @see https://www.rfc-editor.org/rfc/rfc6749#section-10.3 */
  allowInsecureTransport?: boolean
  /**
   * Retries of a token-endpoint call that failed transiently (429, 502, 503, 504, or a connection
   * that died before answering), with backoff inside the call's deadline (default 2; 0 disables).
   * @see https://www.rfc-editor.org/rfc/rfc9110#section-10.2.3
   */
  tokenRetries?: number
}

/** The names SessionOptions has; a name outside its class's list is refused at construction. */
export const SESSION_OPTIONS: OptionNames<SessionOptions> = {
  baseUrl: true,
  headers: true,
  timeout: true,
  connectTimeout: true,
  connections: true,
  pipelining: true,
  keepAliveTimeout: true,
  maxRedirections: true,
  proxy: true,
  dispatcher: true,
  tls: true,
  allowInsecureTransport: true,
  tokenRetries: true,
}

const DEFAULT_TIMEOUT = 30_000

/** The session's own settings, checked; the dispatcher's are read by createDispatcher. */
export interface SessionSettings {
  baseUrl: URL | undefined
  headers: HeaderRecord
  timeout: number
  maxRedirections: number
  tokenRetries: number
  allowInsecureTransport: boolean
}

/** Checks a session's options: `optionNames` are the ones `className` accepts (a typo is refused). */
export function readSessionOptions(
  options: SessionOptions,
  className: string,
  optionNames: readonly string[],
): SessionSettings {
  if (options === null || typeof options !== 'object') throw optionError('options', 'an object', options)
  checkKnownKeys(`${className} option`, options, optionNames)
  // Checked in the order the options are documented: the first bad one is the one reported.
  const baseUrl = checkUrl('baseUrl', options.baseUrl)
  if (options.headers !== undefined && (options.headers === null || typeof options.headers !== 'object')) {
    throw optionError('headers', 'an object of header names to strings', options.headers)
  }
  const timeout = checkPositiveNumber('timeout', options.timeout, DEFAULT_TIMEOUT)
  const maxRedirections = checkNonNegativeInteger('maxRedirections', options.maxRedirections, 0)
  const tokenRetries = checkNonNegativeInteger('tokenRetries', options.tokenRetries, 2)
  if (options.allowInsecureTransport !== undefined && typeof options.allowInsecureTransport !== 'boolean') {
    throw optionError('allowInsecureTransport', 'a boolean', options.allowInsecureTransport)
  }
  return {
    baseUrl,
    headers: mergeHeaders({}, options.headers),
    timeout,
    maxRedirections,
    tokenRetries,
    allowInsecureTransport: options.allowInsecureTransport === true,
  }
}
