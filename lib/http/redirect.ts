import type { IncomingHttpHeaders } from 'node:http'
import { firstHeader } from './headers.js'
import type { RequestOptions } from './prepare.js'

/**
 * Headers that identify the caller, or name the origin it meant, and must not follow a redirect
 * to another origin (as fetch does: Fetch Standard §4.4 "HTTP-redirect fetch").
 */
const CREDENTIAL_HEADERS = ['authorization', 'cookie', 'proxy-authorization', 'host']

/** The URL a 3xx response points to, or undefined when it is not a followable redirect. */
export function redirectLocation(
  statusCode: number,
  headers: IncomingHttpHeaders,
  from: URL,
): URL | undefined {
  if (
    statusCode !== 301 &&
    statusCode !== 302 &&
    statusCode !== 303 &&
    statusCode !== 307 &&
    statusCode !== 308
  )
    return undefined
  const location = firstHeader(headers, 'location')
  if (location === undefined) return undefined
  try {
    return new URL(location, from)
  } catch {
    return undefined
  }
}

/** Removes the headers that identify the caller, for a hop to another origin. */
export function stripCredentialHeaders(headers: Record<string, unknown>): void {
  for (const name of CREDENTIAL_HEADERS) delete headers[name]
}

/**
 * Query parameters that carry credentials by their name: the RFC 6750 §2.3 `access_token` and
 * the RFC 5849 §3.5.3 `oauth_*` protocol parameters. A server that redirects to another origin
 * with the query it received would otherwise hand them on.
 */
function isCredentialParam(name: string): boolean {
  return name === 'access_token' || name.startsWith('oauth_')
}

/** `path` (pathname + query) without credential query parameters, for a hop to another origin. */
export function stripCredentialParams(path: string): string {
  const at = path.indexOf('?')
  if (at === -1) return path
  const params = new URLSearchParams(path.slice(at + 1))
  const names = [...new Set(params.keys())].filter(isCredentialParam)
  if (names.length === 0) return path
  for (const name of names) params.delete(name)
  const query = params.toString()
  return query === '' ? path.slice(0, at) : `${path.slice(0, at)}?${query}`
}

/** Most redirect targets remembered at once; past this the oldest are forgotten first. */
const MAX_HOPS = 1024

/**
 * The URLs that credentialed requests were redirected to on another origin, for a client that
 * follows redirects with a new dispatch per hop (undici's fetch through `session.dispatcher`):
 * nothing else tells such a hop from a request of its own. A hop found here gets no credentials,
 * and its own redirects are remembered in turn, so a chain that has left the first origin never
 * gets them again. Entries expire after `ttl` ms and are used once; a request of the caller's own
 * to the very same URL at the same moment gets none either, which fails safe.
 */
export class CrossOriginHops {
  readonly #targets = new Map<string, number>()
  readonly #ttl: number

  constructor(ttl: number) {
    this.#ttl = ttl
  }

  /** Remembers `url` (origin + path, no fragment) as a hop away from the credentials' origin. */
  add(url: URL): void {
    const key = `${url.origin}${url.pathname}${url.search}`
    this.#targets.delete(key)
    if (this.#targets.size >= MAX_HOPS) this.#targets.delete(this.#targets.keys().next().value as string)
    this.#targets.set(key, Date.now() + this.#ttl)
  }

  /** Whether `origin` + `path` is a remembered hop; it is forgotten as it is found. */
  take(origin: string, path: string): boolean {
    const key = `${origin}${path}`
    const expires = this.#targets.get(key)
    if (expires === undefined) return false
    this.#targets.delete(key)
    return Date.now() < expires
  }
}

/**
 * The options of the next hop (RFC 9110 §15.4): 303, and 301/302 after a POST, become a GET
 * without body or content headers; 307/308 repeat the request as it was.
 */
export function redirectOptions(statusCode: number, method: string, options: RequestOptions): RequestOptions {
  // The method sent (which `get()` and friends give apart from `options`) carries over.
  const next: RequestOptions = { ...options, method, query: undefined }
  const dropBody =
    statusCode === 303 ? method !== 'HEAD' : (statusCode === 301 || statusCode === 302) && method === 'POST'
  if (dropBody) {
    const headers: Record<string, string | string[] | undefined> = {}
    for (const name in options.headers) {
      if (!name.toLowerCase().startsWith('content-')) headers[name] = options.headers[name]
    }
    next.headers = headers
    next.method = 'GET'
    next.body = null
    next.json = undefined
    next.form = undefined
  }
  return next
}
