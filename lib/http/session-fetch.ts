/** A session's WHATWG fetch (undici's, on the session's pool) with its credentials step and deadline. */
import { type Dispatcher, fetch as undiciFetch } from 'undici'
import { credentialsInterceptor } from './credentials-interceptor.js'
import { exchangeEndInterceptor } from './exchange-end.js'
import type { InFlight } from './in-flight.js'
import { type Prepared, parseUrl } from './prepare.js'

/** What fetch uses of its session, built once per session. */
export interface FetchContext {
  base: Dispatcher
  baseUrl: URL | undefined
  timeout: number
  inFlight: InFlight
  credentialsStep: (request: Prepared) => void | Promise<void>
}

/**
 * A Request as a URL and the init that rebuilds it (the caller's init winning): undici's fetch
 * takes only its own Request class, and Node's global Request (or another undici copy's) is not it.
 */
function requestParts(request: Request, init: RequestInit): [string, RequestInit] {
  return [
    request.url,
    {
      method: request.method,
      headers: request.headers,
      redirect: request.redirect,
      signal: request.signal,
      ...(request.body === null ? {} : { body: request.body, duplex: 'half' }),
      ...init,
    } as RequestInit,
  ]
}

/** Session.fetch, for a session that is not closed. */
export function sessionFetch(
  session: FetchContext,
  input: string | URL | Request,
  init: RequestInit,
): Promise<Response> {
  let url: string
  let options = init
  try {
    if (typeof input === 'string' || input instanceof URL) url = parseUrl(input, session.baseUrl).href
    else [url, options] = requestParts(input, init)
  } catch (err) {
    return Promise.reject(err)
  }
  const callerSignal = options.signal ?? undefined
  if (callerSignal?.aborted) return Promise.reject(callerSignal.reason)
  // Credentials stay with the origin first asked for: fetch follows redirects by itself.
  const origin = new URL(url).origin
  // fetch hands even a string body to the dispatcher as a stream; its text lets OAuth 1 sign it.
  const body = options.body
  const bodyText =
    typeof body === 'string' ? body : body instanceof URLSearchParams ? body.toString() : undefined
  const inFlight = session.inFlight
  // No AbortSignal.timeout or AbortSignal.any per call: the session's sweep keeps the deadline,
  // and a caller signal is followed until the fetch ends (AbortSignal.any kept ~60 bytes per
  // fetch on a long-lived signal for good on Node 20).
  // close() waits for it as for a request: it may still wait for a token before it is sent.
  const abort = inFlight.start(session.timeout, callerSignal)
  // The fetch ends when its promise has settled and every exchange it made (one per redirect
  // hop) has ended, the last one with its body read to the end or aborted.
  let exchanges = 0
  let answered = false
  const dispatcher = session.base.compose(
    credentialsInterceptor(session.credentialsStep, {
      origin,
      ...(bodyText === undefined ? {} : { bodyText }),
    }),
    exchangeEndInterceptor(
      () => exchanges++,
      () => {
        if (--exchanges === 0 && answered) inFlight.end(abort)
      },
    ),
  )
  return (
    undiciFetch(url, {
      ...(options as Parameters<typeof undiciFetch>[1]),
      signal: abort.signal,
      dispatcher,
    }) as unknown as Promise<Response>
  ).then(
    response => {
      inFlight.answered()
      answered = true
      if (exchanges === 0) inFlight.end(abort)
      return response
    },
    (err: unknown) => {
      throw inFlight.failed(abort, err)
    },
  )
}
