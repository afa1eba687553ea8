import type { IncomingHttpHeaders } from 'node:http'
import type { Dispatcher } from 'undici'
import { ClientClosedError } from '../errors.js'
import { type Prepared, prepareDispatch } from './prepare.js'
import { type CrossOriginHops, redirectLocation, stripCredentialParams } from './redirect.js'

/** A session's credentials step, as the interceptor calls it: synchronous when no I/O is needed. */
export type CredentialsStep = (request: Prepared) => void | Promise<void>

/** Where the credentials of an interceptor may go. */
export interface CredentialsScope {
  /** Only this origin gets credentials (session.fetch: fetch follows redirects by itself). */
  origin?: string
  /**
   * The session's own dispatcher: remembers where credentialed requests were redirected to on
   * another origin, so that a client following with a new dispatch per hop (undici's fetch) does
   * not get credentials there.
   */
  hops?: CrossOriginHops
  /**
   * The text of a body that undici hands over as a stream (fetch streams even a string body): the
   * credentials step reads it instead (OAuth 1 signs form parameters), and when the step changes
   * it, the new text is sent in place of the stream.
   */
  bodyText?: string
}

/**
 * The URL a dispatch goes to. undici splits a URL into `origin` and `path`, and a path is a path:
 * `//evil.example/x` (or `/\evil.example/x`) stays on `origin` as its pathname, instead of being
 * read as a scheme-relative URL naming another host. Undefined for an absolute-form path
 * (RFC 9112 §3.2.2) naming another origin than the one the request is sent to.
 */
function dispatchUrl(origin: string | URL, path: string): URL | undefined {
  const base = typeof origin === 'string' ? new URL(origin).origin : origin.origin
  if (path.startsWith('/')) return new URL(`${base}${path}`)
  const absolute = URL.canParse(path) ? new URL(path) : undefined
  return absolute?.origin === base ? absolute : undefined
}

/**
 * Passes every handler call on, and shows the answer's status and headers to `observe` before the
 * handler sees them.
 */
function observingResponseStart(
  handler: Dispatcher.DispatchHandler,
  observe: (statusCode: number, headers: IncomingHttpHeaders) => void,
): Dispatcher.DispatchHandler {
  return {
    onRequestStart: (controller, context) => handler.onRequestStart?.(controller, context),
    onRequestUpgrade: (controller, statusCode, headers, socket) =>
      handler.onRequestUpgrade?.(controller, statusCode, headers, socket),
    onResponseStart: (controller, statusCode, headers, statusMessage) => {
      observe(statusCode, headers)
      return handler.onResponseStart?.(controller, statusCode, headers, statusMessage)
    },
    onResponseData: (controller, chunk) => handler.onResponseData?.(controller, chunk),
    onResponseEnd: (controller, trailers) => handler.onResponseEnd?.(controller, trailers),
    onResponseError: (controller, error) => handler.onResponseError?.(controller, error),
  }
}

/**
 * Remembers the target of a redirect to another origin (or, for a hop already away from the
 * credentials' origin, to any origin) before the client follows it.
 */
function rememberingRedirects(
  handler: Dispatcher.DispatchHandler,
  from: URL,
  hops: CrossOriginHops,
  anyOrigin: boolean,
): Dispatcher.DispatchHandler {
  return observingResponseStart(handler, (statusCode, headers) => {
    const location = redirectLocation(statusCode, headers, from)
    if (location !== undefined && (anyOrigin || location.origin !== from.origin)) hops.add(location)
  })
}

/**
 * Shows the answer's status and headers to the credentials step that asked for them
 * (Prepared.onAnswer): it learns from them for the next request (a DPoP nonce, RFC 9449 §9). The
 * request is not repeated here: the body may already be streamed.
 */
function reportingAnswer(
  handler: Dispatcher.DispatchHandler,
  onAnswer: NonNullable<Prepared['onAnswer']>,
): Dispatcher.DispatchHandler {
  return observingResponseStart(handler, (statusCode, headers) => {
    onAnswer(statusCode, headers)
  })
}

