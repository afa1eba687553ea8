import type { Dispatcher } from 'undici'
import { watchAbort } from './abort-watch.js'
import { firstHeader } from './headers.js'

export interface RetryPolicy {
  /** Retries after the first attempt; 0 disables every retry. */
  retries: number
  /**
   * The request must not run twice unless it provably never reached the server (a refresh-token
   * grant: servers that rotate refresh tokens revoke the grant when they see one reused).
   */
  onlyIfUnsent?: boolean
  /** Aborts the waits between attempts (and, through the request, the attempts themselves). */
  signal?: AbortSignal | undefined
  /** Aborts the waits too: the session's own, aborted by destroy(). */
  lifetime?: AbortSignal | undefined
  /** Epoch ms: no retry is started whose wait would end after it. */
  notAfter: number
}

/** First backoff step, ms; each further step doubles (RFC 9110 leaves the schedule to the client). */
const BASE_DELAY = 200
const MAX_DELAY = 10_000
const RETRYABLE_STATUS = new Set([429, 502, 503, 504])
/** The connection could not be made: nothing was sent. */
const UNSENT = new Set(['ECONNREFUSED', 'UND_ERR_CONNECT_TIMEOUT', 'ENETUNREACH', 'EHOSTUNREACH'])
/** The connection died before the response began (the keep-alive race): the server may not have read it. */
const UNANSWERED = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE', 'UND_ERR_CLOSED'])

function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code
  if (typeof code === 'string') return code
  const cause = (err as { cause?: { code?: unknown } } | null)?.cause?.code
  return typeof cause === 'string' ? cause : undefined
}

/** Retry-After (RFC 9110 §10.2.3): delay-seconds or an HTTP-date, in ms from now. */
export function retryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined) return undefined
  const trimmed = value.trim()
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000
  const date = Date.parse(trimmed)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}

/** Exponential backoff with jitter: between half and all of BASE·2^attempt, at most MAX_DELAY. */
function backoff(attempt: number): number {
  const ceiling = Math.min(MAX_DELAY, BASE_DELAY * 2 ** attempt)
  return ceiling / 2 + Math.random() * (ceiling / 2)
}

/** Waits `ms`, or rejects with the reason of the first of `signals` to abort (one listener per signal). */
export function sleep(ms: number, signals: readonly (AbortSignal | undefined)[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const watching = signals.filter(signal => signal !== undefined)
    const aborted = watching.find(signal => signal.aborted)
    if (aborted !== undefined) return reject(aborted.reason)
    const stops = watching.map(signal =>
      watchAbort(signal, () => {
        clearTimeout(timer)
        for (const stop of stops) stop()
        reject(signal.reason)
      }),
    )
    const timer = setTimeout(() => {
      for (const stop of stops) stop()
      resolve()
    }, ms)
  })
}

/**
 * Sends an OAuth endpoint request with the transient-failure policy: a connection that died
 * before any response is retried once; 429, 502, 503 and 504 are retried with exponential backoff
 * and jitter, honouring Retry-After, at most `retries` times and never past `notAfter`. Other 4xx
 * (invalid_grant above all) are never retried. With `onlyIfUnsent`, only a request that provably
 * never reached the server (no connection) is repeated. `attempt` builds and sends the request
 * afresh each time (a new client assertion, a new OAuth 1 nonce).
 */
export async function sendWithRetries(
  attempt: () => Promise<Dispatcher.ResponseData>,
  policy: RetryPolicy,
): Promise<Dispatcher.ResponseData> {
  let retriesLeft = policy.retries
  let raceRetried = false
  for (let n = 0; ; n++) {
    let response: Dispatcher.ResponseData
    try {
      response = await attempt()
    } catch (err) {
      const code = errorCode(err)
      const unsent = code !== undefined && UNSENT.has(code)
      const unanswered = code !== undefined && UNANSWERED.has(code) && !raceRetried && !policy.onlyIfUnsent
      if (retriesLeft === 0 || policy.signal?.aborted || policy.lifetime?.aborted || !(unsent || unanswered))
        throw err
      const delay = unanswered ? 0 : backoff(n)
      if (Date.now() + delay > policy.notAfter) throw err
      if (unanswered) raceRetried = true
      retriesLeft--
      await sleep(delay, [policy.signal, policy.lifetime])
      continue
    }
    if (retriesLeft === 0 || policy.onlyIfUnsent || !RETRYABLE_STATUS.has(response.statusCode))
      return response
    const delay = retryAfter(firstHeader(response.headers, 'retry-after')) ?? backoff(n)
    if (Date.now() + delay > policy.notAfter) return response
    await response.body.dump()
    retriesLeft--
    await sleep(delay, [policy.signal, policy.lifetime])
  }
}
