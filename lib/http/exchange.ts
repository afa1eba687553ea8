/**
 * A request's slow path: redirects (RFC 9110 §15.4), credentials kept on their origin, one retry
 * after a 401 whose challenge asks for fresh credentials (RFC 6750 §3.1), and one repeat that the
 * credentials step asks for (a DPoP nonce, RFC 9449 §9).
 */
import type { Dispatcher } from 'undici'
import { abandonable } from './abandonable.js'
import { isReplayable, type Prepared, type RequestOptions } from './prepare.js'
import type { PreparedRequest } from './prepared-request.js'
import {
  redirectLocation,
  redirectOptions,
  stripCredentialHeaders,
  stripCredentialParams,
} from './redirect.js'
import type { RequestAbort } from './request-abort.js'

/** What the slow path uses of its session, built once per session. */
export interface ExchangeContext {
  base: Dispatcher
  prepare(url: string | URL, options: RequestOptions, method: string | undefined): Prepared
  credentialsStep(request: Prepared): void | Promise<void>
  onUnauthorized(
    request: PreparedRequest,
    response: Dispatcher.ResponseData,
    signal: AbortSignal,
  ): boolean | Promise<boolean>
}

/** undici's options for one prepared request under `abort`. */
export function dispatchOptions(request: Prepared, abort: RequestAbort): Dispatcher.RequestOptions {
  return {
    origin: request.origin,
    path: request.path,
    method: request.method as Dispatcher.HttpMethod,
    headers: request.headers,
    body: request.body as Dispatcher.DispatchOptions['body'],
    signal: abort,
    // The session follows redirects itself (exchange), keeping credentials on their origin: a
    // redirect-following dispatcher it was given must not replay them elsewhere.
    maxRedirections: 0,
  } as Dispatcher.RequestOptions
}

/** From a first response that asks for it, follows redirects and one 401 retry. */
export async function exchange(
  session: ExchangeContext,
  url: string | URL,
  options: RequestOptions,
  method: string | undefined,
  credentials: boolean,
  redirectsLeft: number,
  abort: RequestAbort,
  request: Prepared,
  first: Dispatcher.ResponseData,
): Promise<Dispatcher.ResponseData> {
  const credentialOrigin = request.origin
  let retried = false
  // The credentials step's own repeat (RFC 9449 §9 nonce), apart from the 401 retry: each once.
  let repeated = false
  let response: Dispatcher.ResponseData | undefined = first
  for (;;) {
    const withCredentials = credentials && request.origin === credentialOrigin
    response ??= await session.base.request(dispatchOptions(request, abort))
    const status = response.statusCode
    const again = withCredentials && request.onAnswer?.(status, response.headers) === true
    if (again && !repeated && isReplayable(request.body)) {
      repeated = true
      request.onRepeat?.()
      await response.body.dump()
    } else if (status === 401 && withCredentials && !retried && isReplayable(request.body)) {
      if (!(await session.onUnauthorized(request, response, abort.signal))) return response
      retried = true
      await response.body.dump()
    } else if (redirectsLeft > 0 && status >= 300 && status < 400) {
      const location = redirectLocation(status, response.headers, request.url)
      if (location === undefined || !isReplayable(request.body)) return response
      await response.body.dump()
      redirectsLeft--
      url = location
      options = redirectOptions(status, request.method, options)
      method = undefined
    } else {
      return response
    }
    response = undefined
    request = session.prepare(url, options, method)
    if (request.origin !== credentialOrigin) {
      stripCredentialHeaders(request.headers)
      const path = stripCredentialParams(request.path)
      if (path !== request.path) request.url = new URL(`${request.origin}${path}`)
    } else if (credentials) {
      const pending = session.credentialsStep(request)
      if (pending !== undefined) await abandonable(pending, abort)
    }
  }
}
