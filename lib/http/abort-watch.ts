interface Watch {
  readonly callbacks: Set<() => void>
  readonly fire: () => void
}

/**
 * One 'abort' listener per AbortSignal for the whole process, however many waits share it.
 * Programs pass one long-lived signal (a worker's shutdown) to every call: a listener per call
 * trips Node's MaxListenersExceededWarning past 10 concurrent calls and leaves the signal's
 * listener list churning on every call. (A session's requests in flight follow callers' signals
 * through CallerSignals, which keeps the same rule without a closure per request.)
 */
const watches = new WeakMap<AbortSignal, Watch>()

/** Calls `onAbort` once when `signal` aborts; the returned function stops watching. */
export function watchAbort(signal: AbortSignal, onAbort: () => void): () => void {
  let watch = watches.get(signal)
  if (watch === undefined) {
    const callbacks = new Set<() => void>()
    const fire = () => {
      watches.delete(signal)
      for (const callback of callbacks) callback()
    }
    watch = { callbacks, fire }
    watches.set(signal, watch)
    signal.addEventListener('abort', fire, { once: true })
  }
  const { callbacks, fire } = watch
  // An entry of its own per call: the same function may be watched by two waits.
  const entry = () => onAbort()
  callbacks.add(entry)
  return () => {
    if (!callbacks.delete(entry) || callbacks.size > 0) return
    if (watches.get(signal)?.callbacks === callbacks) watches.delete(signal)
    signal.removeEventListener('abort', fire)
  }
}
