import type { Dispatcher } from 'undici'
import { ClientClosedError } from '../errors.js'
import { type Prepared, prepareDispatch } from './prepare.js'

/** A session's credentials step, as the interceptor calls it: synchronous when no I/O is needed. */
export type CredentialsStep = (request: Prepared) => void | Promise<void>

/**
 * An undici interceptor that runs a session's credentials step on every dispatched request, so
 * `undici.request`, `fetch` and any third-party undici user get the same credentials as
 * `Session.request`. `shouldAuthorize` lets a caller pin credentials to one origin (fetch's own
 * redirects must not carry them elsewhere). The caller's options and headers are never mutated.
 *
 * `bodyText` is the text of a body that undici hands over as a stream (fetch streams even a
 * string body): the credentials step reads it instead (OAuth 1 signs form parameters), and when
 * the step changes it, the new text is sent in place of the stream.
 *
 * A redirect interceptor composed over this one (undici's `interceptors.redirect`) dispatches
 * every hop with the same handler: a handler seen before gets credentials only on the origin of
 * its first dispatch, so a redirect to another origin does not carry them there. Retries of the
 * same handler to the same origin get fresh ones.
 */
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

export function credentialsInterceptor(
  step: CredentialsStep,
  shouldAuthorize: (origin: string) => boolean = () => true,
  bodyText?: string,
): Dispatcher.DispatcherComposeInterceptor {
  const firstOrigins = new WeakMap<object, string>()
  return dispatch =>
    function dispatchWithCredentials(opts, handler) {
      const streamed =
        bodyText !== undefined &&
        opts.body != null &&
        typeof opts.body !== 'string' &&
        !(opts.body instanceof Uint8Array)
      const request = prepareDispatch(
        opts.origin ?? '',
        opts.path,
        opts.method,
        opts.headers,
        streamed ? bodyText : opts.body,
      )
      const firstOrigin = firstOrigins.get(handler)
      if (firstOrigin === undefined) firstOrigins.set(handler, request.origin)
      if (!shouldAuthorize(request.origin) || (firstOrigin !== undefined && firstOrigin !== request.origin)) {
        return dispatch(opts, handler)
      }
      const send = () => {
        const keepStream = streamed && request.body === bodyText
        // A body the step rewrote has another length than the one fetch announced.
        if (streamed && !keepStream) delete request.headers['content-length']
        return dispatch(
          {
            ...opts,
            origin: request.origin,
            path: request.path,
            headers: request.headers,
            body: keepStream ? opts.body : (request.body as Dispatcher.DispatchOptions['body']),
          },
          handler,
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
