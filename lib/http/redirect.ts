import type { IncomingHttpHeaders } from 'node:http'
import { firstHeader } from './headers.js'
import type { RequestOptions } from './prepare.js'

/** Headers that identify the caller and must not follow a redirect to another origin (as undici and fetch do). */
const CREDENTIAL_HEADERS = ['authorization', 'cookie', 'proxy-authorization']

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
