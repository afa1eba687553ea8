/** The renewal queue: one token renewal at a time (RFC 6749 §6 refresh or a repeated grant), shared by concurrent callers. */
import { performance } from 'node:perf_hooks'
import PQueue from 'p-queue'
import { type DescribeClient, publishRenewalWait } from '../diagnostics/publish.js'
import { RequestTimeoutError } from '../errors.js'
import { abandonable } from '../http/abandonable.js'

/** A token renewal; `signal` aborts when the renewal's own deadline (`notAfter`, epoch ms) passes. */
export type Renewal<T> = (signal: AbortSignal, notAfter: number) => Promise<T>

const ignore = () => {}

/** The pending automatic renewal and how many callers joined it (docs/observability.md). */
interface PendingRenewal<T> {
  promise: Promise<T>
  waiters: number
}

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
  readonly #who: DescribeClient
  #shared: PendingRenewal<T> | undefined

  /** `deadline`: ms each renewal may take, read when it starts; `who`: the client, for diagnostics. */
  constructor(deadline: () => number, who: DescribeClient) {
    this.#deadline = deadline
    this.#who = who
  }

  /**
   * Joins the pending automatic renewal, or queues one. `signal` only abandons this caller's wait.
   * When it settles, how many callers joined it and how long it kept them is published.
   */
  shared(renewal: Renewal<T>, signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) return Promise.reject(signal.reason)
    let pending = this.#shared
    if (pending === undefined) {
      const started = performance.now()
      const settled: PendingRenewal<T> = { promise: this.#enqueue(renewal), waiters: 0 }
      this.#shared = pending = settled
      const clear = (failure?: { error: unknown }) => {
        if (this.#shared === settled) this.#shared = undefined
        publishRenewalWait(this.#who, settled.waiters, performance.now() - started, failure)
      }
      settled.promise.then(
        () => clear(),
        (error: unknown) => clear({ error }),
      )
    }
    pending.waiters++
    return abandonable(pending.promise, signal)
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
