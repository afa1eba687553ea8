/** The renewal queue: one token renewal at a time (RFC 6749 §6 refresh or a repeated grant), shared by concurrent callers. */
import PQueue from 'p-queue'
import { RequestTimeoutError } from '../errors.js'
import { abandonable } from '../http/abandonable.js'

/** A token renewal; `signal` aborts when the renewal's own deadline (`notAfter`, epoch ms) passes. */
export type Renewal<T> = (signal: AbortSignal, notAfter: number) => Promise<T>

const ignore = () => {}

/**
 * One serialized renewal queue per client (docs/design.md "Token renewal"). Every token-endpoint call that
 * changes the client's token runs here, one at a time, so a refresh token is never sent twice.
 * Automatic renewals are single-flight: while one is pending, every caller awaits that same
 * promise. Each renewal has its own deadline, which aborts its token request, so a stalled token
 * endpoint cannot park callers for ever. A failed renewal rejects every waiter with the same
 * error and leaves the queue usable; no rejection is ever left unhandled.
 */
export class RefreshQueue<T> {
  readonly #queue = new PQueue({ concurrency: 1 })
  readonly #deadline: () => number
  #shared: Promise<T> | undefined

  /** `deadline`: ms each renewal may take, read when it starts. */
  constructor(deadline: () => number) {
    this.#deadline = deadline
  }

  /** Joins the pending automatic renewal, or queues one. `signal` only abandons this caller's wait. */
  shared(renewal: Renewal<T>, signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) return Promise.reject(signal.reason)
    let pending = this.#shared
    if (pending === undefined) {
      pending = this.#enqueue(renewal)
      this.#shared = pending
      const settled = pending
      const clear = () => {
        if (this.#shared === settled) this.#shared = undefined
      }
      settled.then(clear, clear)
    }
    return abandonable(pending, signal)
  }

  /** Queues a renewal of its own (an explicit refreshToken call), after any pending one. */
  exclusive(renewal: Renewal<T>, signal?: AbortSignal): Promise<T> {
    // A caller that has already given up starts nothing.
    if (signal?.aborted) return Promise.reject(signal.reason)
    return abandonable(this.#enqueue(renewal), signal)
  }

  #enqueue(renewal: Renewal<T>): Promise<T> {
    const promise = this.#queue.add(async () => {
      const ms = this.#deadline()
      const controller = new AbortController()
      const timer = setTimeout(() => controller.abort(new RequestTimeoutError(ms, 'token renewal')), ms)
      try {
        return await renewal(controller.signal, Date.now() + ms)
      } finally {
        clearTimeout(timer)
      }
    }) as Promise<T>
    // Every waiter may have gone (abandoned signals); the outcome is still observed here.
    promise.catch(ignore)
    return promise
  }
}
