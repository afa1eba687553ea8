import type { Dispatcher } from 'undici'
import { type Prepared, prepareDispatch } from './prepare.js'

/** A session's credentials step, as the interceptor calls it: synchronous when no I/O is needed. */
export type CredentialsStep = (request: Prepared) => void | Promise<void>

/**
 * An undici interceptor that runs a session's credentials step on every dispatched request, so
 * `undici.request`, `fetch` and any third-party undici user get the same credentials as
 * `Session.request`. `shouldAuthorize` lets a caller pin credentials to one origin (fetch's own
 * redirects must not carry them elsewhere). The caller's options and headers are never mutated.
 */
export function credentialsInterceptor(
  step: CredentialsStep,
  shouldAuthorize: (origin: string) => boolean = () => true,
): Dispatcher.DispatcherComposeInterceptor {
  return dispatch =>
    function dispatchWithCredentials(opts, handler) {
      const request = prepareDispatch(opts.origin ?? '', opts.path, opts.method, opts.headers, opts.body)
      if (!shouldAuthorize(request.origin)) return dispatch(opts, handler)
      const send = () =>
        dispatch(
          {
            ...opts,
            origin: request.origin,
            path: request.path,
            headers: request.headers,
            body: request.body as Dispatcher.DispatchOptions['body'],
          },
          handler,
        )
      // undici's own asynchronous interceptors (dns) report failures before dispatch this way.
      const fail = (err: unknown) => {
        handler.onResponseError?.(null as unknown as Dispatcher.DispatchController, err as Error)
      }
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
