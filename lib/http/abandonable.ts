import { watchAbort } from './abort-watch.js'

/** What `abandonable` needs of an abort signal: an AbortSignal, or the session's RequestAbort. */
export interface AbortLike {
  readonly aborted: boolean
  readonly reason: unknown
  addEventListener(type: 'abort', listener: () => void): void
  removeEventListener(type: 'abort', listener: () => void): void
}

/** Calls `onAbort` when `signal` aborts; a caller's AbortSignal gets one listener however many wait on it. */
function onAbortOf(signal: AbortLike, onAbort: () => void): () => void {
  if (signal instanceof AbortSignal) return watchAbort(signal, onAbort)
  signal.addEventListener('abort', onAbort)
  return () => signal.removeEventListener('abort', onAbort)
}

/**
 * Waits for `promise`, or rejects with the abort reason as soon as `signal` aborts: the caller
 * stops waiting, while the work it was waiting for (a shared token renewal) goes on for others.
 */
export function abandonable<T>(promise: Promise<T>, signal: AbortLike | undefined): Promise<T> {
  if (signal === undefined) return promise
  if (signal.aborted) return Promise.reject(signal.reason)
  return new Promise<T>((resolve, reject) => {
    const stop = onAbortOf(signal, () => reject(signal.reason))
    promise.then(
      value => {
        stop()
        resolve(value)
      },
      (err: unknown) => {
        stop()
        reject(err)
      },
    )
  })
}