/** undici's own asynchronous interceptors (dns) report failures before dispatch this way. */
function failBeforeDispatch(handler: Dispatcher.DispatchHandler, err: unknown): void {
  handler.onResponseError?.(null as unknown as Dispatcher.DispatchController, err as Error)
}

/**
 * Fails every request dispatched after the session closed with ClientClosedError, as
 * `Session.request` does, before it reaches credentials or the closed pool (whose own error,
 * UND_ERR_DESTROYED, would not say why).
 */
export function closedSessionInterceptor(isClosed: () => boolean): Dispatcher.DispatcherComposeInterceptor {
  return dispatch =>
    function dispatchUnlessClosed(opts, handler) {
      if (!isClosed()) return dispatch(opts, handler)
      failBeforeDispatch(handler, new ClientClosedError())
      return true
    }
}

/**
 * An undici interceptor that runs a session's credentials step on every dispatched request, so
 * `undici.request`, `fetch` and any third-party undici user get the same credentials as
 * `Session.request`. The caller's options and headers are never mutated.
 *
 * Credentials stay with the origin a request was first sent to, however its redirects are
 * followed: a redirect interceptor composed over this one (undici's `interceptors.redirect`)
 * dispatches every hop with the same handler, which gets credentials only on the origin of its
 * first dispatch (retries to the same origin get fresh ones); a client that makes a new dispatch
 * per hop is caught by `scope.hops`. A hop to another origin also loses the credential query
 * parameters a server copied into its Location. And a dispatch that carries credentials is told
 * not to follow redirects below this interceptor (`maxRedirections: 0` for a redirect-following
 * dispatcher the session was given), so no layer underneath replays them elsewhere.
 */
export function credentialsInterceptor(
  step: CredentialsStep,
  scope: CredentialsScope = {},
): Dispatcher.DispatcherComposeInterceptor {
  const firstOrigins = new WeakMap<object, string>()
  const { hops, bodyText } = scope
  return dispatch =>
    function dispatchWithCredentials(opts, handler) {
      const url = dispatchUrl(opts.origin ?? '', opts.path)
      if (url === undefined) return dispatch(opts, handler)
      const firstOrigin = firstOrigins.get(handler)
      if (firstOrigin === undefined) firstOrigins.set(handler, url.origin)
      const away =
        (firstOrigin !== undefined && firstOrigin !== url.origin) ||
        (scope.origin !== undefined && scope.origin !== url.origin) ||
        hops?.take(url.origin, opts.path) === true
      if (away) {
        const path = stripCredentialParams(opts.path)
        return dispatch(
          path === opts.path ? opts : { ...opts, path },
          hops === undefined ? handler : rememberingRedirects(handler, url, hops, true),
        )
      }
      const streamed =
        bodyText !== undefined &&
        opts.body != null &&
        typeof opts.body !== 'string' &&
        !(opts.body instanceof Uint8Array)
      const request = prepareDispatch(url, opts.method, opts.headers, streamed ? bodyText : opts.body)
      const send = () => {
        const keepStream = streamed && request.body === bodyText
        // A body the step rewrote has another length than the one fetch announced.
        if (streamed && !keepStream) delete request.headers['content-length']
        const remembering =
          hops === undefined ? handler : rememberingRedirects(handler, request.url, hops, false)
        return dispatch(
          {
            ...opts,
            origin: request.origin,
            path: request.path,
            headers: request.headers,
            body: keepStream ? opts.body : (request.body as Dispatcher.DispatchOptions['body']),
            maxRedirections: 0,
          } as Dispatcher.DispatchOptions,
          request.onAnswer === undefined ? remembering : reportingAnswer(remembering, request.onAnswer),
        )
      }
      const fail = (err: unknown) => failBeforeDispatch(handler, err)
      let pending: void | Promise<void>
      try {
        pending = step(request)
      } catch (err) {
        fail(err)
        return true
      }
      if (pending === undefined) return send()
      pending.then(send, fail)
      return true
    }
}
