import type { Dispatcher } from 'undici'

/**
 * An undici interceptor that reports when each request dispatched through it starts and ends:
 * its response read to the end, or the request failed or was aborted (body included). fetch gives
 * no such signal of its own: a Response resolves at its headers and its body streams on, so this
 * is how a session knows when a fetch (with every redirect hop it made) is really over.
 *
 * It sits outermost, so it sees every dispatch, including those an inner interceptor fails before
 * they reach the pool; `compose` hands it handlers in undici's current (onResponse*) shape. fetch
 * never upgrades a connection, so there is no onRequestUpgrade to pass on.
 */
export function exchangeEndInterceptor(
  onStart: () => void,
  onEnd: () => void,
): Dispatcher.DispatcherComposeInterceptor {
  return dispatch =>
    function dispatchObserved(opts, handler) {
      onStart()
      // undici reports a throwing onResponseEnd through onResponseError: one end per dispatch.
      let ended = false
      const end = () => {
        if (ended) return
        ended = true
        onEnd()
      }
      return dispatch(opts, {
        onRequestStart: (controller, context) => handler.onRequestStart?.(controller, context),
        onResponseStart: (controller, statusCode, headers, statusMessage) =>
          handler.onResponseStart?.(controller, statusCode, headers, statusMessage),
        onResponseData: (controller, chunk) => handler.onResponseData?.(controller, chunk),
        onResponseEnd: (controller, trailers) => {
          try {
            handler.onResponseEnd?.(controller, trailers)
          } finally {
            end()
          }
        },
        onResponseError: (controller, error) => {
          try {
            handler.onResponseError?.(controller, error)
          } finally {
            end()
          }
        },
      })
    }
}
