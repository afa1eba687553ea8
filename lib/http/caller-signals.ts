import type { RequestAbort } from './request-abort.js'

interface Watched {
  readonly requests: Set<RequestAbort>
  readonly onAbort: () => void
}

/**
 * The callers' AbortSignals a session's requests in flight follow, with ONE 'abort' listener per
 * signal however many requests share it. Programs pass one long-lived signal (a worker's
 * shutdown) to every call: a listener per request would trip Node's MaxListenersExceededWarning
 * past 10 concurrent requests, and leave the signal's listener list churning on every call.
 */
export class CallerSignals {
  readonly #watched = new Map<AbortSignal, Watched>()

  /** `abort` is aborted with the signal's reason when `signal` aborts, until `unfollow`. */
  follow(signal: AbortSignal, abort: RequestAbort): void {
    let watched = this.#watched.get(signal)
    if (watched === undefined) {
      const requests = new Set<RequestAbort>()
      const onAbort = () => {
        this.#watched.delete(signal)
        for (const request of requests) request.abort(signal.reason)
      }
      watched = { requests, onAbort }
      this.#watched.set(signal, watched)
      signal.addEventListener('abort', onAbort, { once: true })
    }
    watched.requests.add(abort)
  }

  unfollow(signal: AbortSignal, abort: RequestAbort): void {
    const watched = this.#watched.get(signal)
    if (watched === undefined || !watched.requests.delete(abort) || watched.requests.size > 0) return
    this.#watched.delete(signal)
    signal.removeEventListener('abort', watched.onAbort)
  }
}
