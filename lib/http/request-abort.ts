type Listener = () => void

/**
 * The abort handle of one `Session.request`: its deadline, its caller's signal and `destroy()`
 * abort it. undici's `request()` takes it as `signal` (undici only calls add/removeEventListener
 * and reads `aborted` and `reason`). An AbortController's signal is a full EventTarget that costs
 * Node ~7 µs to build and ~4 µs more for the listener undici adds — more than all the rest of the
 * session's per-request work — so a real AbortSignal is only built when a hook asks for one.
 */
export class RequestAbort {
  aborted = false
  reason: unknown = undefined
  #listeners: Listener[] | undefined
  #controller: AbortController | undefined

  addEventListener(_type: 'abort', listener: Listener): void {
    if (this.#listeners === undefined) this.#listeners = [listener]
    else this.#listeners.push(listener)
  }

  removeEventListener(_type: 'abort', listener: Listener): void {
    const listeners = this.#listeners
    if (listeners === undefined) return
    const at = listeners.indexOf(listener)
    if (at !== -1) listeners.splice(at, 1)
  }

  abort(reason: unknown): void {
    if (this.aborted) return
    this.aborted = true
    this.reason = reason
    const listeners = this.#listeners
    this.#listeners = undefined
    if (listeners !== undefined) for (const listener of listeners) listener()
    this.#controller?.abort(reason)
  }

  /** A real AbortSignal that follows this handle, for hooks that take one (built on first use). */
  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController()
      if (this.aborted) this.#controller.abort(this.reason)
    }
    return this.#controller.signal
  }

  /** Waits for `promise`, or rejects with the abort reason as soon as this handle aborts. */
  race<T>(promise: Promise<T>): Promise<T> {
    if (this.aborted) return Promise.reject(this.reason)
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => reject(this.reason)
      this.addEventListener('abort', onAbort)
      promise.then(
        value => {
          this.removeEventListener('abort', onAbort)
          resolve(value)
        },
        (err: unknown) => {
          this.removeEventListener('abort', onAbort)
          reject(err)
        },
      )
    })
  }
}
