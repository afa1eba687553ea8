type Listener = () => void

/**
 * The abort handle of one `Session.request`, also its entry among the session's requests in
 * flight: its deadline, its caller's signal and `destroy()` abort it. undici's `request()` takes it
 * as `signal` (undici only calls add/removeEventListener and reads `aborted` and `reason`). An
 * AbortController's signal is a full EventTarget that costs more to build, with the listener undici
 * adds, than all the rest of the session's per-request work (bench/README.md), so a real
 * AbortSignal is only built when a hook asks for one.
 *
 * undici removes its listener exactly when it lets go of the request: when the response body
 * closes (it already listens for that) or the request fails. `whenReleased` turns that into the
 * end of the request, so the session needs no listener of its own on every body.
 */
export class RequestAbort {
  aborted = false
  reason: unknown = undefined
  /** Epoch ms after which the session's sweep aborts the request (body included). */
  readonly deadline: number
  /** The deadline's length in ms, for the error message. */
  readonly timeout: number
  /** The caller's signal, followed (Session's CallerSignals) until the request ends. */
  callerSignal: AbortSignal | undefined
  /**
   * Links of the session's list of requests in flight: intrusive, because a Set costs an entry
   * to add and a rehash to delete on every request (measured in bench/README.md).
   */
  prev: RequestAbort | undefined
  next: RequestAbort | undefined
  listed = false
  /**
   * undici adds one listener per request, so the first one has a field of its own: no array to
   * allocate and search on every request. Others (a wait for a token renewal) go to `#more`.
   */
  #listener: Listener | undefined
  #more: Listener[] | undefined
  #controller: AbortController | undefined
  #onRelease: ((abort: RequestAbort) => void) | undefined

  constructor(deadline: number, timeout: number) {
    this.deadline = deadline
    this.timeout = timeout
  }

  addEventListener(_type: 'abort', listener: Listener): void {
    if (this.#listener === undefined) this.#listener = listener
    else if (this.#more === undefined) this.#more = [listener]
    else this.#more.push(listener)
  }

  removeEventListener(_type: 'abort', listener: Listener): void {
    if (this.#listener === listener) this.#listener = undefined
    else if (this.#more !== undefined) {
      const at = this.#more.indexOf(listener)
      if (at !== -1) this.#more.splice(at, 1)
    }
    if (this.#onRelease !== undefined && !this.#listened()) this.#release()
  }

  #listened(): boolean {
    return this.#listener !== undefined || (this.#more !== undefined && this.#more.length > 0)
  }

  abort(reason: unknown): void {
    if (this.aborted) return
    this.aborted = true
    this.reason = reason
    const first = this.#listener
    const more = this.#more
    this.#listener = this.#more = undefined
    first?.()
    if (more !== undefined) for (const listener of more) listener()
    this.#controller?.abort(reason)
  }

  /**
   * Calls `onRelease` once undici has let go of the request whose response was just handed to
   * the caller (its body closed, or the request failed), or at once if it already has. Only the
   * final response's request can still hold a listener here: earlier hops (redirects, a 401 retry)
   * had their bodies dumped before the next was sent.
   */
  whenReleased(onRelease: (abort: RequestAbort) => void): void {
    this.#onRelease = onRelease
    if (!this.#listened()) this.#release()
  }

  #release(): void {
    const onRelease = this.#onRelease!
    this.#onRelease = undefined
    onRelease(this)
  }

  /** A real AbortSignal that follows this handle, for hooks that take one (built on first use). */
  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController()
      if (this.aborted) this.#controller.abort(this.reason)
    }
    return this.#controller.signal
  }
}
