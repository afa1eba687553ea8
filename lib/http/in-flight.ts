import { RequestTimeoutError } from '../errors.js'
import { CallerSignals } from './caller-signals.js'
import { RequestAbort } from './request-abort.js'

/**
 * How often the deadlines of requests in flight are checked. One interval per session (only while
 * requests are in flight) instead of a timer per request, which cost more to arm and clear than
 * the rest of the fast path; a deadline fires at most this much late.
 */
const SWEEP_INTERVAL = 100

/**
 * The lifecycle of a session's requests and fetches: each gets an abort handle from its start
 * until its body is done (`start` ... `end`), aborted by its deadline, its caller's signal or
 * `abortAll`; and each counts as unanswered until it has its final answer or failed, which is
 * what `close()` waits for (`whenAnswered`).
 */
export class InFlight {
  /** The handles in flight, linked through RequestAbort.prev/next (this is the head). */
  #head: RequestAbort | undefined
  readonly #callerSignals = new CallerSignals()
  /** The deadline sweep, running while a request is in flight. */
  #sweeper: NodeJS.Timeout | undefined
  #unanswered = 0
  #whenAnswered: (() => void) | undefined
  /** Set once the session closes: the sweep stops with the last request instead of idling. */
  #closing = false

  /** A new request's abort handle, aborted by `callerSignal` and by the deadline `timeout` ms from now. */
  start(timeout: number, callerSignal: AbortSignal | undefined): RequestAbort {
    const abort = new RequestAbort(Date.now() + timeout, timeout)
    if (callerSignal !== undefined) {
      abort.callerSignal = callerSignal
      this.#callerSignals.follow(callerSignal, abort)
    }
    const head = this.#head
    abort.next = head
    if (head !== undefined) head.prev = abort
    this.#head = abort
    abort.listed = true
    this.#unanswered++
    if (this.#sweeper === undefined) {
      this.#sweeper = setInterval(this.#sweep, SWEEP_INTERVAL)
      this.#sweeper.unref()
    }
    return abort
  }

  /** Requests and fetches started and not yet answered. */
  get unanswered(): number {
    return this.#unanswered
  }

  /** A request or fetch has its final answer (or failed): close() need not wait for it any more. */
  answered(): void {
    if (--this.#unanswered === 0) this.#whenAnswered?.()
  }

  /** A request is over (its body closed, it failed, or it was aborted): it leaves the set. */
  readonly end = (abort: RequestAbort): void => {
    if (!abort.listed) return
    abort.listed = false
    const { prev, next } = abort
    if (prev === undefined) this.#head = next
    else prev.next = next
    if (next !== undefined) next.prev = prev
    abort.prev = abort.next = undefined
    if (abort.callerSignal !== undefined) this.#callerSignals.unfollow(abort.callerSignal, abort)
    if (this.#closing && this.#head === undefined) this.#stopSweeping()
  }

  /** The request failed: it is answered and over now; the error is the abort reason when it was aborted. */
  failed(abort: RequestAbort, err: unknown): unknown {
    this.answered()
    this.end(abort)
    return abort.aborted ? abort.reason : err
  }

  /** The request's final response goes to the caller; it is over when undici lets go of it. */
  delivered<T>(abort: RequestAbort, response: T): T {
    this.answered()
    abort.whenReleased(this.end)
    return response
  }

  /** Resolves once every request started so far has its answer; the sweep stops when the last one ends. */
  close(): Promise<void> {
    this.#closing = true
    if (this.#unanswered === 0) return Promise.resolve()
    return new Promise(resolve => {
      this.#whenAnswered = resolve
    })
  }

  /** After close(): bodies still unread keep the sweep, which then ends with the last of them. */
  idle(): void {
    if (this.#head === undefined) this.#stopSweeping()
  }

  /** Aborts every request in flight with `reason`. */
  abortAll(reason: unknown): void {
    this.#closing = true
    for (let abort = this.#head; abort !== undefined; abort = this.#head) {
      this.end(abort)
      abort.abort(reason)
    }
  }

  /** Aborts every request whose deadline has passed; stops itself when nothing is in flight. */
  readonly #sweep = (): void => {
    if (this.#head === undefined) {
      this.#stopSweeping()
      return
    }
    const now = Date.now()
    let abort: RequestAbort | undefined = this.#head
    while (abort !== undefined) {
      const next: RequestAbort | undefined = abort.next
      if (now >= abort.deadline) {
        this.end(abort)
        abort.abort(new RequestTimeoutError(abort.timeout))
      }
      abort = next
    }
  }

  #stopSweeping(): void {
    clearInterval(this.#sweeper)
    this.#sweeper = undefined
  }
}
